"""Scenarios for the simulated modem: a TOML time series of radio states.

::

    name = "weak-signal"            # optional (default: the file's stem)
    description = "..."             # optional
    loop = true                     # optional; needs duration_s
    duration_s = 60                 # optional; > the last at_s

    [identity]                      # optional; every key optional
    manufacturer = "Quectel"        # default: the dialect's (see agent.sim.modem)
    model = "EC25"
    firmware = "EC25EFAR06A06M4G"
    imei = "867698041234567"
    imsi = "510010123456789"
    iccid = "8962010123456789012"

    [[steps]]
    at_s = 0                        # seconds since start; first step at 0, increasing
    rat = "lte"                     # agent.modem.model.RATS
    reg_state = "home"              # agent.modem.model.REG_STATES
    sim_state = "ready"             # ready, absent, pin, puk
    mcc = "510"
    mnc = "01"
    rsrp_dbm = -95
    lat_deg = -6.2088                # GNSS position, signed decimal degrees (S and W
    lon_deg = 106.8456               # negative); both or neither; absent: no fix
    gnss_fix = false                 # optional: the fix is lost (position kept for later)
    neighbours = [                   # optional: cells the modem hears (default: none);
      { rat = "lte", pci = 124, earfcn = 1850, rsrp_dbm = -98, rsrq_db = -11 },
      { rat = "umts", psc = 310, uarfcn = 10737, rscp_dbm = -89, ecio_db = -9 },
    ]                                # keys: NEIGHBOUR_KEYS; intra/inter by channel
    carriers = [                     # optional: secondary carriers (the primary is the
      { rat = "lte", band = 1, earfcn = 275, bandwidth_mhz = 15, pci = 280 },
    ]                                # serving cell; NSA adds its NR carrier itself)
    # ... see STEP_KEYS; faults: answer_delay_s (with delay_commands = ["AT+CSQ"] only
    # those commands are slow; [] means all), urc_per_s, garbage_bytes, and
    # vanish_s = 10: the port disappears at this step for 10 s (not carried forward)

Values persist until a later step changes them (a step function, no interpolation).
Errors raise :class:`ScenarioError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.modem.model import RATS, REG_STATES, CarrierComponent, NeighbourCell

SIM_STATES_SIMULATED: tuple[str, ...] = ("ready", "absent", "pin", "puk")


class ScenarioError(AgentError, ValueError):
    """A scenario file or dict is invalid; the message names file, key and expectation."""


@dataclass(frozen=True, slots=True)
class RadioState:
    """What the simulated modem reports at one moment (None: not reported)."""

    rat: str = "lte"
    reg_state: str = "home"
    sim_state: str = "ready"
    mcc: str = "510"
    mnc: str = "10"
    lac: int | None = None
    tac: int | None = None
    cell_id: int | None = None
    pci: int | None = None
    earfcn: int | None = None
    band: int | None = None
    rssi_dbm: float | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    rscp_dbm: float | None = None
    ecio_db: float | None = None
    # The NR leg of a 5G NSA connection (rat "nr5g-nsa"; the fields above are the LTE
    # anchor's): its own PCI, NR-ARFCN and band, and its levels.
    nr_pci: int | None = None
    nr_arfcn: int | None = None
    nr_band: int | None = None
    nr_rsrp_dbm: float | None = None
    nr_rsrq_db: float | None = None
    nr_sinr_db: float | None = None
    lat_deg: float | None = None  # GNSS position (signed decimal degrees, WGS84)
    lon_deg: float | None = None
    bandwidth_mhz: float | None = None  # the serving (primary) carrier's; None: 20 MHz
    neighbours: tuple[NeighbourCell, ...] = ()  # the cells the modem hears
    carriers: tuple[CarrierComponent, ...] = ()  # secondary carriers (SCCs)
    gnss_fix: bool = True  # False: the receiver lost its fix (the position is kept)
    # Faults.
    answer_delay_s: float = 0.0  # wait before answering each command
    urc_per_s: float = 0.0  # unsolicited +CEREG lines per second (also mid-response)
    garbage_bytes: int = 0  # junk bytes (non-ASCII, NUL) sent before each answer
    delay_commands: tuple[str, ...] = ()  # answer_delay_s only for these prefixes (): all


@dataclass(frozen=True, slots=True)
class ScenarioIdentity:
    """The modem's identity; None means "the dialect's default"."""

    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    imei: str = "867698041234560"
    imsi: str = "510101234567890"
    iccid: str = "8962101234567890123"


def _choice(options: tuple[str, ...]) -> tuple[str, str]:
    return ("choice", ",".join(options))


# key -> (kind, detail). kinds: choice, digits, int, number, bool, commands.
STEP_KEYS: dict[str, tuple[str, Any]] = {
    "rat": _choice(RATS),
    "reg_state": _choice(REG_STATES),
    "sim_state": _choice(SIM_STATES_SIMULATED),
    "mcc": ("digits", (3, 3)),
    "mnc": ("digits", (2, 3)),
    "lac": ("int", (0, 0xFFFF)),
    "tac": ("int", (0, 0xFFFFFF)),
    "cell_id": ("int", (0, 2**36 - 1)),
    "pci": ("int", (0, 1007)),
    "earfcn": ("int", (0, 262143)),
    "band": ("int", (1, 256)),
    "rssi_dbm": ("number", (-113, -51, "dBm")),
    "rsrp_dbm": ("number", (-141, -44, "dBm")),
    "rsrq_db": ("number", (-20, -3, "dB")),
    "sinr_db": ("number", (-20, 40, "dB")),
    "rscp_dbm": ("number", (-121, -25, "dBm")),
    "ecio_db": ("number", (-24.5, 0, "dB")),
    "nr_pci": ("int", (0, 1007)),
    "nr_arfcn": ("int", (0, 3279165)),
    "nr_band": ("int", (1, 1024)),
    "nr_rsrp_dbm": ("number", (-156, -31, "dBm")),
    "nr_rsrq_db": ("number", (-43, 20, "dB")),
    "nr_sinr_db": ("number", (-23, 40, "dB")),
    "bandwidth_mhz": ("number", (1.4, 400, "MHz")),
    "neighbours": ("cells", "neighbour"),
    "carriers": ("cells", "carrier"),
    "lat_deg": ("number", (-90, 90, "degrees")),
    "lon_deg": ("number", (-180, 180, "degrees")),
    "gnss_fix": ("bool", None),
    "answer_delay_s": ("number", (0, 30, "s")),
    "urc_per_s": ("number", (0, 100, "per s")),
    "garbage_bytes": ("int", (0, 1024)),
    "delay_commands": ("commands", None),
    "vanish_s": ("number", (0, 3600, "s")),
}
#: Keys of one ``neighbours`` / ``carriers`` table (kind and detail as in STEP_KEYS).
NEIGHBOUR_KEYS: dict[str, tuple[str, Any]] = {
    "rat": ("choice", "lte,umts,gsm"),
    "pci": ("int", (0, 503)),
    "psc": ("int", (0, 511)),
    "earfcn": ("int", (0, 262143)),
    "uarfcn": ("int", (0, 16383)),
    "arfcn": ("int", (0, 1023)),
    "lac": ("int", (0, 0xFFFF)),
    "cell_id": ("int", (0, 0xFFFF)),
    "rsrp_dbm": ("number", (-140, -44, "dBm")),
    "rsrq_db": ("number", (-20, -3, "dB")),
    "rssi_dbm": ("number", (-110, -48, "dBm")),
    "sinr_db": ("number", (-20, 40, "dB")),
    "rscp_dbm": ("number", (-120, -25, "dBm")),
    "ecio_db": ("number", (-24, 0, "dB")),
}
CARRIER_KEYS: dict[str, tuple[str, Any]] = {
    "rat": ("choice", "lte,nr"),
    "band": ("int", (1, 1024)),
    "earfcn": ("int", (0, 262143)),
    "arfcn": ("int", (0, 3279165)),
    "bandwidth_mhz": ("choice", "1.4,3,5,10,15,20,25,30,40,50,60,70,80,90,100,200,400"),
    "pci": ("int", (0, 1007)),
    "rsrp_dbm": ("number", (-140, -44, "dBm")),
    "rsrq_db": ("number", (-20, -3, "dB")),
    "rssi_dbm": ("number", (-110, -48, "dBm")),
    "sinr_db": ("number", (-20, 40, "dB")),
}
_TOP_KEYS = ("name", "description", "loop", "duration_s", "identity", "steps")
_IDENTITY_KEYS = tuple(f.name for f in fields(ScenarioIdentity))


def _cells(where: str, key: str, value: object) -> tuple[object, ...]:
    """A ``neighbours`` / ``carriers`` list of tables, each validated."""
    table = NEIGHBOUR_KEYS if key == "neighbours" else CARRIER_KEYS
    if not isinstance(value, list):
        raise ScenarioError(f"{where}.{key}: expected a list of tables, got {value!r}")
    out: list[object] = []
    for i, item in enumerate(value):
        at = f"{where}.{key}[{i}]"
        if not isinstance(item, Mapping):
            raise ScenarioError(f"{at}: expected a table, got {item!r}")
        _unknown(at, item, tuple(table))
        if "rat" not in item:
            raise ScenarioError(f"{at}.rat: missing (expected one of {table['rat'][1]})")
        got = {k: _check(at, k, v, table) for k, v in item.items()}
        if key == "neighbours":
            out.append(NeighbourCell(**got))  # type: ignore[arg-type]
        else:
            if "bandwidth_mhz" in got:
                got["bandwidth_mhz"] = float(str(got["bandwidth_mhz"]))
            out.append(CarrierComponent(primary=False, **got))  # type: ignore[arg-type]
    return tuple(out)


def _check(
    where: str, key: str, value: object, table: dict[str, tuple[str, Any]] = STEP_KEYS
) -> object:
    kind, detail = table[key]
    if kind == "cells":
        return _cells(where, key, value)
    if kind == "commands":
        if not isinstance(value, list) or not all(
            isinstance(c, str) and c.upper().startswith("AT") for c in value
        ):
            raise ScenarioError(
                f'{where}.{key}: expected a list of AT command prefixes (e.g. ["AT+CSQ"]), '
                f"got {value!r}"
            )
        return tuple(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ScenarioError(f"{where}.{key}: expected true or false, got {value!r}")
        return value
    if kind == "choice":
        options = tuple(detail.split(","))
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = f"{value:g}"  # a bandwidth written as a number
        if not isinstance(value, str) or value not in options:
            raise ScenarioError(f"{where}.{key}: expected one of {options}, got {value!r}")
        return value
    if kind == "digits":
        lo, hi = detail
        if not (isinstance(value, str) and value.isdigit() and lo <= len(value) <= hi):
            size = f"{lo}" if lo == hi else f"{lo} or {hi}"
            raise ScenarioError(
                f'{where}.{key}: expected a string of {size} digits (e.g. "510"), got {value!r}'
            )
        return value
    if kind == "int":
        lo, hi = detail
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ScenarioError(
                f"{where}.{key}: expected an integer from {lo} to {hi}, got {value!r}"
            )
        return value
    lo, hi, unit = detail
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ScenarioError(
            f"{where}.{key}: expected a number from {lo} to {hi} {unit}, got {value!r}"
        )
    return float(value)


def _unknown(where: str, keys: object, allowed: tuple[str, ...]) -> None:
    assert isinstance(keys, Mapping)
    for key in keys:
        if key not in allowed:
            raise ScenarioError(
                f"{where}: unknown key {key!r} (expected one of: {', '.join(allowed)})"
            )


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario; use :func:`load_scenario` or :meth:`from_dict`."""

    name: str
    description: str
    identity: ScenarioIdentity
    step_times_s: tuple[float, ...]
    states: tuple[RadioState, ...]  # the cumulative state from each step on
    loop: bool = False
    duration_s: float | None = None
    vanish_windows_s: tuple[tuple[float, float], ...] = ()  # (start, end) port gone

    def _local_time(self, t_s: float) -> float:
        t_s = max(t_s, 0.0)
        if self.loop and self.duration_s:
            t_s %= self.duration_s
        return t_s

    def port_gone(self, t_s: float) -> bool:
        """True while a ``vanish_s`` fault has the port unplugged."""
        t_s = self._local_time(t_s)
        return any(start <= t_s < end for start, end in self.vanish_windows_s)

    def state_at(self, t_s: float) -> RadioState:
        """The state ``t_s`` seconds after start (wrapping when ``loop``; the first
        state before 0)."""
        t_s = self._local_time(t_s)
        index = bisect.bisect_right(self.step_times_s, t_s) - 1
        return self.states[max(index, 0)]

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, source: str = "<dict>") -> Scenario:
        """Validate a parsed scenario; errors are prefixed with ``source``."""
        _unknown(source, data, _TOP_KEYS)
        name = data.get("name", Path(source).stem)
        description = data.get("description", "")
        if not isinstance(name, str) or not isinstance(description, str):
            raise ScenarioError(f"{source}: name and description: expected strings")
        loop = data.get("loop", False)
        if not isinstance(loop, bool):
            raise ScenarioError(f"{source}: loop: expected true or false, got {loop!r}")
        identity = _identity(source, data.get("identity", {}))
        steps = data.get("steps")
        if not isinstance(steps, list) or not steps:
            raise ScenarioError(
                f"{source}: steps: expected at least one [[steps]] table with at_s = 0"
            )
        times: list[float] = []
        states: list[RadioState] = []
        windows: list[tuple[float, float]] = []
        state = RadioState()
        for i, step in enumerate(steps):
            where = f"{source}: steps[{i}]"
            if not isinstance(step, Mapping):
                raise ScenarioError(f"{where}: expected a table, got {step!r}")
            _unknown(where, step, ("at_s", *STEP_KEYS))
            at_s = step.get("at_s")
            if isinstance(at_s, bool) or not isinstance(at_s, int | float) or at_s < 0:
                raise ScenarioError(
                    f"{where}.at_s: expected a number of seconds >= 0, got {at_s!r}"
                )
            if i == 0 and at_s != 0:
                raise ScenarioError(f"{where}.at_s: the first step must be at 0, got {at_s!r}")
            if times and at_s <= times[-1]:
                raise ScenarioError(
                    f"{where}.at_s: expected more than the previous step's {times[-1]:g}, "
                    f"got {at_s!r}"
                )
            changes = {k: _check(where, k, v) for k, v in step.items() if k != "at_s"}
            vanish = changes.pop("vanish_s", None)
            if isinstance(vanish, float) and vanish > 0:
                windows.append((float(at_s), float(at_s) + vanish))
            state = replace(state, **changes)  # type: ignore[arg-type]
            if (state.lat_deg is None) != (state.lon_deg is None):
                raise ScenarioError(
                    f"{where}: lat_deg and lon_deg go together: expected both or neither, "
                    f"got lat_deg={state.lat_deg!r}, lon_deg={state.lon_deg!r}"
                )
            times.append(float(at_s))
            states.append(state)
        duration = data.get("duration_s")
        if duration is not None and (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or duration <= times[-1]
        ):
            raise ScenarioError(
                f"{source}: duration_s: expected a number greater than the last at_s "
                f"({times[-1]:g}), got {duration!r}"
            )
        if loop and duration is None:
            raise ScenarioError(f"{source}: loop = true needs duration_s (the loop's length)")
        return cls(
            name=name,
            description=description,
            identity=identity,
            step_times_s=tuple(times),
            states=tuple(states),
            loop=loop,
            duration_s=None if duration is None else float(duration),
            vanish_windows_s=tuple(windows),
        )


def _identity(source: str, data: object) -> ScenarioIdentity:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: identity: expected a table, got {data!r}")
    _unknown(f"{source}: identity", data, _IDENTITY_KEYS)
    for key, value in data.items():
        if not isinstance(value, str) or not value:
            raise ScenarioError(
                f"{source}: identity.{key}: expected a non-empty string, got {value!r}"
            )
    for key, lo, hi in (("imei", 14, 17), ("imsi", 6, 15), ("iccid", 18, 22)):
        value = data.get(key)
        if value is not None and not (value.isdigit() and lo <= len(value) <= hi):
            raise ScenarioError(
                f"{source}: identity.{key}: expected {lo} to {hi} digits, got {value!r}"
            )
    return ScenarioIdentity(**data)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises ScenarioError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc
    return Scenario.from_dict(data, source=str(path))


def bundled_scenario(name: str) -> Path:
    """Path of a demo scenario shipped in agent/sim/scenarios (e.g. "strong-lte")."""
    path = Path(__file__).parent / "scenarios" / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(f"{path}: no bundled scenario named {name!r}")
    return path
