"""The modem service: wires the driver, the engine and the parsers into readings.

``Modem(url).open()`` opens the port, sets it up and reads the identity (once per
connection); ``read_signal()`` returns one :class:`SignalSample`. ``url`` is any
pyserial URL or a USB identity such as ``usb:2c7c:0125:if02``, resolved to the current
``/dev/ttyUSBn`` on every (re)open (:mod:`agent.modem.usb`). A SIM that is absent
or locked and a modem without service are readings (``sim_state``, ``reg_state``,
``rat="none"``), never exceptions. A port that vanished raises
:class:`~agent.modem.errors.PortUnavailable`; the next ``read_signal()`` reopens it
(USB re-enumeration) and raises again while it is still gone.

Dialects: "auto" picks one from +CGMI/+CGMM. Every dialect asks the 3GPP commands
(+CPIN?, +CSQ, +CESQ, +COPS?, +CEREG?, and +CGREG?/+CREG?/+C5GREG? off LTE); then
"quectel" adds ``AT+QENG="servingcell"``, "simcom" ``AT+CPSI?`` and "huawei"
``AT^HCSQ?``, whose serving-cell values (more fields, finer units) win over 3GPP ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import fields, replace
from typing import TypeVar

from agent.modem import parsers, vendors
from agent.modem.driver import AtPort
from agent.modem.engine import Response
from agent.modem.errors import CommandFailed, ModemTimeout
from agent.modem.model import DIALECTS, ModemIdentity, SignalSample
from agent.modem.operators import operator_name

log = logging.getLogger(__name__)

T = TypeVar("T")

_QUECTEL_MODEL = re.compile(r"^(EC|EG|EM|EP|RM|RG|BG|UC|UG|AG)\d", re.IGNORECASE)


def detect_dialect(manufacturer: str | None, model: str | None) -> str:
    """Pick the dialect from +CGMI/+CGMM text: quectel, simcom, huawei, else 3gpp."""
    maker = (manufacturer or "").upper()
    name = (model or "").strip()
    if "QUECTEL" in maker or _QUECTEL_MODEL.match(name):
        return "quectel"
    if "SIMCOM" in maker or re.match(r"^SIM\d", name, re.IGNORECASE):
        return "simcom"
    if "HUAWEI" in maker:
        return "huawei"
    return "3gpp"


class Modem:
    """One modem on one AT port; see the module docstring. Usable as a context manager."""

    def __init__(
        self,
        url: str,
        *,
        dialect: str = "auto",
        command_timeout_s: float = 3.0,
        resolve: Callable[[str], str] | None = None,
    ) -> None:
        if dialect != "auto" and dialect not in DIALECTS:
            raise ValueError(f"dialect={dialect!r}: expected 'auto' or one of {DIALECTS}")
        self.url = url
        self.requested_dialect = dialect
        if resolve is None:
            self.port = AtPort(url, command_timeout_s=command_timeout_s)
        else:
            self.port = AtPort(url, command_timeout_s=command_timeout_s, resolve=resolve)
        self.identity: ModemIdentity | None = None

    @property
    def dialect(self) -> str:
        """The dialect in use for readings (after :meth:`open`; "3gpp" before)."""
        return self.identity.dialect if self.identity is not None else "3gpp"

    # -- lifetime --------------------------------------------------------------------

    def open(self) -> ModemIdentity:
        """Open the port, set it up and read the identity. Raises PortBusy,
        PortUnavailable, ModemTimeout.

        After a ModemTimeout the port stays open (the modem is slow, not gone, and the
        answer it still owes must not be lost); after any other failure it is closed.
        """
        self.port.open()
        try:
            self.port.setup()
            self.identity = self._read_identity()
        except ModemTimeout:
            raise
        except BaseException:
            self.port.close()
            raise
        return self.identity

    def close(self) -> None:
        """Close the port (idempotent)."""
        self.port.close()

    def mark_stale(self) -> None:
        """Set the port up and read the identity again at the next :meth:`read_signal`
        (after repeated timeouts: the modem may have rebooted without re-enumerating,
        echo back on and +CMEE reset). The port stays open."""
        self.identity = None

    def __enter__(self) -> Modem:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- queries ---------------------------------------------------------------------

    def _query(self, command: str, parse: Callable[[tuple[str, ...]], T]) -> T | None:
        """Run a query; a refusal (ERROR/CME) or an unparsable answer gives None."""
        try:
            response = self.port.command(command)
            return parse(response.lines)
        except CommandFailed as exc:
            log.debug("%s", exc)
        except parsers.ParseError as exc:
            log.warning("%s on %s: unparsable answer: %s", command, self.url, exc)
        return None

    def _read_identity(self) -> ModemIdentity:
        manufacturer = self._query("AT+CGMI", parsers.identity_text)
        model = self._query("AT+CGMM", parsers.identity_text)
        detected = detect_dialect(manufacturer, model)
        dialect = detected if self.requested_dialect == "auto" else self.requested_dialect
        iccid = self._query("AT+CCID", parsers.parse_iccid)
        if iccid is None:
            alt = "AT+QCCID" if dialect == "quectel" else "AT+ICCID"
            iccid = self._query(alt, parsers.parse_iccid)
        return ModemIdentity(
            dialect=dialect,
            port=self.url,
            manufacturer=manufacturer,
            model=model,
            firmware=self._query("AT+CGMR", parsers.identity_text),
            imei=self._query("AT+CGSN", parsers.parse_imei),
            imsi=self._query("AT+CIMI", parsers.parse_imsi),
            iccid=iccid,
        )

    def _sim_state(self) -> str:
        try:
            response: Response = self.port.command("AT+CPIN?")
        except CommandFailed as exc:
            final = exc.final
            return parsers.sim_state_from_error(
                getattr(final, "code", None), getattr(final, "text", None)
            )
        try:
            return parsers.parse_cpin(response.lines)
        except parsers.ParseError:
            return "error"

    def _registration(self, command: str) -> parsers.Registration | None:
        prefix = command[2:].rstrip("?") + ":"
        return self._query(command, lambda lines: parsers.parse_registration_answer(lines, prefix))

    def _serving_cell(self) -> parsers.ServingCell | None:
        """The dialect's serving-cell command, parsed with the model's unit setting."""
        model = self.identity.model if self.identity is not None else None
        if self.dialect == "quectel":
            scaled = parsers.quectel_sinr_scaled(model)
            return self._query(
                'AT+QENG="servingcell"',
                lambda lines: parsers.parse_qeng_servingcell(lines, sinr_scaled=scaled),
            )
        if self.dialect == "simcom":
            tenths = vendors.simcom_tenths(model)
            return self._query("AT+CPSI?", lambda lines: vendors.parse_cpsi(lines, tenths=tenths))
        if self.dialect == "huawei":
            return self._query("AT^HCSQ?", vendors.parse_hcsq)
        return None

    # -- reading ---------------------------------------------------------------------

    def read_signal(self) -> SignalSample:
        """One reading of the serving cell, with everything the dialect can give."""
        if not self.port.is_open or self.identity is None:
            self.open()
        assert self.identity is not None
        sim_state = self._sim_state()
        csq = self._query("AT+CSQ", parsers.parse_csq)
        cesq = self._query("AT+CESQ", parsers.parse_cesq)
        cops = self._query("AT+COPS?", parsers.parse_cops)
        eps = self._registration("AT+CEREG?")
        regs: list[parsers.Registration] = [] if eps is None else [eps]
        if eps is None or not eps.registered:
            if cops is not None and cops.act in (10, 11, 12):
                nr = self._registration("AT+C5GREG?")
                regs += [] if nr is None else [nr]
            for command in ("AT+CGREG?", "AT+CREG?"):
                reg = self._registration(command)
                regs += [] if reg is None else [reg]
        sample = _combine(
            self.dialect, sim_state=sim_state, csq=csq, cesq=cesq, cops=cops, eps=eps, regs=regs
        )
        cell = self._serving_cell()
        if cell is not None:
            sample = _merge_serving_cell(sample, cell)
        return sample


def _combine(
    dialect: str,
    *,
    sim_state: str,
    csq: parsers.Csq | None,
    cesq: parsers.Cesq | None,
    cops: parsers.Operator | None,
    eps: parsers.Registration | None,
    regs: list[parsers.Registration],
) -> SignalSample:
    """Build a 3GPP reading from the answers (pure; exposed for tests)."""
    best = next((r for r in regs if r.registered), None)
    registered = best is not None
    shown = best or (regs[0] if regs else None)
    rat: str | None = "none"
    if best is not None:
        rat = (cops.rat if cops is not None else None) or best.rat
        if rat is None and best is eps:
            rat = "lte"
    elif shown is None:
        rat = None
    mcc = mnc = name = None
    if registered and cops is not None:
        mcc, mnc = cops.mcc, cops.mnc
        name = operator_name(mcc, mnc) or (cops.name if mcc is None else None)
    on_eps = best is not None and (best is eps or best.rat in ("lte", "nr5g-sa", "nr5g-nsa"))
    loc = best.lac if best is not None else None
    rssi = csq.rssi_dbm if csq is not None else None
    ber = csq.ber_percent if csq is not None else None
    if cesq is not None:
        rssi = rssi if rssi is not None else cesq.rxlev_dbm
        ber = ber if ber is not None else cesq.ber_percent
    return SignalSample(
        dialect=dialect,
        rat=rat,
        reg_state=None if shown is None else shown.reg_state,
        sim_state=sim_state,
        mcc=mcc,
        mnc=mnc,
        operator_name=name,
        lac=None if on_eps else loc,
        tac=loc if on_eps else None,
        cell_id=best.cell_id if best is not None else None,
        rssi_dbm=rssi,
        rsrp_dbm=cesq.rsrp_dbm if cesq is not None else None,
        rsrq_db=cesq.rsrq_db if cesq is not None else None,
        rscp_dbm=cesq.rscp_dbm if cesq is not None else None,
        ecio_db=cesq.ecno_db if cesq is not None else None,
        csq=csq.csq if csq is not None else None,
        ber_percent=ber,
    )


_SAMPLE_FIELDS = frozenset(f.name for f in fields(SignalSample))
#: Quantities +CESQ gives in half-dB steps where vendor commands often print whole dB.
_HALF_DB_FIELDS = frozenset({"rsrq_db", "ecio_db"})


def _merge_serving_cell(sample: SignalSample, cell: parsers.ServingCell) -> SignalSample:
    """Overlay the vendor serving-cell values (more fields, often finer) on a reading.

    Exception: a whole-dB vendor RSRQ / Ec/Io never replaces the half-dB +CESQ value.
    """
    changes: dict[str, object] = {}
    for f in fields(cell):
        value = getattr(cell, f.name)
        if value is None or f.name not in _SAMPLE_FIELDS:
            continue
        if (
            f.name in _HALF_DB_FIELDS
            and getattr(sample, f.name) is not None
            and float(value).is_integer()
        ):
            continue
        changes[f.name] = value
    if cell.rat == "none" and sample.reg_state in ("home", "roaming"):
        changes.pop("rat")  # a SEARCH state racing a fresh registration: trust +CxREG
    if "mcc" in changes or "mnc" in changes:
        changes["operator_name"] = operator_name(
            str(changes.get("mcc", sample.mcc)), str(changes.get("mnc", sample.mnc))
        )
    return replace(sample, **changes)  # type: ignore[arg-type]
