"""``pantau-agent survey``: walk the site with the kit, readings with GNSS positions.

Every ``interval_s`` the modem is read with its GNSS receiver on (``Modem(gnss=True)``).
Each reading becomes a line on the screen, a CSV row (every reading; empty lat/lon
without a fix) and, when it has a fix, a GeoJSON Point feature (``[lon, lat]``, RFC
7946). Both files are complete and valid on disk after every reading (the GeoJSON
replaced whole and atomically, the CSV appended a whole row at a time and fsynced:
:mod:`agent.tech.survey_files`), so Ctrl-C or a pulled plug loses nothing. Ctrl-C (or
SIGTERM) is taken between readings: a write is never cut in half. When a file cannot
take a reading (a full disk) the survey stops there, says so in the technician's
language (which file, the free space, how many readings it keeps) and exits 1; the
files keep every reading before, valid.

With ``--upload`` every reading is also queued in the kit's spool as a SignalReading
record (with lat/lon when there is a fix); the running agent delivers it with its own
records, and the collector stores it like any reading.

On a terminal (not ``--json``) the reading lines scroll above a live graph of the
signal, redrawn after each reading (:mod:`agent.tech.live`).

At the end: the count of readings with and without a fix and the best spot (the
strongest RSRP, or RSCP / RSSI off LTE, then the best SINR) with its distance and
bearing from the first position.

``--json`` prints one JSON object per line: ``{"type": "reading", ...the CSV
columns}`` per reading, ``{"type": "error", "code": "DISK_FULL" | "WRITE_FAILED" |
"SPOOL_FAILED", "path", "free_bytes", "kept", "message"}`` if it stopped early, then
``{"type": "summary", "readings", "with_fix",
"without_fix", "queued", "geojson", "csv", "best": {...} | null}``.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from agent.i18n import Messages
from agent.tech import grades, render
from agent.tech.cells_view import cells_section
from agent.tech.live import LiveView
from agent.tech.pacing import Pacer
from agent.tech.survey_files import CsvWriter, GeoJsonWriter, SurveyFileError

#: The CSV columns (and GeoJSON properties, without lat/lon).
COLUMNS: tuple[str, ...] = (
    "time",
    "lat",
    "lon",
    "rat",
    "operator",
    "mcc",
    "mnc",
    "cell_id",
    "rsrp_dbm",
    "rsrq_db",
    "sinr_db",
    "rssi_dbm",
    "grade",
    "tac",
    "band",
    "earfcn",
    "pci",
    "neighbours",  # how many the modem hears (empty: it cannot say)
    "best_neighbour_pci",
    "best_neighbour_dbm",
)
PROPERTIES: tuple[str, ...] = tuple(c for c in COLUMNS if c not in ("lat", "lon"))
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
#: The eight points in Indonesian: utara, timur laut, timur, tenggara, selatan, barat
#: daya, barat, barat laut.
_COMPASS_ID = ("utara", "timur laut", "timur", "tenggara", "selatan", "barat daya", "barat",
               "barat laut")  # fmt: skip
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class SurveyOptions:
    port: str
    dialect: str = "auto"
    interval_s: float = 5.0
    duration_s: float | None = None
    out_dir: Path | None = None
    geojson: Path | None = None
    csv: Path | None = None
    spool_path: Path | None = None
    spool_max_bytes: int = 0
    command_timeout_s: float = 3.0
    as_json: bool = False


# -- geometry ----------------------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from true north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def compass(bearing: float, lang: str = "en") -> str:
    points = _COMPASS_ID if lang == "id" else _COMPASS
    return points[round(bearing / 45.0) % 8]


# -- rows --------------------------------------------------------------------------------


def row_of(sample: Any, when_unix: float) -> dict[str, Any]:
    """One reading as the CSV columns (None: not reported)."""
    registered = sample.reg_state in ("home", "roaming") and sample.rat not in (None, "none")
    values = {
        n: getattr(sample, n) for n in grades.THRESHOLDS if getattr(sample, n, None) is not None
    }
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when_unix))
    return {
        "time": f"{stamp}.{int(when_unix % 1 * 1000):03d}Z",
        "lat": sample.lat_deg,
        "lon": sample.lon_deg,
        "rat": sample.rat,
        "operator": sample.operator_name,
        "mcc": sample.mcc,
        "mnc": sample.mnc,
        "cell_id": sample.cell_id,
        "rsrp_dbm": sample.rsrp_dbm,
        "rsrq_db": sample.rsrq_db,
        "sinr_db": sample.sinr_db,
        "rssi_dbm": sample.rssi_dbm,
        "grade": grades.overall(sample.rat, values) if registered else None,
        **_cells_columns(sample),
    }


def _cells_columns(sample: Any) -> dict[str, Any]:
    """The serving cell's ids and the neighbours (count, the strongest's PCI/PSC and
    level) as CSV columns."""
    cells = cells_section(sample)
    best = cells.strongest or {}
    level = next((best[k] for k in ("rsrp_dbm", "rscp_dbm", "rssi_dbm") if k in best), None)
    return {
        "tac": sample.tac,
        "band": sample.band,
        "earfcn": sample.earfcn,
        "pci": sample.pci,
        "neighbours": len(cells.neighbours) if cells.neighbours_reported else None,
        "best_neighbour_pci": best.get("pci", best.get("psc")),
        "best_neighbour_dbm": level,
    }


def strength(row: dict[str, Any], sample: Any) -> tuple[float, float]:
    """Sort key of the best spot: the RAT's strength quantity, then SINR."""
    fam = grades.family(row["rat"])
    name = {"3g": "rscp_dbm", "2g": "rssi_dbm"}.get(fam or "", "rsrp_dbm")
    value = getattr(sample, name, None)
    sinr = row["sinr_db"]
    return (
        -math.inf if value is None else float(value),
        -math.inf if sinr is None else float(sinr),
    )


class SpoolQueue:
    """Survey readings into the kit's spool, as SignalReading records."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        from agent.service import overflow_record
        from agent.spool import Spool

        self.spool = Spool(path, max_bytes=max_bytes, overflow_record=overflow_record)
        self.count = 0

    def add(self, sample: Any) -> None:
        from agent import clock
        from agent.modem.model import signal_to_proto
        from agent.records import PRIORITY, make_record

        record = make_record(clock.now(), signal_to_proto(sample))
        self.spool.append([("signal", PRIORITY["signal"], record.SerializeToString())])
        self.count += 1

    def close(self) -> None:
        self.spool.close()


def output_paths(options: SurveyOptions) -> tuple[Path | None, Path | None]:
    if options.geojson is not None or options.csv is not None:
        return options.geojson, options.csv
    folder = options.out_dir or Path.cwd()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SurveyFileError(folder, exc, kept=0) from exc
    stem = time.strftime("survey-%Y%m%d-%H%M%S")
    return folder / f"{stem}.geojson", folder / f"{stem}.csv"


# -- the survey --------------------------------------------------------------------------


class SurveyStop:
    """Ctrl-C / SIGTERM ask the loop to stop between readings (twice: at once)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SurveyStop:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def reading_line(row: dict[str, Any], m: Messages) -> str:
    when = row["time"][11:19]
    lat = "-" if row["lat"] is None else f"{row['lat']:.5f}"
    lon = "-" if row["lon"] is None else f"{row['lon']:.5f}"
    rat = (row["rat"] or "-").upper()
    grade = m(f"check.grade.{row['grade']}") if row["grade"] else "-"
    cell = " ".join(
        f"{prefix}{row[k]}"
        for k, prefix in (("band", "B"), ("pci", "PCI "))
        if row.get(k) is not None
    )
    n = "-" if row.get("neighbours") is None else str(row["neighbours"])
    return (
        f"{when}  {lat:>10} {lon:>11}  {rat:<8} {(row['operator'] or '-')[:12]:<12} "
        f"{render.num(row['rsrp_dbm']):>6} {render.num(row['rsrq_db']):>6} "
        f"{render.num(row['sinr_db']):>6}  {grade}  " + m("cells.survey", cell=cell or "-", n=n)
    )


@dataclass(slots=True)
class _Outputs:
    geo_path: Path | None = None
    csv_path: Path | None = None
    geo: GeoJsonWriter | None = None
    table: CsvWriter | None = None
    queue: SpoolQueue | None = None

    def store(self, row: dict[str, Any], sample: Any) -> None:
        """One reading into every output. Raises SurveyFileError, SpoolError."""
        if self.table is not None:
            self.table.add(row)
        if self.queue is not None:
            self.queue.add(sample)
        if self.geo is not None and row["lat"] is not None and row["lon"] is not None:
            self.geo.add(row)

    def close(self) -> None:
        for closing in (self.geo, self.table, self.queue):
            if closing is not None:
                closing.close()


def _open_outputs(options: SurveyOptions) -> _Outputs:
    """The output files (created, valid and empty) and the spool queue. Raises
    SurveyFileError, SpoolError (what was opened is closed again)."""
    outputs = _Outputs()
    try:
        outputs.geo_path, outputs.csv_path = output_paths(options)
        if outputs.geo_path is not None:
            outputs.geo = GeoJsonWriter(outputs.geo_path, PROPERTIES)
        if outputs.csv_path is not None:
            outputs.table = CsvWriter(outputs.csv_path, COLUMNS)
        if options.spool_path is not None:
            outputs.queue = SpoolQueue(options.spool_path, options.spool_max_bytes)
    except BaseException:
        outputs.close()
        raise
    return outputs


def failure_lines(exc: Exception, m: Messages, as_json: bool, out: TextIO) -> None:
    """Why the survey stopped early: on stderr in the technician's language (and with
    ``--json`` a ``{"type": "error"}`` line on stdout)."""
    import sys

    doc: dict[str, Any] = {"type": "error"}
    if isinstance(exc, SurveyFileError):
        fields = {"path": str(exc.path), "kept": exc.kept}
        if exc.disk_full:
            code = "DISK_FULL"
            text = m("survey.error.disk_full", free=render.size(exc.free_bytes), **fields)
        else:
            code = "WRITE_FAILED"
            text = m("survey.error.write", error=exc.error.strerror or str(exc.error), **fields)
        doc.update(code=code, free_bytes=exc.free_bytes, **fields)
    else:
        code = "SPOOL_FAILED"
        text = m("survey.error.spool", error=str(exc))
        doc.update(code=code)
    doc["message"] = text
    if as_json:
        print(json.dumps(doc, ensure_ascii=False), file=out, flush=True)
    print(text, file=sys.stderr, flush=True)


def run(options: SurveyOptions, m: Messages, out: TextIO, live: LiveView | None = None) -> int:
    """The survey; returns the exit code (0 done, 1 the modem could not be opened or an
    output could not be written: the files keep every reading before, valid)."""
    import sys

    from agent.modem.errors import ModemError
    from agent.modem.reader import Modem, gnss_commands
    from agent.spool import SpoolError

    modem = Modem(
        options.port,
        dialect=options.dialect,
        command_timeout_s=options.command_timeout_s,
        gnss=True,
    )
    try:
        modem.open()
    except ModemError as exc:
        modem.close()
        print(m("survey.error.modem", port=options.port, error=str(exc)), file=sys.stderr)
        return 1
    try:
        outputs = _open_outputs(options)
    except (SurveyFileError, SpoolError) as exc:
        modem.close()
        failure_lines(exc, m, options.as_json, out)
        return 1

    def say(text: str) -> None:
        if options.as_json:
            return
        if live is not None and live.history:
            live.above(text)
        else:
            print(text, file=out, flush=True)

    identity = modem.identity
    if identity is not None and gnss_commands(identity.dialect, identity.model) is None:
        say(m("survey.no_gnss", dialect=identity.dialect))
    geo_name, csv_name = str(outputs.geo_path or "-"), str(outputs.csv_path or "-")
    say(m("survey.started", geojson=geo_name, csv=csv_name))
    say(m("survey.header"))
    readings = with_fix = errors = 0
    failure: SurveyFileError | SpoolError | None = None
    best: tuple[tuple[float, float], dict[str, Any]] | None = None
    start_pos: tuple[float, float] | None = None
    pace = Pacer(options.interval_s, options.duration_s)
    try:
        with SurveyStop() as stop:
            while not stop.event.is_set():
                if pace.over():
                    break
                try:
                    sample = modem.read_signal()
                except (ModemError, OSError, ValueError) as exc:  # a line, not the end
                    errors += 1
                    say(m("survey.error.reading", error=str(exc) or type(exc).__name__))
                else:
                    row = row_of(sample, time.time())
                    try:
                        outputs.store(row, sample)
                    except (SurveyFileError, SpoolError) as exc:  # a full disk: stop here
                        failure = exc
                        break
                    readings += 1
                    if row["lat"] is not None and row["lon"] is not None:
                        with_fix += 1
                        if start_pos is None:
                            start_pos = (row["lat"], row["lon"])
                        if row["grade"] is not None:
                            key = strength(row, sample)
                            if best is None or key > best[0]:
                                best = (key, row)
                    if options.as_json:
                        print(json.dumps({"type": "reading", **row}), file=out, flush=True)
                    elif live is not None:
                        live.reading(sample, above=reading_line(row, m))
                    else:
                        say(reading_line(row, m))
                pace.wait(stop.event)
    except KeyboardInterrupt:
        pass
    finally:
        modem.close()
        outputs.close()
    live = None  # the graph stays where it is; the summary goes below it
    if failure is not None:
        failure_lines(failure, m, options.as_json, out)
    summary = _summary(
        readings, with_fix, outputs.queue, outputs.geo_path, outputs.csv_path, best, start_pos
    )
    summary["errors"] = errors
    if options.as_json:
        print(json.dumps({"type": "summary", **summary}), file=out, flush=True)
    else:
        say("")
        say(_human_summary(summary, m))
    return 0 if failure is None else 1


def _summary(  # noqa: PLR0917 - one call site, every value named there
    readings: int,
    with_fix: int,
    queue: SpoolQueue | None,
    geo_path: Path | None,
    csv_path: Path | None,
    best: tuple[tuple[float, float], dict[str, Any]] | None,
    start_pos: tuple[float, float] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "readings": readings,
        "with_fix": with_fix,
        "without_fix": readings - with_fix,
        "queued": None if queue is None else queue.count,
        "geojson": None if geo_path is None else str(geo_path),
        "csv": None if csv_path is None else str(csv_path),
        "best": None,
    }
    if best is not None and start_pos is not None:
        row = best[1]
        dist = distance_m(start_pos[0], start_pos[1], row["lat"], row["lon"])
        bearing = bearing_deg(start_pos[0], start_pos[1], row["lat"], row["lon"])
        out["best"] = {
            **{k: row[k] for k in COLUMNS},
            "distance_m": round(dist, 1),
            "bearing_deg": round(bearing, 1),
            "compass": compass(bearing),
        }
    return out


def _human_summary(s: dict[str, Any], m: Messages) -> str:
    lines = [m("survey.summary.readings", n=s["readings"], fix=s["with_fix"])]
    if s["without_fix"]:
        lines.append(m("survey.summary.without_fix", n=s["without_fix"]))
    if s["geojson"]:
        lines.append(m("survey.summary.geojson", path=s["geojson"]))
    if s["csv"]:
        lines.append(m("survey.summary.csv", path=s["csv"]))
    if s["queued"] is not None:
        lines.append(m("survey.summary.queued", n=s["queued"]))
    best = s["best"]
    if best is None:
        lines.append(m("survey.summary.no_best"))
    else:
        lines.append(
            m(
                "survey.summary.best",
                lat=f"{best['lat']:.6f}",
                lon=f"{best['lon']:.6f}",
                rsrp=render.num(best["rsrp_dbm"]),
                sinr=render.num(best["sinr_db"]),
                grade=m(f"check.grade.{best['grade']}"),
            )
        )
        lines.append(
            m(
                "survey.summary.best_where",
                distance=render.num(best["distance_m"], 0),
                bearing=render.num(best["bearing_deg"], 0),
                compass=compass(best["bearing_deg"], m.lang),
            )
        )
    if s["errors"]:
        lines.append(m("survey.summary.errors", n=s["errors"]))
    return "\n".join(lines)
