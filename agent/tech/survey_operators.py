"""``pantau-agent survey`` on a kit with a modem per operator: every modem read at each
step of the walk, and at the end each operator side by side with the one to use here.

Every ``[[modems]]`` entry is opened (GNSS on, as a one-modem survey); a modem that
cannot be opened is a row saying so in the side-by-side block, and the others go on.
Every ``interval_s`` each open modem is read in turn; a reading is a screen line
starting with the modem's name, a CSV row and (with a fix) a GeoJSON feature, both
files with a ``modem`` column / property before the one-modem survey's columns
(:data:`COLUMNS`). With ``--upload`` each reading is queued in the spool as the agent
queues it (``Record.modem``: the modem's name and its SIM's network).

At the end each modem is summarised with :func:`agent.tech.operators.summarise` (the
coverage classes the collector uses, over every reading of the walk) and
:func:`agent.tech.operators.recommend` picks the operator for the site.

``--json``: ``{"type": "reading", "modem", ...the columns}`` per reading, an
``{"type": "error", ...}`` line if an output failed (as a one-modem survey), then
``{"type": "summary", "readings", "with_fix", "without_fix", "queued", "geojson",
"csv", "errors", "operators": {"modems": [...], "recommended", "recommended_network",
"recommendation"}}`` (``operators`` as ``check --json`` gives it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from agent.config import ModemSection
from agent.i18n import Messages
from agent.tech import operators
from agent.tech.pacing import Pacer
from agent.tech.survey import COLUMNS as ONE_MODEM_COLUMNS
from agent.tech.survey import PROPERTIES as ONE_MODEM_PROPERTIES
from agent.tech.survey import SurveyOptions, SurveyStop, failure_lines, reading_line, row_of
from agent.tech.survey import output_paths as survey_paths
from agent.tech.survey_files import CsvWriter, GeoJsonWriter, SurveyFileError

#: The CSV columns (and, without lat/lon, the GeoJSON properties) of a kit's survey.
COLUMNS: tuple[str, ...] = ("modem", *ONE_MODEM_COLUMNS)
PROPERTIES: tuple[str, ...] = ("modem", *ONE_MODEM_PROPERTIES)


@dataclass(slots=True)
class _Open:
    """One modem of the kit during the walk: its reader, identity and readings."""

    config: ModemSection
    reader: Any
    identity: Any
    readings: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Outputs:
    geo: GeoJsonWriter | None = None
    table: CsvWriter | None = None
    spool: Any = None
    queued: int = 0

    def store(self, row: dict[str, Any], sample: Any, modem: _Open) -> None:
        """Raises SurveyFileError, SpoolError."""
        if self.table is not None:
            self.table.add(row)
        if self.spool is not None:
            _queue(self.spool, sample, modem)
            self.queued += 1
        if self.geo is not None and row["lat"] is not None and row["lon"] is not None:
            self.geo.add(row)

    def close(self) -> None:
        for closing in (self.geo, self.table, self.spool):
            if closing is not None:
                closing.close()


def _queue(spool: Any, sample: Any, modem: _Open) -> None:
    from agent import clock
    from agent.modem.model import signal_to_proto
    from agent.modem.monitor import sim_network
    from agent.records import PRIORITY, make_record
    from pantau.v1 import records_pb2

    body = signal_to_proto(sample)
    network = sim_network(modem.identity, body)
    which = records_pb2.RecordModem(name=modem.config.name, network=network)
    record = make_record(clock.now(), body, which)
    spool.append([("signal", PRIORITY["signal"], record.SerializeToString())])


def _open_outputs(options: SurveyOptions, outputs: _Outputs) -> tuple[Any, Any]:
    """Create the files (valid and empty) and open the spool, into ``outputs``.
    Raises SurveyFileError, SpoolError."""
    geo_path, csv_path = survey_paths(options)
    if geo_path is not None:
        outputs.geo = GeoJsonWriter(geo_path, PROPERTIES)
    if csv_path is not None:
        outputs.table = CsvWriter(csv_path, COLUMNS)
    if options.spool_path is not None:
        from agent.service import overflow_record
        from agent.spool import Spool

        outputs.spool = Spool(
            options.spool_path, max_bytes=options.spool_max_bytes, overflow_record=overflow_record
        )
    return geo_path, csv_path


def _open_modems(
    modems: Sequence[ModemSection], options: SurveyOptions
) -> tuple[list[_Open], list[operators.ModemLook]]:
    from agent.modem.errors import ModemError
    from agent.modem.reader import Modem

    opened: list[_Open] = []
    lost: list[operators.ModemLook] = []
    for config in modems:
        reader = Modem(
            config.port,
            dialect=config.dialect,
            command_timeout_s=config.command_timeout_s,
            gnss=True,
        )
        try:
            identity = reader.open()
        except (ModemError, OSError, ValueError) as exc:
            reader.close()
            lost.append(operators.unreadable(config.name, config.port, exc))
            continue
        opened.append(_Open(config, reader, identity))
    return opened, lost


def run(options: SurveyOptions, modems: Sequence[ModemSection], m: Messages, out: TextIO) -> int:
    """The kit's survey; returns the exit code (0 done, 1 no modem could be opened or
    an output could not be written: the files keep every reading before, valid)."""
    import sys

    from agent.modem.errors import ModemError
    from agent.spool import SpoolError

    def say(text: str) -> None:
        if not options.as_json:
            print(text, file=out, flush=True)

    opened, lost = _open_modems(modems, options)
    if not opened:
        for look in lost:
            print(m("survey.error.modem", port=look.port, error=look.error), file=sys.stderr)
        return 1
    outputs = _Outputs()
    try:
        geo_path, csv_path = _open_outputs(options, outputs)
    except (SurveyFileError, SpoolError) as exc:
        outputs.close()
        for modem in opened:
            modem.reader.close()
        failure_lines(exc, m, options.as_json, out)
        return 1
    say(m("survey.started", geojson=str(geo_path or "-"), csv=str(csv_path or "-")))
    say(m("survey.kit", modems=", ".join(f"{o.config.name} ({o.config.port})" for o in opened)))
    say(f"{m('survey.kit.modem'):<8}" + m("survey.header"))
    readings = with_fix = errors = 0
    failure: Exception | None = None
    pace = Pacer(options.interval_s, options.duration_s)
    try:
        with SurveyStop() as stop:
            while not stop.event.is_set() and failure is None:
                if pace.over():
                    break
                for modem in opened:
                    name = modem.config.name
                    try:
                        sample = modem.reader.read_signal()
                    except (ModemError, OSError, ValueError) as exc:  # a line, not the end
                        errors += 1
                        modem.errors.append(str(exc) or type(exc).__name__)
                        say(f"{name:<8}" + m("survey.error.reading", error=modem.errors[-1]))
                        continue
                    row = {"modem": name, **row_of(sample, time.time())}
                    try:
                        outputs.store(row, sample, modem)
                    except (SurveyFileError, SpoolError) as exc:  # a full disk: stop here
                        failure = exc
                        break
                    modem.readings.append(sample)
                    readings += 1
                    with_fix += row["lat"] is not None and row["lon"] is not None
                    if options.as_json:
                        print(json.dumps({"type": "reading", **row}), file=out, flush=True)
                    else:
                        say(f"{name:<8}" + reading_line(row, m))
                pace.wait(stop.event)
    except KeyboardInterrupt:
        pass
    finally:
        for modem in opened:
            modem.reader.close()
        outputs.close()
    if failure is not None:
        failure_lines(failure, m, options.as_json, out)
    looks = [
        operators.summarise(o.config.name, o.config.port, o.identity, o.readings, o.errors)
        for o in opened
    ] + lost
    order = [modem.name for modem in modems]
    looks.sort(key=lambda look: order.index(look.name))
    summary: dict[str, Any] = {
        "readings": readings,
        "with_fix": with_fix,
        "without_fix": readings - with_fix,
        "queued": None if outputs.spool is None else outputs.queued,
        "geojson": None if geo_path is None else str(geo_path),
        "csv": None if csv_path is None else str(csv_path),
        "errors": errors,
        "operators": operators.to_json(looks, m),
    }
    if options.as_json:
        print(json.dumps({"type": "summary", **summary}, allow_nan=False), file=out, flush=True)
    else:
        say("")
        say(m("survey.summary.readings", n=readings, fix=with_fix))
        for path in (geo_path, csv_path):
            if path is not None:
                say(m(f"survey.summary.{'csv' if path == csv_path else 'geojson'}", path=path))
        if summary["queued"] is not None:
            say(m("survey.summary.queued", n=summary["queued"]))
        if errors:
            say(m("survey.summary.errors", n=errors))
        say("\n".join(operators.human_lines(looks, m)[1:]))
    return 0 if failure is None else 1
