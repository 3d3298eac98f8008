"""The collector's gateway reader against a simulated gateway modem: it deletes only
what the collector took, and leaves what it cannot hand on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agent.modem.driver import AtPort
from agent.sim.modem import SimModem
from agent.sim.scenario import bundled_scenario, load_scenario
from agent.sim.sms import SmsCentre
from agent.sms import at
from agent.sms.gateway import Gateway, http_post, plan_pass, signed_headers
from pantau.core.smspdu import Address, Submit, encode_submit

GATEWAY = "+628110000099"


@pytest.fixture
def sim() -> Iterator[tuple[SmsCentre, SimModem]]:
    centre = SmsCentre()
    modem = SimModem(load_scenario(bundled_scenario("strong-lte")), sms=centre.attach(GATEWAY))
    with modem:
        yield centre, modem


def test_deletes_only_what_the_collector_took(sim: tuple[SmsCentre, SimModem]) -> None:
    centre, modem = sim
    for i in range(3):
        centre.inject(GATEWAY, "+62812000000" + str(i), f"PNT1 id=kit-{i} n=1 mac=0123456789abcdef")
    assert modem.sms is not None
    modem.sms.slots[9] = (3, encode_submit(Submit(Address.parse("+62811"), "sent"))[0])  # STO SENT
    bodies: list[dict[str, str]] = []

    def post(body: bytes) -> int:
        doc = json.loads(body)
        bodies.append(doc)
        return 503 if doc["from"].endswith("1") else 200

    with AtPort(modem.start(), command_timeout_s=5) as port:
        gateway = Gateway(port, post)
        assert gateway.one_pass() == 2
        assert [b["from"] for b in bodies] == ["+628120000000", "+628120000001", "+628120000002"]
        left = at.list_stored(port)
        assert [(s.index, s.stat) for s in left] == [(1, at.REC_READ), (9, at.STO_SENT)]
        assert gateway.one_pass() == 0  # the collector is still down for that one
        assert gateway.handed_on == 2


def test_plan_leaves_what_does_not_decode() -> None:
    broken = at.Stored(4, at.REC_UNREAD, "00", error="PDU cut short")
    assert plan_pass([broken]) == ([], [broken])


def test_signature_and_url_checks() -> None:
    headers = signed_headers("s", b"{}", 1_764_860_000.9)
    assert headers["X-Pantau-Timestamp"] == "1764860000"
    assert headers["X-Pantau-Signature"].startswith("sha256=")
    with pytest.raises(ValueError, match="expected an http:// or https:// URL"):
        http_post("file:///etc/passwd", "s")
    assert http_post("http://127.0.0.1:9/api/v1/sms", "s", timeout_s=2)(b"{}") == 0
