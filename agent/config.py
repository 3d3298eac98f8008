"""The agent's configuration file (TOML), e.g.::

    [agent]
    site = "3171011001005"          # the TPS code this kit serves
    data_dir = "/var/lib/pantau"

    [collector]
    address = "collector.example:7600"
    credential_file = "/var/lib/pantau/credential"

    [kit]
    backhaul = "cellular"           # or "vsat-geo", "vsat-leo", "wired" (KitSection)

    [modem]
    port = "/dev/ttyUSB2"           # any pyserial URL: a device, socket://, a pty
    interval_s = 30

    # or, a kit with a modem per operator (1-3; instead of [modem], ModemSection):
    # [[modems]]
    # name = "tsel"                 # kit-local name, on every record (m1, m2, ... if left out)
    # port = "usb:2c7c:0125:if02"
    # interface = "wwan0"           # its probes go out over this interface
    [sms]                           # the SMS lifeline (agent.sms.settings), off by default
    enabled = true
    collector_number = "+628110000099"

    [check]                         # pantau-agent check's speed test (CheckSection)
    upload_test = true              # false: declined (init --no-upload-test)
    upload_need_mbps = 3.0          # a measured upload under this: DEGRADED

    [[probe]]
    name = "ping-collector"
    kind = "icmp"                   # one of agent.probes.PROBERS
    interval_s = 60
    target = "collector.example"

Bad files are refused with :class:`pantau.core.tomlconfig.ConfigError` naming the file,
the key and what is expected.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from agent import probes
from agent.probes import base as probes_base
from agent.sms.settings import SmsSection
from pantau.core.backhaul import CELLULAR, check_backhaul
from pantau.core.net import is_loopback
from pantau.core.sites import TpsCodeError, validate_tps_code
from pantau.core.tomlconfig import ConfigError, build, read_toml, setting


@dataclass(frozen=True, slots=True)
class AgentSection:
    site: str
    id: str = ""
    data_dir: str = "/var/lib/pantau"

    def __post_init__(self) -> None:
        try:
            validate_tps_code(self.site)
        except TpsCodeError as exc:
            raise ValueError(f"site: {exc}") from None


def check_address(address: str) -> None:
    """A collector address is ``HOST:PORT``; raises ValueError ("address: ...") if not."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"address: expected HOST:PORT (e.g. collector.example:7600), got {address!r}"
        )


@dataclass(frozen=True, slots=True)
class CollectorSection:
    address: str
    credential: str = ""
    credential_file: str = ""
    ca_file: str = ""
    insecure: bool = False

    def __post_init__(self) -> None:
        check_address(self.address)
        if not self.ca_file and not self.insecure and not is_loopback(self.address):
            raise ValueError(
                "ca_file: required for a collector outside loopback (TLS, pinned to the "
                "deployment's ca.crt); insecure = true sends in plaintext (testing only)"
            )
        if not self.credential and not self.credential_file:
            raise ValueError(
                "credential: set credential or credential_file (enroll the kit to get one)"
            )


@dataclass(frozen=True, slots=True)
class KitSection:
    """``backhaul``: the link the kit's data travels over to the collector, one of
    :data:`pantau.core.backhaul.BACKHAULS` (``cellular``, ``vsat-geo``, ``vsat-leo``,
    ``wired``). The kit says it in every Hello; the collector judges the site's latency
    and loss against that link and sends its network problems to the link's queue. A
    kit on a satellite or wired link may have no modem (``[modem] port`` empty) or
    keep one only for readings."""

    backhaul: str = CELLULAR

    def __post_init__(self) -> None:
        check_backhaul(self.backhaul)


_MODEM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,15}")
#: A kit holds at most this many modems (one per operator: Telkomsel, Indosat, XL).
MAX_MODEMS = 3


@dataclass(frozen=True, slots=True)
class ModemSection:
    """``port``: a pyserial URL (``/dev/ttyUSB2``, ``socket://host:port``, a pty) or a USB
    identity ``usb:VID:PID:ifNN`` (e.g. ``usb:2c7c:0125:if02``, a Quectel EC25's AT port)
    that survives re-enumeration. Empty: no modem (probes only)."""

    port: str = ""
    dialect: Literal["auto", "3gpp", "quectel", "simcom", "huawei", "sierra", "fibocom"] = "auto"
    interval_s: float = setting(30.0, min=1, max=3600)
    command_timeout_s: float = setting(3.0, min=0.1, max=120)
    #: Ask the modem's GNSS receiver for a position with every reading (switches it on).
    gnss: bool = False
    #: Consecutive timeouts or errors before the modem counts as lost (a vanished
    #: port counts at once).
    failures_before_lost: int = setting(3, min=1, max=100)
    #: Kit-local name of the modem, on every record it gives (``Record.modem``). Empty
    #: for the single ``[modem]`` of a one-modem kit (its records name no modem).
    name: str = ""
    #: The network interface of this modem's data connection (``wwan0``), or a source
    #: address: the probes run once per modem, bound to it. Empty: the default route.
    interface: str = ""

    def __post_init__(self) -> None:
        if self.name and not _MODEM_NAME.fullmatch(self.name):
            raise ValueError(
                f"name: expected 1-16 lower-case letters, digits, '-' or '_' starting with a "
                f"letter or digit (e.g. 'tsel'), got {self.name!r} / nama modem {self.name!r} "
                "tidak sah: 1-16 huruf kecil, angka, '-' atau '_' (contoh 'tsel')"
            )
        if self.interface:
            try:
                probes_base.check_source("interface", self.interface)
            except probes_base.ProbeConfigError:
                raise ValueError(
                    "interface: expected a network interface name (e.g. 'wwan0') or an IP "
                    f"address, got {self.interface!r} / antarmuka jaringan "
                    f"{self.interface!r} tidak sah: tulis nama antarmuka (contoh 'wwan0') "
                    "atau alamat IP"
                ) from None
        if self.port.startswith("usb:"):
            from agent.modem.usb import UsbIdentity

            try:
                UsbIdentity.parse(self.port)
            except ValueError as exc:
                raise ValueError(f"port: {exc}") from None


@dataclass(frozen=True, slots=True)
class SpoolSection:
    max_bytes: int = setting(64 * 1024 * 1024, min=64 * 1024)
    flush_interval_s: float = setting(2.0, min=0.05, max=300)


@dataclass(frozen=True, slots=True)
class BudgetSection:
    """The SIM's daily data allowance for probes (prepaid, metered)."""

    daily_bytes: int = setting(20_000_000, min=0)


@dataclass(frozen=True, slots=True)
class CheckSection:
    """``pantau-agent check``'s speed test: download then upload to the collector's
    throughput endpoint (same host as ``[collector] address``, TLS when the collector has
    a ``ca_file``), each direction capped at ``test_max_bytes`` of payload and
    ``test_max_time_s`` seconds. ``upload_test = false`` (``init --no-upload-test``): the
    technician declined it, and check says "not measured". A measured upload under
    ``upload_need_mbps`` (KPU asks about 3-4 Mbit/s for the result photos) is DEGRADED."""

    upload_test: bool = True
    throughput_port: int = setting(7601, min=1, max=65535)
    upload_need_mbps: float = setting(3.0, min=0.1, max=1000)
    test_max_bytes: int = setting(2_000_000, min=16_384, max=16_000_000)
    test_max_time_s: float = setting(6.0, min=1, max=20)


@dataclass(frozen=True, slots=True)
class SchedulerSection:
    max_concurrent: int = setting(2, min=1, max=16)


@dataclass(frozen=True, slots=True)
class ProbeEntry:
    """One scheduled probe: how often, and the prober's own typed config."""

    name: str
    kind: str
    interval_s: float
    jitter_ratio: float
    timeout_s: float
    config: Any


@dataclass(frozen=True, slots=True)
class _File:
    agent: AgentSection
    collector: CollectorSection
    kit: KitSection = field(default_factory=KitSection)
    modem: ModemSection = field(default_factory=ModemSection)
    modems: list[ModemSection] = field(default_factory=list)
    spool: SpoolSection = field(default_factory=SpoolSection)
    budget: BudgetSection = field(default_factory=BudgetSection)
    scheduler: SchedulerSection = field(default_factory=SchedulerSection)
    check: CheckSection = field(default_factory=CheckSection)
    sms: SmsSection = field(default_factory=SmsSection)
    probe: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AgentConfig:
    agent: AgentSection
    collector: CollectorSection
    modem: ModemSection
    spool: SpoolSection
    budget: BudgetSection
    scheduler: SchedulerSection
    probes: tuple[ProbeEntry, ...]
    source: str
    check: CheckSection = field(default_factory=CheckSection)
    kit: KitSection = field(default_factory=KitSection)
    #: Every modem the kit reads: the ``[[modems]]`` list, or the single ``[modem]``
    #: when it has a port (then ``modem`` is it); empty: no modem. With ``[[modems]]``,
    #: ``modem`` is the first of them.
    modems: tuple[ModemSection, ...] = ()
    sms: SmsSection = field(default_factory=SmsSection)

    @property
    def agent_id(self) -> str:
        return self.agent.id or f"kit-{self.agent.site}-{socket.gethostname()}"[:64]

    @property
    def data_dir(self) -> Path:
        return Path(self.agent.data_dir)

    def credential_token(self) -> str:
        if self.collector.credential:
            return self.collector.credential
        path = Path(self.collector.credential_file)
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                self.source,
                f"[collector] credential_file: cannot read {path}: {exc.strerror}",
            ) from None


#: On a geostationary link a reply takes 500-700 ms and more under load: a prober's
#: own wait for a reply (a ping's, a DNS answer's) is at least this long there, so a
#: slow reply is measured as latency, not counted as lost.
GEO_MIN_REPLY_TIMEOUT_S = 3.0


def for_backhaul(entry: ProbeEntry, backhaul: str) -> ProbeEntry:
    """``entry`` as it runs over ``backhaul``: over ``vsat-geo`` its prober waits at
    least :data:`GEO_MIN_REPLY_TIMEOUT_S` for a reply."""
    timeout_s = getattr(entry.config, "timeout_s", None)
    if backhaul != "vsat-geo" or timeout_s is None or timeout_s >= GEO_MIN_REPLY_TIMEOUT_S:
        return entry
    return replace(entry, config=replace(entry.config, timeout_s=GEO_MIN_REPLY_TIMEOUT_S))


_SCHEDULE_KEYS = {"name", "kind", "interval_s", "jitter_ratio", "timeout_s"}


def _probe_entry(raw: dict[str, Any], index: int, source: str) -> ProbeEntry:
    where = f"[[probe]] #{index}"
    for key in ("name", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigError(source, f"{where} {key}: required, expected a non-empty string")
    kind = raw["kind"]
    if kind not in probes.PROBERS:
        known = ", ".join(sorted(probes.PROBERS))
        raise ConfigError(source, f"{where} kind: unknown prober {kind!r} (known: {known})")
    schedule = _Schedule.parse(raw, where, source)
    options = {k: v for k, v in raw.items() if k not in _SCHEDULE_KEYS}
    try:
        config = probes.build_config(kind, options, where=f"{source}: {where}")
    except probes.ProbeConfigError as exc:
        raise ConfigError(source, str(exc).removeprefix(f"{source}: ")) from None
    return ProbeEntry(
        name=raw["name"],
        kind=kind,
        interval_s=schedule.interval_s,
        jitter_ratio=schedule.jitter_ratio,
        timeout_s=schedule.timeout_s,
        config=config,
    )


@dataclass(frozen=True, slots=True)
class _Schedule:
    interval_s: float = setting(60.0, min=1, max=86400)
    jitter_ratio: float = setting(0.1, min=0, max=0.5)
    timeout_s: float = setting(30.0, min=0.1, max=600)

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str, source: str) -> _Schedule:
        subset: dict[str, Any] = {
            k: raw[k] for k in ("interval_s", "jitter_ratio", "timeout_s") if k in raw
        }
        return build(cls, subset, source=source, where=where)


def modem_with_flags(
    config: AgentConfig | None, flags: Mapping[str, object], *, source: str
) -> ModemSection:
    """The ``[modem]`` table as the file gives it (or the defaults), with command-line
    flags laid over it (a flag left out, None, keeps the file's value), built and
    checked by the same builder as the file. ``flags`` are keyed by ``[modem]`` key
    (``port``, ``dialect``). Raises ConfigError naming ``source`` and the key."""
    table: dict[str, object] = {}
    if config is not None:
        table = {f.name: getattr(config.modem, f.name) for f in fields(ModemSection)}
    table.update({key: value for key, value in flags.items() if value is not None})
    return build(ModemSection, table, source=source)


def _check_modems(table: Mapping[str, Any], raw: _File, source: str) -> tuple[ModemSection, ...]:
    """The kit's modems (see :attr:`AgentConfig.modems`), ``[[modems]]`` entries named
    ``m1``, ``m2``, ... where the file names none; raises ConfigError on two of a name,
    a port or an interface, on more than :data:`MAX_MODEMS`, and on both tables."""
    if not raw.modems:
        return (raw.modem,) if raw.modem.port else ()
    if "modem" in table:
        raise ConfigError(
            source,
            "[modem] and [[modems]]: use one of them (a kit with one modem: [modem]; with a "
            "modem per operator: [[modems]]) / pakai salah satu saja: [modem] untuk satu "
            "modem, [[modems]] untuk satu modem per operator",
        )
    if len(raw.modems) > MAX_MODEMS:
        raise ConfigError(
            source,
            f"[[modems]]: at most {MAX_MODEMS} modems (one per operator), got "
            f"{len(raw.modems)} / paling banyak {MAX_MODEMS} modem (satu per operator), "
            f"tertulis {len(raw.modems)}",
        )
    modems: list[ModemSection] = []
    for index, entry in enumerate(raw.modems, start=1):
        where = f"[[modems]] #{index}"
        if not entry.port:
            raise ConfigError(
                source,
                f"{where} port: required (the modem's AT port: a device such as "
                "/dev/ttyUSB2, a USB identity usb:VID:PID:ifNN, or a pty) / port AT modem "
                "wajib diisi (perangkat seperti /dev/ttyUSB2, identitas USB usb:VID:PID:ifNN, "
                "atau pty)",
            )
        modem = replace(entry, name=entry.name or f"m{index}")
        for key, word in (("name", "nama"), ("port", "port"), ("interface", "antarmuka")):
            value = getattr(modem, key)
            if value and any(getattr(m, key) == value for m in modems):
                raise ConfigError(
                    source,
                    f"{where} {key}: {value!r} is used by two modems / {word} {value!r} "
                    "dipakai oleh dua modem",
                )
        modems.append(modem)
    return tuple(modems)


def load_agent_config(path: Path) -> AgentConfig:
    source = str(path)
    table = read_toml(path)
    raw = build(_File, table, source=source)
    modems = _check_modems(table, raw, source)
    names: set[str] = set()
    entries = []
    for index, item in enumerate(raw.probe, start=1):
        entry = _probe_entry(item, index, source)
        if entry.name in names:
            raise ConfigError(source, f"[[probe]] #{index} name: {entry.name!r} is used twice")
        names.add(entry.name)
        entries.append(for_backhaul(entry, raw.kit.backhaul))
    return AgentConfig(
        agent=raw.agent,
        collector=raw.collector,
        modem=modems[0] if raw.modems else raw.modem,
        modems=modems,
        spool=raw.spool,
        budget=raw.budget,
        scheduler=raw.scheduler,
        probes=tuple(entries),
        source=source,
        check=raw.check,
        kit=raw.kit,
        sms=raw.sms,
    )
