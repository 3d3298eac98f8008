"""A TPS code with a letter for a digit ("31.71.01.1001.OO5", letter O) is refused naming
the character and its position, in both languages, not as "must be 13 digits, got 13"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from initkit import AGENT, clean_env

from pantau.core.sites import TpsCodeError, first_non_digit, validate_tps_code


def test_the_core_check_names_the_character_and_its_position() -> None:
    assert first_non_digit("3171011001005") is None
    assert first_non_digit("31710110010O5") == (12, "O")
    with pytest.raises(TpsCodeError) as caught:
        validate_tps_code("31710110010O5")
    text = str(caught.value)
    assert "has 'O' at position 12, not a digit (the digit 0?)" in text
    assert "got 13" not in text
    with pytest.raises(TpsCodeError, match="'x' at position 1, not a digit;"):
        validate_tps_code("x171011001005")
    with pytest.raises(TpsCodeError, match="must be 13 digits"):
        validate_tps_code("317101100100")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "TPS code 31.71.01.1001.OO5 is wrong: character 15 is 'O', not a digit "
               "(the letter O? type the digit 0)."),
        ("id", "Kode TPS 31.71.01.1001.OO5 salah: karakter ke-15 adalah 'O', bukan angka "
               "(huruf O? ketik angka 0)."),
    ],
)  # fmt: skip
def test_init_names_the_letter_o_as_typed(tmp_path: Path, lang: str, expected: str) -> None:
    done = subprocess.run(
        [AGENT, "init", "--yes", "--lang", lang, "--config", str(tmp_path / "agent.toml"),
         "--data-dir", str(tmp_path / "data"), "--no-install-service", "--modem", "none",
         "--site", "31.71.01.1001.OO5"],
        capture_output=True, text=True, timeout=60, env=clean_env(), check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr
    assert "13 digits" not in done.stderr.split(expected)[0]  # not the length complaint
    assert "got 13" not in done.stderr and "ada 13" not in done.stderr
