"""The simulated SMS centre between two simulated modems on real ptys, driven by the
agent's own AT driver and SMS commands (agent.sms.at)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from agent.modem.driver import AtPort
from agent.modem.errors import CommandFailed
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario, bundled_scenario, load_scenario
from agent.sim.sms import SmsCentre
from agent.sms import at

KIT = "+628120000001"
GATEWAY = "+628110000099"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, s: float) -> None:
        with self._lock:
            self.now += s


def _modem(scenario: str, centre: SmsCentre, number: str) -> SimModem:
    return SimModem(load_scenario(bundled_scenario(scenario)), sms=centre.attach(number))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pair(clock: FakeClock) -> Iterator[tuple[SmsCentre, AtPort, AtPort]]:
    centre = SmsCentre(delay_s=5.0, clock=clock)
    kit, gateway = _modem("strong-lte", centre, KIT), _modem("strong-lte", centre, GATEWAY)
    with (
        kit,
        gateway,
        AtPort(kit.start(), command_timeout_s=5) as k,
        AtPort(gateway.start(), command_timeout_s=5) as g,
    ):
        for port in (k, g):
            port.setup()
        at.prepare(k)
        at.prepare(g, indications=True)
        yield centre, k, g


def _wait_for_indication(port: AtPort) -> list[int]:
    """Poll the port (a cheap AT) until a +CMTI came; bounded by the driver's timeouts."""
    for _ in range(200):
        port.command("AT")
        found = at.take_indications(port)
        if found:
            return found
    raise AssertionError("no +CMTI arrived")


def test_kit_to_gateway_after_the_delay(
    pair: tuple[SmsCentre, AtPort, AtPort], clock: FakeClock
) -> None:
    centre, kit, gateway = pair
    reference = at.send(kit, GATEWAY, "PNT1 id=kit-1 n=1 mac=0123456789abcdef")
    assert reference == 1
    assert at.list_stored(gateway) == []  # the centre holds it for delay_s
    clock.advance(5.0)
    (index,) = _wait_for_indication(gateway)
    (stored,) = at.list_stored(gateway)
    assert stored.index == index and stored.received and stored.error is None
    assert stored.message is not None
    assert stored.message.text == "PNT1 id=kit-1 n=1 mac=0123456789abcdef"
    assert str(stored.message.originator) == KIT
    again = at.read(gateway, index)
    assert again is not None and again.message == stored.message and again.stat == at.REC_READ
    at.delete(gateway, index)
    assert at.list_stored(gateway) == [] and at.read(gateway, index) is None
    assert (centre.submitted, centre.delivered, centre.lost) == (1, 1, 0)


def test_injected_message_from_a_name(pair: tuple[SmsCentre, AtPort, AtPort]) -> None:
    centre, _, gateway = pair
    centre.inject(GATEWAY, "TSEL", "Kuota Anda hampir habis")
    _wait_for_indication(gateway)
    (stored,) = at.list_stored(gateway)
    assert stored.message is not None and stored.message.originator.value == "TSEL"


def test_no_registration_no_sms() -> None:
    centre = SmsCentre()
    searching = Scenario.from_dict(
        {"steps": [{"at_s": 0, "rat": "none", "reg_state": "searching"}]}
    )
    kit = SimModem(searching, sms=centre.attach(KIT))
    with kit, AtPort(kit.start()) as port:
        port.setup()
        at.prepare(port)
        with pytest.raises(CommandFailed, match="331"):
            at.send(port, GATEWAY, "hello")
    assert centre.submitted == 0


def test_loss_is_counted_and_repeatable(clock: FakeClock) -> None:
    centre = SmsCentre(loss=1.0, clock=clock)
    centre.attach(GATEWAY)
    with _modem("strong-lte", centre, KIT) as kit, AtPort(kit.start()) as port:
        port.setup()
        at.prepare(port)
        at.send(port, GATEWAY, "lost")
    centre.pump()
    assert (centre.submitted, centre.delivered, centre.lost) == (1, 0, 1)


def test_centre_refusals() -> None:
    with pytest.raises(ValueError, match="loss=2: expected a probability"):
        SmsCentre(loss=2)
    with pytest.raises(ValueError, match="delay_s=-1: expected >= 0"):
        SmsCentre(delay_s=-1)
