"""A busy collector's ``retry-after-ms`` as the uplink reads it (agent.uplink): bounded,
garbage ignored, the kit's own jitter on top. The uplink honouring it against a real
collector is tests/collector/test_admission_streams.py."""

from __future__ import annotations

import logging

import pytest

from agent.uplink import MAX_RETRY_AFTER_S, delay_after, retry_after_s


@pytest.mark.parametrize(
    ("metadata", "seconds"),
    [
        ((), None),
        ((("other", "5"),), None),
        ((("retry-after-ms", "1500"),), 1.5),
        ((("retry-after-ms", b"250"),), 0.25),  # binary-looking values decode too
        ((("retry-after-ms", "0"),), 0.0),
        ((("retry-after-ms", "600000"),), 600.0),
        ((("retry-after-ms", "600001"),), MAX_RETRY_AFTER_S),  # clamped
        ((("retry-after-ms", "99999999999999999"),), MAX_RETRY_AFTER_S),
        ((("retry-after-ms", "-5"),), None),  # garbage: the back-off applies
        ((("retry-after-ms", "1.5"),), None),
        ((("retry-after-ms", "soon"),), None),
        ((("retry-after-ms", "9" * 40),), None),  # not a number anyone means
    ],
)
def test_retry_after_is_read_bounded(
    metadata: tuple[tuple[str, str | bytes], ...], seconds: float | None
) -> None:
    assert retry_after_s(metadata) == seconds


def test_an_absurd_retry_after_is_clamped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="agent.uplink"):
        assert retry_after_s((("retry-after-ms", "86400000"),)) == MAX_RETRY_AFTER_S
    assert "asked to retry after 86400 s; retrying after 600 s" in caplog.text


@pytest.mark.parametrize(
    ("retry_after", "backoff_s", "draw", "delay_s"),
    [
        (None, 7.0, 0.9, 7.0),  # no retry-after: the back-off's delay
        (2.0, 7.0, 0.0, 2.0),  # the collector's time, at least
        (2.0, 7.0, 1.0, 2.4),  # ... plus up to 20% of the kit's own jitter
        (600.0, 0.1, 0.5, 660.0),
    ],
)
def test_the_delay_after_a_refusal(
    retry_after: float | None, backoff_s: float, draw: float, delay_s: float
) -> None:
    assert delay_after(retry_after, backoff_s, lambda: draw) == pytest.approx(delay_s)
