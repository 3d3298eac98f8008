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


def test_the_hello_says_the_kits_backhaul() -> None:
    assert build_hello("kit-1", "3171011001005", STAMP).backhaul == (
        telemetry_pb2.BACKHAUL_CELLULAR
    )
    satellite = build_hello("kit-1", "3171011001005", STAMP, backhaul="vsat-geo")
    assert satellite.backhaul == telemetry_pb2.BACKHAUL_VSAT_GEO
    wired = build_hello("kit-1", "3171011001005", STAMP, backhaul="wired")
    assert wired.backhaul == telemetry_pb2.BACKHAUL_WIRED


def test_every_backhaul_is_a_value_of_the_contracts_enum_and_back() -> None:
    from pantau.core.backhaul import BACKHAULS, enum_name, from_enum_name

    names = {v.name for v in telemetry_pb2.Backhaul.DESCRIPTOR.values}
    assert {enum_name(b) for b in BACKHAULS} == names - {"BACKHAUL_UNSPECIFIED"}
    assert [from_enum_name(enum_name(b)) for b in BACKHAULS] == list(BACKHAULS)
    assert from_enum_name("BACKHAUL_UNSPECIFIED") == "cellular"  # a kit from before
    assert from_enum_name("BACKHAUL_MOON_RELAY") == "cellular"  # a later contract's
