"""One Hello for every stream the kit opens: the uplink's and ``check``'s."""

from __future__ import annotations

from agent.clock import Stamp
from agent.uplink import VERSION, build_hello
from pantau.v1 import telemetry_pb2

STAMP = Stamp(
    wall_unix_ns=1_700_000_000_000_000_000, monotonic_ns=42, boot_id="b", clock_synced=True
)


def test_the_uplinks_hello_carries_the_spool_head_and_the_modem() -> None:
    modem = telemetry_pb2.ModemIdentity(imei="867698041234567")
    hello = build_hello("kit-1", "3171011001005", STAMP, head_seq=17, modem=modem)
    assert (hello.agent_id, hello.claimed_site, hello.software_version) == (
        "kit-1",
        "3171011001005",
        VERSION,
    )
    assert hello.sent_at.wall_unix_ns == STAMP.wall_unix_ns
    assert (hello.sent_at.monotonic_ns, hello.sent_at.boot_id) == (42, "b")
    assert hello.sent_at.clock_synced
    assert hello.head_seq == 17 and hello.modem.imei == "867698041234567"
    assert "purpose" not in hello.host


def test_checks_hello_is_the_same_message_with_its_purpose() -> None:
    check = build_hello("kit-1", "3171011001005", STAMP, purpose="check")
    assert check.host["purpose"] == "check"
    del check.host["purpose"]
    assert check == build_hello("kit-1", "3171011001005", STAMP)
