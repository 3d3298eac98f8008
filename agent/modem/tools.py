"""Field tools: ``pantau-agent modem read`` and ``pantau-agent modem detect``.

``read`` opens the port, sets it up and prints the identity and one reading, as a table
with RSRP / SINR grades (excellent / good / fair / poor, the LTE thresholds field teams
use) or as JSON keyed by the ``pantau.v1.SignalReading`` field names.

``detect`` probes candidate ports with a short ``AT`` and reports which answer, which
is the AT port (it answers ``AT+CGMM`` with a model) and which are held by ModemManager
(those are not probed), with the ``usb:VID:PID:ifNN`` identity to put in the config.

Exit codes: 0 success; 1 the modem could not be read / no AT port found (the message
says why and what to do, no traceback); 2 bad usage. Only the handlers import the modem
layer (and so pyserial): building the CLI stays cheap.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.modem.dialects import DIALECTS

if TYPE_CHECKING:
    from agent.i18n import Messages

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_CANDIDATES: tuple[str, ...] = ("/dev/ttyUSB*", "/dev/ttyACM*", "/dev/wwan*at*")

#: (lower bound, grade), best first: RSRP dBm and SINR dB for LTE (FIELD.md).
RSRP_GRADES: tuple[tuple[float, str], ...] = ((-80, "excellent"), (-90, "good"), (-100, "fair"))
SINR_GRADES: tuple[tuple[float, str], ...] = ((20, "excellent"), (13, "good"), (0, "fair"))

#: Reading fields shown in the table, with their unit.
_UNITS: dict[str, str] = {
    "rssi_dbm": "dBm",
    "rsrp_dbm": "dBm",
    "rsrq_db": "dB",
    "sinr_db": "dB",
    "rscp_dbm": "dBm",
    "ecio_db": "dB",
    "ber_percent": "%",
    "nr_rsrp_dbm": "dBm",
    "nr_rsrq_db": "dB",
    "nr_sinr_db": "dB",
    "lat_deg": "deg",
    "lon_deg": "deg",
}
_HEX_FIELDS = frozenset({"lac", "tac", "cell_id"})


def _grade(value: float | None, grades: tuple[tuple[float, str], ...]) -> str | None:
    if value is None:
        return None
    return next((name for bound, name in grades if value >= bound), "poor")


def grade_rsrp(rsrp_dbm: float | None) -> str | None:
    """>= -80 excellent, -80..-90 good, -90..-100 fair, < -100 poor."""
    return _grade(rsrp_dbm, RSRP_GRADES)


def grade_sinr(sinr_db: float | None) -> str | None:
    """>= 20 excellent, 13..20 good, 0..13 fair, < 0 poor."""
    return _grade(sinr_db, SINR_GRADES)


def add_parsers(commands: Any) -> None:
    """Add ``read`` and ``detect`` to the ``modem`` command group's sub-parsers."""
    read = commands.add_parser(
        "read",
        help="read the modem once: identity and signal",
        description="Open the modem's AT port, print its identity and one reading.",
    )
    read.add_argument(
        "--port",
        required=True,
        help="pyserial URL (/dev/ttyUSB2, socket://host:port) or usb:VID:PID:ifNN",
    )
    read.add_argument("--dialect", default="auto", choices=["auto", *DIALECTS])
    read.add_argument("--json", action="store_true", help="print JSON instead of a table")
    read.add_argument("--timeout", type=float, default=3.0, help="command timeout, s")
    read.add_argument("--lang", help="id or en (default: from the locale)")
    read.set_defaults(handler=cmd_read)

    detect = commands.add_parser(
        "detect",
        help="find the modem's AT port",
        description="Probe serial ports with AT and AT+CGMM; report the AT port.",
    )
    detect.add_argument(
        "--candidates",
        nargs="+",
        metavar="PATH",
        help="ports or globs to probe (default: /dev/ttyUSB* /dev/ttyACM* /dev/wwan*at* and "
        "every USB tty in sysfs)",
    )
    detect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    detect.add_argument("--timeout", type=float, default=0.5, help="per-command timeout, s")
    detect.add_argument("--sysfs-root", type=Path, default=Path("/sys"), help=argparse.SUPPRESS)
    detect.add_argument("--lang", help="id or en (default: from the locale)")
    detect.set_defaults(handler=cmd_detect)


# -- read ------------------------------------------------------------------------------


def _messages(args: argparse.Namespace) -> Messages | None:
    """The technician's language (``--lang``, else the locale); None for a bad --lang."""
    from agent.i18n import Messages

    try:
        return Messages(getattr(args, "lang", None))
    except ValueError as exc:
        print(f"pantau-agent modem: {exc}", file=sys.stderr)
        return None


def _fail(m: Messages, command: str, port: str, exc: BaseException) -> int:
    """The failure: English as the modem layer words it (it names the port); other
    languages name the port, then the failure in words."""
    from agent.i18n import Localized

    error = str(exc) if m.lang == "en" else Localized(f"{port}: {m.technical(str(exc))}")
    print(m("modem.error", command=command, error=error), file=sys.stderr)
    return EXIT_FAILURE


def cmd_read(args: argparse.Namespace) -> int:
    from agent.i18n import Detail
    from agent.modem.errors import ModemError
    from agent.modem.reader import Modem

    m = _messages(args)
    if m is None:
        return EXIT_USAGE
    try:
        modem = Modem(args.port, dialect=args.dialect, command_timeout_s=args.timeout)
    except ValueError as exc:  # a bad --port: its own words name what is wrong
        print(m("modem.error", command="read", error=Detail(str(exc))), file=sys.stderr)
        return EXIT_USAGE
    try:
        with modem:
            sample = modem.read_signal()
            identity = modem.identity
            device = modem.port.device
    except ModemError as exc:
        return _fail(m, "read", args.port, exc)
    assert identity is not None
    from agent.tech.cells_view import cell_rows, cells_json

    cells = cells_json(sample)
    reading = {
        k: v
        for k, v in asdict(sample).items()
        if v is not None and k not in ("neighbours", "carriers")
    }
    ident = {k: v for k, v in asdict(identity).items() if v is not None}
    grades = {
        k: g
        for k, g in (("rsrp", grade_rsrp(sample.rsrp_dbm)), ("sinr", grade_sinr(sample.sinr_db)))
        if g is not None
    }
    if args.json:
        doc = {"port": args.port, "device": device, "identity": ident, "reading": reading}
        print(json.dumps({**doc, "cells": cells, "grades": grades}, indent=2))
        return EXIT_OK
    words = {k: m(f"check.grade.{g}") for k, g in grades.items()}  # in the reader's language
    extra = cell_rows(cells, m) if cells["serving"]["rat"] else []
    print(format_read(args.port, device, ident, reading, words, cells=extra))
    return EXIT_OK


def _value(name: str, value: object) -> str:
    if name in _HEX_FIELDS and isinstance(value, int):
        return f"{value} (0x{value:X})"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_read(
    port: str,
    device: str | None,
    identity: dict[str, Any],
    reading: dict[str, Any],
    grades: dict[str, str],
    *,
    cells: list[tuple[str, str]] | None = None,
) -> str:
    """The human table for ``modem read``; ``cells`` are the cell, neighbour and carrier
    rows (:func:`agent.tech.cells_view.cell_rows`), after a blank line."""
    rows: list[tuple[str, str, str]] = []
    where = port if device in (None, port) else f"{port} -> {device}"
    rows.append(("port", where, ""))
    for name in ("manufacturer", "model", "firmware", "imei", "imsi", "iccid", "dialect"):
        if name in identity:
            rows.append((name, str(identity[name]), ""))
    rows.append(("", "", ""))
    for name, value in reading.items():
        if name == "dialect":
            continue
        unit = _UNITS.get(name, "")
        text = _value(name, value) + (f" {unit}" if unit else "")
        grade = {"rsrp_dbm": grades.get("rsrp"), "sinr_db": grades.get("sinr")}.get(name)
        rows.append((name, text, grade or ""))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    text = "\n".join(f"{n:<{width}}  {v:<{vwidth}}  {g}".rstrip() for n, v, g in rows)
    if cells:
        cwidth = max(len(label) for label, _ in cells)
        text += "\n\n" + "\n".join(f"{label:<{cwidth}}  {value}" for label, value in cells)
    return text


# -- detect ----------------------------------------------------------------------------


@dataclass(slots=True)
class Probe:
    """What ``detect`` learned about one port."""

    device: str
    usb: str | None = None  # usb:VID:PID:ifNN@PATH
    driver: str | None = None
    answers_at: bool = False
    model: str | None = None
    held_by: str | None = None
    error: str | None = None

    @property
    def is_at_port(self) -> bool:
        return self.answers_at and self.model is not None


def _candidates(args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    from agent.modem import usb

    ttys = usb.list_usb_ttys(args.sysfs_root)
    by_device = {t.device: t for t in ttys}
    patterns = args.candidates or list(DEFAULT_CANDIDATES)
    paths: list[str] = []
    for pattern in patterns:
        matched = [pattern]
        if glob.has_magic(pattern):
            matched = sorted(glob.glob(pattern))  # noqa: PTH207 (absolute patterns)
        paths += [p for p in matched if p not in paths]
    if not args.candidates:
        paths += [t.device for t in ttys if t.device not in paths]
    return paths, by_device


def probe_port(device: str, timeout_s: float) -> Probe:
    """Probe one port: who holds it, does it answer AT, does it name a model."""
    from agent.modem import usb
    from agent.modem.driver import AtPort
    from agent.modem.errors import ModemError, PortBusy

    probe = Probe(device)
    holder = usb.modem_manager_holder(device)
    if holder is not None:
        probe.held_by = str(holder)
        return probe  # probing would fight ModemManager for the answers
    port = AtPort(device, command_timeout_s=timeout_s, retry_delays_s=(), resolve=str)
    try:
        port.open()
        probe.answers_at = port.exchange("AT").final.ok
        if probe.answers_at:
            response = port.exchange("AT+CGMM")
            if response.final.ok and response.lines:
                probe.model = response.lines[0]
    except PortBusy:
        holders = usb.port_holders(device, exclude_pid=os.getpid())
        probe.held_by = ", ".join(map(str, holders)) or "another process"
    except ModemError as exc:
        probe.error = _short(exc)
    finally:
        port.close()
    return probe


def _short(exc: BaseException) -> str:
    """The failure in English (the JSON's ``error``; the table says it in words)."""
    from agent.modem.errors import ModemTimeout, PortUnavailable

    if isinstance(exc, ModemTimeout):
        return "no answer to AT"
    if isinstance(exc, PortUnavailable):
        return f"cannot open: {exc.detail}"
    return str(exc)


def cmd_detect(args: argparse.Namespace) -> int:
    m = _messages(args)
    if m is None:
        return EXIT_USAGE
    paths, by_device = _candidates(args)
    probes: list[Probe] = []
    for path in paths:
        probe = probe_port(path, args.timeout)
        tty = by_device.get(path)
        if tty is not None:
            probe.usb = f"{tty.identity}@{tty.usb_path}"
            probe.driver = tty.driver
        probes.append(probe)
    at_ports = [p for p in probes if p.is_at_port]
    if args.json:
        print(json.dumps({"ports": [asdict(p) for p in probes]}, indent=2))
    else:
        print(format_detect(probes, m))
    return EXIT_OK if at_ports else EXIT_FAILURE


def format_detect(probes: list[Probe], m: Messages | None = None) -> str:
    """The human report for ``modem detect`` (English without ``m``)."""
    from agent.i18n import Localized, Messages

    m = m or Messages("en")
    if not probes:
        return m("modem.detect.none")
    lines = []
    for p in probes:
        if p.held_by:
            holder = p.held_by
            if holder == "another process":
                holder = m("modem.detect.another_process")
            status = m("modem.detect.held", holder=holder)
        elif p.is_at_port:
            status = m("modem.detect.at_port", model=p.model)
        elif p.answers_at:
            status = m("modem.detect.answers")
        elif p.error and p.error != "no answer to AT":
            status = m("modem.detect.failed", error=p.error)
        else:
            status = m("modem.detect.no_answer")
        usb = f"  [{p.usb}{', ' + p.driver if p.driver else ''}]" if p.usb else ""
        lines.append(f"{p.device}{usb}: {Localized(status)}")
    at_ports = [p for p in probes if p.is_at_port]
    for p in at_ports:
        name = p.usb.split("@", 1)[0] if p.usb else p.device
        lines.append("\n" + m("modem.detect.configure", name=name, device=p.device, model=p.model))
    if any(p.held_by and "ModemManager" in p.held_by for p in probes):
        lines.append("\n" + m("modem.detect.modemmanager"))
    if not at_ports:
        lines.append("\n" + m("modem.detect.no_model"))
    return "\n".join(lines)
