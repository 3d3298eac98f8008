"""Several simulated modems at once, as in a kit with a modem per operator.

``SimKit([SimSlot("tsel", scenario), ...])`` serves each slot's scenario on its own
pty (a :class:`~agent.sim.modem.SimModem` each, in its own thread, with its own
scenario clock and faults), and :meth:`SimKit.modems_toml` writes the agent's
``[[modems]]`` tables for them. With ``link_dir`` each modem keeps a stable symlink
there (``<link_dir>/<name>``, like ``/dev/serial/by-id``) that survives its vanish
fault; :meth:`SimKit.unplug` takes one modem's port away for good, as when its USB
cable is pulled.

``pantau-agent sim-kit --modem tsel=strong-lte:quectel --modem isat=indosat-fading
--modem xl=xl-no-service`` (:func:`serve_kit_cli`) serves such a kit until a signal
and prints its ``[[modems]]`` tables, ready for an agent config; a scenario is a
bundled name (:func:`agent.sim.scenario.bundled_scenario`) or a TOML file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from agent.sim.modem import SimModem
from agent.sim.responder import DIALECT_IDENTITY
from agent.sim.scenario import Scenario, ScenarioError, bundled_scenario, load_scenario

#: A kit holds at most this many modems (the agent's ``[[modems]]`` bound).
MAX_SLOTS = 3


@dataclass(frozen=True, slots=True)
class SimSlot:
    """One simulated modem of the kit: its kit-local name, scenario and dialect."""

    name: str
    scenario: Scenario
    dialect: str = "3gpp"


class SimKit:
    """Serve every slot on its own port; see the module docstring."""

    def __init__(
        self,
        slots: Sequence[SimSlot],
        *,
        link_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [slot.name for slot in slots]
        if not 1 <= len(slots) <= MAX_SLOTS:
            raise ValueError(f"a kit holds 1 to {MAX_SLOTS} modems, got {len(slots)}")
        if len(set(names)) != len(names):
            raise ValueError(f"modem names must differ, got {names}")
        self.slots = tuple(slots)
        self.link_dir = link_dir
        self.modems: dict[str, SimModem] = {}
        for slot in slots:
            link = None if link_dir is None else link_dir / slot.name
            self.modems[slot.name] = SimModem(
                slot.scenario, slot.dialect, clock=clock, link_path=link
            )

    def start(self) -> dict[str, str]:
        """Start every modem; returns each one's port (its link when ``link_dir``)."""
        ports: dict[str, str] = {}
        try:
            for name, modem in self.modems.items():
                path = modem.start()
                ports[name] = path if modem.link_path is None else str(modem.link_path)
        except BaseException:
            self.stop()
            raise
        return ports

    def unplug(self, name: str) -> None:
        """Take modem ``name``'s port away for good (its pty closes, its link goes)."""
        self.modems[name].stop()

    def stop(self) -> None:
        for modem in self.modems.values():
            modem.stop()

    def modems_toml(
        self,
        ports: Mapping[str, str],
        *,
        interfaces: Mapping[str, str] | None = None,
        interval_s: float = 30.0,
    ) -> str:
        """The agent's ``[[modems]]`` tables for these modems on ``ports``, each bound
        to its entry of ``interfaces`` (none: the default route)."""
        tables = []
        for slot in self.slots:
            lines = [
                "[[modems]]",
                f'name = "{slot.name}"',
                f'port = "{ports[slot.name]}"',
                f'dialect = "{slot.dialect}"',
                f"interval_s = {interval_s}",
            ]
            interface = (interfaces or {}).get(slot.name)
            if interface:
                lines.append(f'interface = "{interface}"')
            tables.append("\n".join(lines) + "\n")
        return "\n".join(tables)

    def __enter__(self) -> SimKit:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def parse_slot(text: str) -> SimSlot:
    """``NAME=SCENARIO[:DIALECT]`` (``tsel=strong-lte:quectel``) -> a slot; the
    scenario is a bundled name or a TOML file. Raises ValueError or ScenarioError."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise ValueError(f"--modem {text!r}: expected NAME=SCENARIO[:DIALECT]")
    scenario, _, dialect = rest.partition(":")
    dialect = dialect or "3gpp"
    if dialect not in DIALECT_IDENTITY:
        raise ValueError(f"--modem {text!r}: dialect {dialect!r} is not one of "
                         f"{', '.join(DIALECT_IDENTITY)}")  # fmt: skip
    path = Path(scenario) if scenario.endswith(".toml") else bundled_scenario(scenario)
    return SimSlot(name, load_scenario(path), dialect)


def serve_kit_cli(specs: Sequence[str], link_dir: str | None = None) -> int:
    """Serve the modems ``specs`` name until SIGINT/SIGTERM; print their ``[[modems]]``
    tables. Returns 0 after a signal, 2 on a bad spec (message on stderr)."""
    import signal
    import sys
    import threading

    try:
        kit = SimKit(
            [parse_slot(spec) for spec in specs],
            link_dir=None if link_dir is None else Path(link_dir),
        )
    except (ScenarioError, ValueError) as exc:
        print(f"pantau-agent sim-kit: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: done.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        ports = kit.start()
        print(kit.modems_toml(ports), flush=True)
        while not done.wait(0.5):
            pass
    finally:
        kit.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
