"""The modem service: wires the driver, the engine and the parsers into readings.

``Modem(url).open()`` opens the port, sets it up and reads the identity (once per
connection); ``read_signal()`` returns one :class:`SignalSample`. ``url`` is any
pyserial URL or a USB identity such as ``usb:2c7c:0125:if02``, resolved to the current
``/dev/ttyUSBn`` on every (re)open (:mod:`agent.modem.usb`). A SIM that is absent
or locked and a modem without service are readings (``sim_state``, ``reg_state``,
``rat="none"``), never exceptions. A port that vanished raises
:class:`~agent.modem.errors.PortUnavailable`; the next ``read_signal()`` reopens it
(USB re-enumeration) and raises again while it is still gone.

Dialects: "auto" picks one from +CGMI/+CGMM (:func:`detect_dialect`). Every dialect
asks the 3GPP commands (+CPIN?, +CSQ, +CESQ, +COPS?, +CEREG?, and +CGREG?/+CREG?/+C5GREG?
off LTE); then "quectel" adds ``AT+QENG="servingcell"``, "simcom" ``AT+CPSI?``, "huawei"
``AT^HCSQ?``, "sierra" ``AT!GSTATUS?`` and "fibocom" (Intel XMM) ``AT+XCESQ?`` (+CESQ
plus SINR), whose values (more fields, finer units) win over 3GPP ones; a whole-dB vendor
RSRQ / Ec/Io never replaces the half-dB +CESQ one, and a refused or unparsable vendor
answer leaves the 3GPP reading as it is. A value outside its field's valid range for the
reading's RAT never reaches the sample (:mod:`agent.modem.ranges`: absent, logged).

Neighbour cells and carriers: "quectel" asks ``AT+QENG="neighbourcell"`` and
``AT+QCAINFO``, "simcom" ``AT+CENG?`` (switching engineering mode on with
``AT+CENG=1,1`` once per connection), "sierra" ``AT!LTEINFO?`` on LTE
(:mod:`agent.modem.cells`); a neighbour whose
relation the modem left open is related to the serving cell by RAT and channel. Huawei,
Fibocom and 3GPP have no documented neighbour command here: ``neighbours`` stays None
("the modem cannot say"), which is not the same as ``()`` ("it hears none"). A refusal
leaves them None too; ``carriers`` stays ``()``.

GNSS (``gnss=True``; "quectel" and "simcom" only): each reading also asks the position,
``AT+QGPSLOC=2`` (Quectel), ``AT+CGPSINFO`` (SIMCom SIM7xxx) or ``AT+CGNSSINFO``
(SIMCom A76xx, decimal degrees), and fills ``lat_deg`` / ``lon_deg`` when there is a
fix. No fix (``+CME ERROR: 516``, empty fields) and any refusal leave them unset: never
an error. Once per connection the receiver's state is asked (``AT+QGPS?``,
``AT+CGPS?``, ``AT+CGNSSPWR?``) and, unless it is on, it is switched on (``AT+QGPS=1``,
``AT+CGPS=1``, ``AT+CGNSSPWR=1``); a refusal is logged and tolerated.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TypeVar

from agent.modem import cells, fibocom, gnss, parsers, ranges, sierra, vendors
from agent.modem.dialects import DIALECTS
from agent.modem.driver import AtPort
from agent.modem.engine import Response
from agent.modem.errors import CommandFailed, ModemTimeout
from agent.modem.fields import first_line
from agent.modem.model import CarrierComponent, ModemIdentity, NeighbourCell, SignalSample
from pantau.core.operators import operator_name

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Dialects :class:`Modem` accepts (besides "auto"): the model's and the ones added here.
SUPPORTED_DIALECTS: tuple[str, ...] = DIALECTS

_QUECTEL_MODEL = re.compile(r"^(EC|EG|EM|EP|RM|RG|BG|UC|UG|AG)\d", re.IGNORECASE)
#: Sierra Wireless MC73xx..MC77xx, EM73xx..EM77xx, EM9xxx (Quectel EMs are EM0x/EM1x).
_SIERRA_MODEL = re.compile(r"^(MC|EM)[789]\d{3}", re.IGNORECASE)
#: Fibocom modules on Intel XMM (L850-GL, L860-GL) and bare XMM names.
_FIBOCOM_MODEL = re.compile(r"^(L8[0-9]0\b|XMM)", re.IGNORECASE)
_MAKERS: tuple[tuple[str, str], ...] = (
    ("QUECTEL", "quectel"),
    ("SIMCOM", "simcom"),
    ("HUAWEI", "huawei"),
    ("SIERRA", "sierra"),
    ("FIBOCOM", "fibocom"),
    ("INTEL", "fibocom"),
)


def detect_dialect(manufacturer: str | None, model: str | None) -> str:
    """Pick the dialect from +CGMI/+CGMM text: quectel, simcom, huawei, sierra, fibocom,
    else 3gpp. The manufacturer decides when it names one; else the model's shape."""
    maker = (manufacturer or "").upper()
    name = (model or "").strip()
    for word, dialect in _MAKERS:
        if word in maker:
            return dialect
    if _SIERRA_MODEL.match(name):
        return "sierra"
    if _QUECTEL_MODEL.match(name):
        return "quectel"
    if re.match(r"^SIM\d", name, re.IGNORECASE):
        return "simcom"
    if _FIBOCOM_MODEL.match(name):
        return "fibocom"
    return "3gpp"


@dataclass(frozen=True, slots=True)
class GnssCommands:
    """How one dialect asks for its position and switches its receiver on."""

    status: str  # asks whether the receiver is on; answers "<prefix> <0|1>[,...]"
    status_prefix: str
    enable: str
    locate: str
    parse: Callable[[tuple[str, ...]], gnss.GnssFix]


def _cgnssinfo_decimal(lines: tuple[str, ...]) -> gnss.GnssFix:
    return gnss.parse_cgnssinfo(lines, coord_format="decimal")


def gnss_commands(dialect: str, model: str | None) -> GnssCommands | None:
    """The GNSS commands of ``dialect`` (``model`` picks SIMCom's A76xx commands), or
    None when the layer knows none for it."""
    if dialect == "quectel":
        return GnssCommands("AT+QGPS?", "+QGPS:", "AT+QGPS=1", "AT+QGPSLOC=2", gnss.parse_qgpsloc)
    if dialect == "simcom" and gnss.cgnssinfo_decimal(model):
        return GnssCommands(
            "AT+CGNSSPWR?", "+CGNSSPWR:", "AT+CGNSSPWR=1", "AT+CGNSSINFO", _cgnssinfo_decimal
        )
    if dialect == "simcom":
        return GnssCommands("AT+CGPS?", "+CGPS:", "AT+CGPS=1", "AT+CGPSINFO", gnss.parse_cgpsinfo)
    return None


def _receiver_on(lines: tuple[str, ...], prefix: str) -> bool:
    """``+QGPS: 1`` / ``+CGPS: 1,1`` / ``+CGNSSPWR: 1`` -> True; 0 -> False."""
    on = parsers.to_int(parsers.split_fields(first_line(lines, prefix), prefix)[0])
    if on not in (0, 1):
        raise parsers.ParseError(f"{prefix} expected 0 or 1 first, got {list(lines)!r}")
    return on == 1


class Modem:
    """One modem on one AT port; see the module docstring. Usable as a context manager."""

    def __init__(
        self,
        url: str,
        *,
        dialect: str = "auto",
        command_timeout_s: float = 3.0,
        resolve: Callable[[str], str] | None = None,
        gnss: bool = False,
    ) -> None:
        if dialect != "auto" and dialect not in SUPPORTED_DIALECTS:
            raise ValueError(f"dialect={dialect!r}: expected 'auto' or one of {SUPPORTED_DIALECTS}")
        self.url = url
        self.requested_dialect = dialect
        #: Ask the position with every reading (see the module docstring).
        self.gnss = gnss
        self._gnss_started = False  # the receiver was checked/switched on (per connection)
        self._ceng_on = False  # SIMCom engineering mode was switched on (per connection)
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
            self._gnss_started = False
            self._ceng_on = False
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
        if self.dialect == "sierra":
            return self._query("AT!GSTATUS?", sierra.parse_gstatus)
        if self.dialect == "fibocom":
            return self._query("AT+XCESQ?", _xcesq_cell)
        return None

    def _cells(self, sample: SignalSample) -> SignalSample:
        """The reading with the dialect's neighbour cells and component carriers."""
        family = _serving_family(sample.rat)
        found: tuple[NeighbourCell, ...] | None = None
        carriers: tuple[CarrierComponent, ...] | None = None
        if self.dialect == "quectel":
            found = self._query(
                'AT+QENG="neighbourcell"',
                lambda lines: cells.parse_qeng_neighbourcell(lines, serving_rat=family),
            )
            carriers = self._query("AT+QCAINFO", cells.parse_qcainfo)
        elif self.dialect == "simcom":
            if not self._ceng_on:
                self._ceng_on = True
                self._query("AT+CENG=1,1", lambda lines: None)
            found = self._query("AT+CENG?", cells.parse_ceng)
        elif self.dialect == "sierra" and _serving_family(sample.rat) == "lte":
            found = self._query("AT!LTEINFO?", cells.parse_lteinfo)
        if found is not None:
            found = cells.relate(found, family, _serving_channel(sample))
        return replace(sample, neighbours=found, carriers=carriers or ())

    def _position(self) -> gnss.GnssFix | None:
        """The dialect's GNSS position (switching the receiver on once per connection);
        None when the dialect has no GNSS command, the modem refused or the answer is
        unparsable; :data:`~agent.modem.gnss.NO_FIX` without a fix."""
        model = self.identity.model if self.identity is not None else None
        commands = gnss_commands(self.dialect, model)
        if commands is None:
            return None
        if not self._gnss_started:
            self._gnss_started = True
            self._start_receiver(commands)
        try:
            response = self.port.command(commands.locate)
        except CommandFailed as exc:
            no_fix = gnss.gnss_from_error(exc.cme_code)  # 516: no fix yet, not a failure
            if no_fix is None:
                log.info("GNSS position unavailable: %s", exc)
            return no_fix
        try:
            return commands.parse(response.lines)
        except parsers.ParseError as exc:
            log.warning("%s on %s: unparsable answer: %s", commands.locate, self.url, exc)
            return None

    def _start_receiver(self, commands: GnssCommands) -> None:
        on = self._query(commands.status, lambda lines: _receiver_on(lines, commands.status_prefix))
        if on:
            return
        try:
            self.port.command(commands.enable)
            log.info("GNSS switched on with %s on %s", commands.enable, self.url)
        except CommandFailed as exc:
            log.info("GNSS not switched on (tolerated): %s", exc)

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
        sample = self._cells(sample)
        if self.gnss:
            fix = self._position()
            if fix is not None and fix.fix:
                sample = replace(sample, lat_deg=fix.lat_deg, lon_deg=fix.lon_deg)
        # The parsers check what they produce; this checks what was combined (a +CREG
        # cell id, a PCI against the final RAT) before it can become a record.
        return ranges.drop_invalid(sample, source=f"reading from {self.url}")


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


def _serving_family(rat: str | None) -> str | None:
    """The serving RAT as a cell RAT ("gsm", "umts", "lte", "nr"); None off service."""
    family = ranges.family_of(rat)
    return "lte" if family == "lpwa" else family


def _serving_channel(sample: SignalSample) -> int | None:
    family = _serving_family(sample.rat)
    if family == "lte":
        return sample.earfcn
    if family == "umts":
        return sample.uarfcn
    return sample.arfcn


def _xcesq_cell(lines: tuple[str, ...]) -> parsers.ServingCell:
    """``+XCESQ`` as serving-cell values: the +CESQ measurements plus SINR (no RAT)."""
    x = fibocom.parse_xcesq(lines)
    return parsers.ServingCell(
        rssi_dbm=x.rxlev_dbm,
        rscp_dbm=x.rscp_dbm,
        ecio_db=x.ecno_db,
        rsrq_db=x.rsrq_db,
        rsrp_dbm=x.rsrp_dbm,
        sinr_db=x.sinr_db,
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
