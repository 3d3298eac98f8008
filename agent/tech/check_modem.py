"""``pantau-agent check``'s modem step: open the AT port, identity, up to ``samples``
readings a second apart (with ``watch_s``, readings a second apart for that long, the
last ``samples`` of them graded; each reading also goes to ``on_reading``, the live
view), waiting up to ``register_wait_s`` while the SIM is ready but not registered;
the running agent's last reading (its status file) when it holds the port. Blocking
(run in a thread); :func:`modem_sections` turns the facts into the report's modem,
SIM, network and signal sections (the median of each quantity graded).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.tech import grades
from agent.tech.report import Metric, ModemSection, NetworkSection, SignalSection, SimSection

if TYPE_CHECKING:
    from agent.tech.check import CheckOptions

_NUMERIC = (
    "rssi_dbm",
    "rsrp_dbm",
    "rsrq_db",
    "sinr_db",
    "rscp_dbm",
    "ecio_db",
    "nr_rsrp_dbm",
    "nr_rsrq_db",
    "nr_sinr_db",
)
_UNITS = {name: ("dBm" if name.endswith("dbm") else "dB") for name in _NUMERIC}


@dataclass(slots=True)
class ModemFacts:
    status: str  # ok | not-configured | not-found | busy | no-answer | error | lost
    error: str | None = None
    identity: Any = None  # agent.modem.model.ModemIdentity
    samples: list[Any] = field(default_factory=list)  # SignalSample
    from_agent_unix: float | None = None  # the reading came from the running agent


def _registered(sample: Any) -> bool:
    return sample.reg_state in ("home", "roaming") and sample.rat not in (None, "none")


def read_modem(options: CheckOptions, deadline: float) -> ModemFacts:
    """Blocking: identity and readings (see the module docstring)."""
    from agent.modem.errors import ModemError, ModemTimeout, PortBusy, PortUnavailable
    from agent.modem.reader import Modem

    modem = Modem(
        options.port, dialect=options.dialect, command_timeout_s=options.command_timeout_s
    )
    try:
        modem.open()
    except PortBusy as exc:
        modem.close()
        return ModemFacts("busy", str(exc))
    except PortUnavailable as exc:
        modem.close()
        return ModemFacts("not-found", str(exc))
    except ModemTimeout as exc:
        modem.close()
        return ModemFacts("no-answer", str(exc))
    except (ModemError, OSError, ValueError) as exc:
        modem.close()
        return ModemFacts("error", str(exc))
    out = ModemFacts("ok", identity=modem.identity)
    started = time.monotonic()

    def read() -> Any:
        sample = modem.read_signal()
        if options.on_reading is not None:
            options.on_reading(sample)
        return sample

    try:
        out.samples.append(read())
        while (
            not _registered(out.samples[-1])
            and out.samples[-1].sim_state == "ready"
            and time.monotonic() + 1.0 < min(deadline, started + options.register_wait_s)
        ):
            time.sleep(1.0)
            out.samples = [read()]
        while (
            len(out.samples) < options.samples or time.monotonic() - started < options.watch_s
        ) and time.monotonic() + 1.5 < deadline:
            time.sleep(1.0)
            # --watch: the last ``samples`` readings are graded (the antenna's final place)
            out.samples = [*out.samples, read()][-options.samples :]
    except (PortUnavailable, ModemTimeout, OSError) as exc:
        # The port vanished (USB re-enumeration, a loose cable, a brown-out), the I/O
        # failed, or the modem stopped answering: after a first reading it was lost
        # during the check, a finding whatever the readings before it said.
        out.status = "lost" if out.samples else _failed(exc)
        out.error = str(exc) if isinstance(exc, ModemError) else f"{type(exc).__name__}: {exc}"
    except (ModemError, ValueError) as exc:  # garbage no parser wrapped: reported, not a crash
        if not out.samples:
            out.status = "error"
        out.error = str(exc) if isinstance(exc, ModemError) else f"{type(exc).__name__}: {exc}"
    finally:
        modem.close()
    return out


def _failed(exc: BaseException) -> str:
    """The modem's status when it failed before any reading."""
    from agent.modem.errors import ModemTimeout

    return "no-answer" if isinstance(exc, ModemTimeout) else "error"


def from_agent(options: CheckOptions, busy: ModemFacts) -> ModemFacts:
    """The running agent's last reading when it holds the port (else ``busy`` as is)."""
    if options.data_dir is None:
        return busy
    from agent.modem.model import ModemIdentity, SignalSample, cells_from_dicts
    from agent.tech.status import RUNNING, read_status, status_path

    state = read_status(status_path(options.data_dir))
    doc = state.get("status") or {}
    last = doc.get("last_reading")
    if state["state"] != RUNNING or not last:
        return busy
    names = {f.name for f in dataclasses.fields(SignalSample)} - {"neighbours", "carriers"}
    reading = {k: v for k, v in last["reading"].items() if k in names}
    try:
        neighbours, carriers = cells_from_dicts(last["reading"])
        sample = SignalSample(
            **{"dialect": "3gpp", **reading}, neighbours=neighbours, carriers=carriers
        )
    except (TypeError, ValueError):
        return busy
    ident = (doc.get("modem") or {}).get("identity") or {}
    id_names = {f.name for f in dataclasses.fields(ModemIdentity)}
    identity = ModemIdentity(
        **{"dialect": sample.dialect, "port": options.port}
        | {k: v for k, v in ident.items() if k in id_names and k not in ("dialect", "port")}
    )
    return ModemFacts(
        "ok",
        identity=identity,
        samples=[sample],
        from_agent_unix=last.get("time_unix"),
    )


def modem_sections(
    m: ModemFacts, port: str
) -> tuple[ModemSection, SimSection, NetworkSection, SignalSection]:
    """The report's ``modem``, ``sim``, ``network`` and ``signal`` sections."""
    ident = m.identity

    def said(name: str) -> Any:
        return getattr(ident, name, None) if ident is not None else None

    modem = ModemSection(
        m.status,
        port=port or None,
        error=m.error,
        manufacturer=said("manufacturer"),
        model=said("model"),
        firmware=said("firmware"),
        imei=said("imei"),
        dialect=said("dialect"),
        from_agent_unix=m.from_agent_unix,
    )
    last = m.samples[-1] if m.samples else None
    sim = SimSection(
        state=getattr(last, "sim_state", None),
        imsi=getattr(ident, "imsi", None),
        iccid=getattr(ident, "iccid", None),
    )
    rat = getattr(last, "rat", None)
    network = NetworkSection(
        registered=bool(last is not None and _registered(last)),
        reg_state=getattr(last, "reg_state", None),
        rat=rat,
        generation=grades.GENERATION.get(rat or ""),
        operator=getattr(last, "operator_name", None),
        mcc=getattr(last, "mcc", None),
        mnc=getattr(last, "mnc", None),
        roaming=getattr(last, "reg_state", None) == "roaming",
        cell_id=getattr(last, "cell_id", None),
        tac=getattr(last, "tac", None),
        lac=getattr(last, "lac", None),
        band=getattr(last, "band", None),
    )
    values: dict[str, float | None] = {}
    for name in _NUMERIC:
        seen = [getattr(s, name) for s in m.samples if getattr(s, name) is not None]
        values[name] = float(statistics.median(seen)) if seen else None
    graded = grades.grade_reading(rat, values) if network.registered else {}
    shown = [n for n in grades.graded_fields(rat) if values.get(n) is not None]
    if "rssi_dbm" not in shown and values.get("rssi_dbm") is not None:
        shown.append("rssi_dbm")
    overall = grades.worst(list(graded.values()))
    signal = SignalSection(
        grade=overall,
        bars=grades.bars(overall) if network.registered else 0,
        samples=len(m.samples),
        metrics={n: Metric(values[n], _UNITS[n], graded.get(n)) for n in shown},
    )
    return modem, sim, network, signal
