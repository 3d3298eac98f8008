"""A multi-modem kit's records: each is filed under its modem's SIM operator when it
names none itself (pure conversion, table tests)."""

from __future__ import annotations

import pytest

from agent.modem.model import ModemIdentity
from agent.modem.monitor import sim_network
from collector.observe import modem_network, observations_from_record
from collector.rules import observations as obs
from pantau.v1 import records_pb2

T = 1_700_000_000_000_000_000


def record(body: str, modem: tuple[str, str] | None, **fields: object) -> records_pb2.Record:
    r = records_pb2.Record(seq=1)
    if body == "signal":
        r.signal.CopyFrom(records_pb2.SignalReading(**fields))  # type: ignore[arg-type]
    elif body == "ping":
        r.ping.CopyFrom(records_pb2.PingResult(loss_ratio=0.0, sent=2, received=2))
    else:
        r.throughput.CopyFrom(records_pb2.ThroughputResult(goodput_bps=1e6))
    if modem is not None:
        r.modem.name, r.modem.network = modem
    return r


@pytest.mark.parametrize(
    ("modem", "expected"),
    [
        (None, None),  # a one-modem kit's record
        (("m1", ""), None),  # a modem whose SIM is not known yet
        (("isat", "510-01"), "510-01"),
        (("isat", "510-001"), "510-01"),  # three digits with a leading zero
        (("x", "garbage"), None),
    ],
)
def test_modem_network(modem: tuple[str, str] | None, expected: str | None) -> None:
    assert modem_network(record("ping", modem)) == expected


@pytest.mark.parametrize(
    ("body", "modem", "fields", "operator"),
    [
        # the reading's own network wins (a roaming SIM is judged where it is served)
        ("signal", ("xl", "510-11"), {"mcc": "510", "mnc": "10"}, "510-10"),
        # no service: no network named, the SIM's operator's problem
        ("signal", ("xl", "510-11"), {"reg_state": records_pb2.REG_STATE_SEARCHING}, "510-11"),
        ("signal", None, {"reg_state": records_pb2.REG_STATE_SEARCHING}, None),
        ("ping", ("isat", "510-01"), {}, "510-01"),
        ("ping", None, {}, None),  # attributed by the rules at event time, as before
        ("throughput", ("tsel", "510-10"), {}, "510-10"),
    ],
)
def test_a_record_of_a_modem_concerns_its_operator(
    body: str, modem: tuple[str, str] | None, fields: dict[str, object], operator: str | None
) -> None:
    [observation] = observations_from_record(record(body, modem, **fields), T)
    assert isinstance(observation, obs.Signal | obs.Ping | obs.Throughput)
    assert observation.operator == operator


def test_an_unserved_reading_is_named_after_its_sims_operator() -> None:
    [s] = observations_from_record(
        record("signal", ("xl", "510-11"), reg_state=records_pb2.REG_STATE_SEARCHING), T
    )
    assert isinstance(s, obs.Signal) and s.operator_name == "XL Axiata"


def test_a_sim_network_comes_from_the_imsi_or_a_home_registration() -> None:
    home = records_pb2.SignalReading(mcc="502", mnc="012", reg_state=records_pb2.REG_STATE_HOME)
    roaming = records_pb2.SignalReading(
        mcc="510", mnc="10", reg_state=records_pb2.REG_STATE_ROAMING
    )
    identity = ModemIdentity(dialect="3gpp", port="/dev/ttyUSB2", imsi="510011234567890")
    assert sim_network(identity) == "510-01"
    assert sim_network(identity, home) == "510-01"  # the IMSI first
    assert sim_network(None, home) == "502-12"
    assert sim_network(None, roaming) == ""  # a visited network is not the SIM's
    foreign = ModemIdentity(dialect="3gpp", port="p", imsi="502121234567890")
    assert sim_network(foreign) == ""  # outside 510 the MNC length is not known
