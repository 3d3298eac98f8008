"""The running agent: wires the modem, the probes, the spool and the uplink.

Every measurement becomes a Record stamped with the kit's clocks and waits in a
bounded in-memory queue (``agent.pending``); a flush task writes the queue to the
spool every ``spool.flush_interval_s`` in one transaction (sparing the SD card) and
wakes the uplink. When the data disk is full the spool lives on its reserve; the
service reports the state (the status file, an AgentEvent when it starts and when it
ends) and goes on. Nothing here measures or parses: it schedules and connects.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from agent import clock, probes
from agent.budget import Budget
from agent.config import AgentConfig, ModemSection, ProbeEntry
from agent.modem.monitor import ModemMonitor
from agent.pending import Drops, Pending, Row
from agent.records import PRIORITY, Body, event, kind_of, make_record
from agent.scheduler import Scheduler
from agent.sms.task import Lifeline, run_quietly
from agent.spool import Spool, SpoolError
from agent.tech import status as status_file
from agent.uplink import VERSION, Uplink
from pantau.v1 import records_pb2, telemetry_pb2

log = logging.getLogger(__name__)
Kind = records_pb2.AgentEvent.Kind

#: A wall-clock jump larger than this (against the monotonic clock) is a step.
CLOCK_STEP_THRESHOLD_NS = 2_000_000_000
#: Records waiting in memory for the spool, at most (payload bytes): past it they
#: are dropped by priority and reported (only when the spool cannot take them).
PENDING_MAX_BYTES = 1024 * 1024


def overflow_record(
    by_kind: Mapping[str, int], records: int, dropped_bytes: int, *, where: str = "spool"
) -> Row:
    """A drop report as a spool row (kind, priority, payload): the spool's at its bound
    (``where="spool"``), or the memory queue's when the disk took nothing
    (``where="memory"``; those records never had a seq)."""
    counts = dict(by_kind)
    if where == "spool":
        message = f"spool full: dropped {records} records ({dropped_bytes} bytes), oldest first"
    else:
        message = (
            f"data disk full: dropped {records} records ({dropped_bytes} bytes) waiting in "
            "memory, lowest priority and oldest first"
        )
    body = records_pb2.AgentEvent(
        kind=Kind.KIND_SPOOL_OVERFLOW,
        message=message,
        details={"where": where},
        dropped_by_kind=counts,
        dropped_records=records,
        dropped_bytes=dropped_bytes,
    )
    record = make_record(clock.now(), body)
    return ("event", PRIORITY["event"], record.SerializeToString())


def disk_event(full: bool, spool: Path) -> records_pb2.AgentEvent:
    """The AgentEvent for the data disk filling up or having room again.

    The contract has no kind of its own for it yet: KIND_UNSPECIFIED, told apart by
    ``details["condition"] = "disk-full"`` and ``details["state"]``.
    """
    if full:
        message = (
            f"the data disk of {spool} is full: streaming goes on from the spool's reserve; "
            "new records push out old ones by priority, and every drop is reported"
        )
    else:
        message = f"the data disk of {spool} has room again"
    return event(
        Kind.KIND_UNSPECIFIED,
        message,
        condition="disk-full",
        state="start" if full else "end",
    )


@dataclass(slots=True)
class AgentStatus:
    started_monotonic: float = field(default_factory=time.monotonic)
    started_unix: float = field(default_factory=time.time)
    records_produced: int = 0
    last_errors: list[str] = field(default_factory=list)
    last_reading: records_pb2.SignalReading | None = None
    last_reading_unix: float | None = None


class AgentService:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.status = AgentStatus()
        self._pending = Pending(PENDING_MAX_BYTES)
        #: The disk state last reported with an AgentEvent.
        self._disk_full_reported = False
        data_dir = config.data_dir
        self.spool = Spool(
            data_dir / "spool.sqlite",
            max_bytes=config.spool.max_bytes,
            overflow_record=overflow_record,
        )  # makes data_dir
        #: The status file ``pantau-agent status`` reads (see agent.tech.status).
        self.status_path = status_file.service_status_path(
            data_dir, os.environ.get("RUNTIME_DIRECTORY")
        )
        self.status_interval_s = status_file.WRITE_INTERVAL_S
        #: One monitor per modem, each on its own schedule (a kit with a modem per
        #: operator reads them all; one failing never stops the others).
        self.monitors = [
            ModemMonitor(m, emit=partial(self._emit_modem, m.name), on_error=self._note_error)
            for m in config.modems
        ]
        self.modem = (
            self.monitors[0]
            if self.monitors
            else ModemMonitor(config.modem, emit=self.emit, on_error=self._note_error)
        )
        token = config.credential_token()
        entries = [
            replace(e, config=probes.with_credential(e.config, token)) for e in config.probes
        ]
        self.budget = Budget(data_dir / "budget.json", config.budget.daily_bytes)
        #: The probes run once per modem that has an interface (bound to it, each named
        #: modem's SIM with its own data budget); with none, once over the default route.
        self.schedulers: list[Scheduler] = []
        daily = config.budget.daily_bytes
        for modem in (m for m in config.modems if m.interface):
            budget = self.budget  # one modem's SIM: the kit's own budget
            if modem.name:
                budget = Budget(data_dir / f"budget-{modem.name}.json", daily)
            self.schedulers.append(
                Scheduler(
                    [bound_to(e, modem) for e in entries],
                    emit=partial(self._emit_modem, modem.name),
                    on_error=self._note_error,
                    budget=budget,
                    max_concurrent=config.scheduler.max_concurrent,
                )
            )
        if not self.schedulers:
            self.schedulers.append(
                Scheduler(
                    entries,
                    emit=self.emit,
                    on_error=self._note_error,
                    budget=self.budget,
                    max_concurrent=config.scheduler.max_concurrent,
                )
            )
        self.scheduler = self.schedulers[0]
        self.uplink = Uplink(
            self.spool,
            address=config.collector.address,
            credential=token,
            agent_id=config.agent_id,
            ca_file=config.collector.ca_file,
            insecure=config.collector.insecure,
            site=config.agent.site,
            modem=lambda: self.modem.identity,
            backhaul=config.kit.backhaul,
            modems=self.kit_modems,
        )
        self.lifeline = self._lifeline() if config.sms.enabled and config.modem.port else None

    def _lifeline(self) -> Lifeline:
        """The SMS lifeline (agent.sms.task), wired to the uplink, spool and modem."""
        return Lifeline(
            self.config.sms,
            self.config.data_dir,
            self.config.agent_id,
            uplink_up=lambda: self.uplink.state.connected,
            sms_key=lambda: self.uplink.state.sms_key,
            reading=lambda: None if self.modem.lost else self.status.last_reading,
            backlog=lambda: self.spool.backlog().records,
            last_error=lambda: self.uplink.state.last_error,
            send=self.modem.send_sms,
        )

    def kit_modems(self) -> list[telemetry_pb2.KitModem]:
        """The kit's named modems as its Hello lists them (none for a one-modem kit)."""
        found = []
        for monitor in self.monitors:
            if not monitor.config.name:
                continue
            kit_modem = telemetry_pb2.KitModem(
                name=monitor.config.name,
                interface=monitor.config.interface,
                network=monitor.network,
            )
            if monitor.identity is not None:
                kit_modem.identity.CopyFrom(monitor.identity)
            found.append(kit_modem)
        return found

    def _emit_modem(self, name: str, body: Body) -> None:
        """Stamp a result of modem ``name`` (its reading, or a probe bound to it)."""
        if not name:
            self.emit(body)
            return
        network = next((m.network for m in self.monitors if m.config.name == name), "")
        self.emit(body, modem=records_pb2.RecordModem(name=name, network=network))

    def emit(self, body: Body, *, modem: records_pb2.RecordModem | None = None) -> None:
        """Stamp a result now and queue it for the spool."""
        record = make_record(clock.now(), body, modem)
        kind = kind_of(body)
        self._pending.add((kind, PRIORITY[kind], record.SerializeToString()))
        self.status.records_produced += 1
        if isinstance(body, records_pb2.SignalReading):
            self.status.last_reading = body
            self.status.last_reading_unix = record.time.wall_unix_ns / 1e9

    async def run(self) -> None:
        """Run until cancelled; flushes what is pending on the way out."""
        self._start_events()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._flush_loop())
                group.create_task(self._status_loop())
                group.create_task(self.uplink.run())
                for monitor in self.monitors:
                    group.create_task(monitor.run())
                if self.lifeline is not None:
                    group.create_task(run_quietly(self.lifeline))
                if self.config.probes:
                    for scheduler in self.schedulers:
                        group.create_task(scheduler.run())
        finally:
            self._flush()
            self._write_status(stopped=True)
            self.spool.close()

    # -- events -----------------------------------------------------------------

    def _start_events(self) -> None:
        self.emit(event(Kind.KIND_AGENT_STARTED, "agent started", agent_id=self.config.agent_id))
        marker = self.config.data_dir / "last_boot_id"
        previous = _read(marker)
        if previous != clock.boot_id():
            self.emit(
                event(Kind.KIND_REBOOT, "first start since the kit booted", previous=previous or "")
            )
            try:
                marker.write_text(clock.boot_id(), encoding="ascii")
            except OSError as exc:  # a full data disk: said again at the next start
                self._note_error(f"cannot write {marker}: {exc.strerror or exc}")
        if any(e.kind == "icmp" for e in self.config.probes):
            method = probes.icmp_method_available()
            if method is None:
                log.warning(
                    "ICMP is not permitted for this user (no raw socket, ping_group_range "
                    "excludes it): ping probes measure TCP connect time where a fallback "
                    "port is configured"
                )

    # -- loops ------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        offset = time.time_ns() - clock.monotonic_ns()
        while True:
            await asyncio.sleep(self.config.spool.flush_interval_s)
            now_offset = time.time_ns() - clock.monotonic_ns()
            if abs(now_offset - offset) > CLOCK_STEP_THRESHOLD_NS:
                body = event(Kind.KIND_CLOCK_STEPPED, "the wall clock jumped")
                body.clock_step_ns = now_offset - offset
                self.emit(body)
            offset = now_offset
            rows, drops = self._pending.take()
            writing = asyncio.ensure_future(asyncio.to_thread(self._write, rows, drops))
            try:
                error = await asyncio.shield(writing)
            except asyncio.CancelledError:  # stopping: the write ends in its thread anyway
                self._flushed(rows, drops, await writing)
                raise
            self._flushed(rows, drops, error)

    def _flush(self) -> None:
        """Write what is pending now (on the way out, from the event loop's thread)."""
        rows, drops = self._pending.take()
        self._flushed(rows, drops, self._write(rows, drops))

    def _write(self, rows: list[Row], drops: Drops) -> SpoolError | None:
        """Append ``rows`` (after a report of ``drops``) to the spool, in one transaction."""
        if not rows and not drops.records:
            return None
        report: list[Row] = []
        if drops.records:
            report = [overflow_record(drops.by_kind, drops.records, drops.bytes, where="memory")]
        try:
            self.spool.append([*report, *rows])
        except SpoolError as exc:
            return exc
        return None

    def _flushed(self, rows: list[Row], drops: Drops, error: SpoolError | None) -> None:
        """After a write: keep what the spool refused (bounded), report the disk's state."""
        if error is not None:
            self._pending.restore(rows, drops)  # try again next flush
            if str(error) not in self.status.last_errors[-1:]:  # said once, not every flush
                self._note_error(str(error))
        elif rows or drops.records:
            self.uplink.notify()
        full = self.spool.disk_full
        if full != self._disk_full_reported:
            self._disk_full_reported = full
            body = disk_event(full, self.spool.path)
            log.log(logging.WARNING if full else logging.INFO, "%s", body.message)
            self.emit(body)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.to_thread(self._write_status)
            await asyncio.sleep(self.status_interval_s)

    def _write_status(self, *, stopped: bool = False) -> None:
        """Replace the status file (atomically); a failure is logged, never fatal."""
        try:
            status_file.write_status(self.status_path, self.status_doc(stopped=stopped))
        except OSError as exc:
            log.warning("cannot write the status file %s: %s", self.status_path, exc)

    def status_doc(self, *, stopped: bool = False) -> dict[str, Any]:
        """The status file's content (schema in agent.tech.status)."""
        from agent.tech.status import SCHEMA, reading_dict

        now_unix, now_mono = time.time(), time.monotonic()
        st, up = self.status, self.uplink.state
        backlog = self.spool.backlog()
        identity = self.modem.identity
        reading = None
        if st.last_reading is not None:
            reading = {"time_unix": st.last_reading_unix, "reading": reading_dict(st.last_reading)}
        last_ack = None
        if up.last_ack_monotonic is not None:
            last_ack = now_unix - (now_mono - up.last_ack_monotonic)
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "pid": os.getpid(),
            "agent_id": self.config.agent_id,
            "site": self.config.agent.site,
            "collector": self.config.collector.address,
            "started_unix": st.started_unix,
            "written_unix": now_unix,
            "uptime_s": now_mono - st.started_monotonic,
            "write_interval_s": self.status_interval_s,
            "stopped": stopped,
            "modem": {
                "port": self.config.modem.port,
                "identity": None
                if identity is None
                else {f.name: v for f, v in identity.ListFields()},
            },
            "modems": [
                {
                    "name": m.config.name,
                    "port": m.config.port,
                    "interface": m.config.interface,
                    "network": m.network,
                    "lost": m.lost,
                }
                for m in self.monitors
                if m.config.name
            ],
            "last_reading": reading,
            "uplink": {
                "connected": up.connected,
                "last_ack_unix": last_ack,
                "last_ack_seq": up.last_ack_seq,
                "last_error": up.last_error,
                "connects": up.connects,
            },
            "spool": {
                "records": backlog.records,
                "bytes": backlog.bytes,
                "disk_full": backlog.disk_full,
                "pending_records": len(self._pending),
                "dropped_unreported": self._pending.drops.records,
            },
            "data_today": {
                "used_bytes": self.budget.used_bytes,
                "daily_bytes": self.budget.daily_bytes,
            },
            "records_produced": st.records_produced,
            "last_errors": list(st.last_errors),
        }

    def _note_error(self, message: str) -> None:
        log.warning("%s", message)
        self.status.last_errors = [*self.status.last_errors[-9:], message]


def bound_to(entry: ProbeEntry, modem: ModemSection) -> ProbeEntry:
    """``entry`` as it runs for ``modem``: bound to its interface (a probe whose file
    binds it elsewhere keeps that), its name suffixed with the modem's, if it has one
    (``ping-collector@tsel``)."""
    config = entry.config
    if getattr(config, "source", "") is None:
        config = replace(config, source=modem.interface)
    name = f"{entry.name}@{modem.name}" if modem.name else entry.name
    return replace(entry, name=name, config=config)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return None
