from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Rat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RAT_UNSPECIFIED: _ClassVar[Rat]
    RAT_NONE: _ClassVar[Rat]
    RAT_GSM: _ClassVar[Rat]
    RAT_EDGE: _ClassVar[Rat]
    RAT_UMTS: _ClassVar[Rat]
    RAT_HSPA: _ClassVar[Rat]
    RAT_LTE: _ClassVar[Rat]
    RAT_NBIOT: _ClassVar[Rat]
    RAT_LTE_M: _ClassVar[Rat]
    RAT_NR5G_SA: _ClassVar[Rat]
    RAT_NR5G_NSA: _ClassVar[Rat]

class RegState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REG_STATE_UNSPECIFIED: _ClassVar[RegState]
    REG_STATE_NOT_REGISTERED: _ClassVar[RegState]
    REG_STATE_HOME: _ClassVar[RegState]
    REG_STATE_SEARCHING: _ClassVar[RegState]
    REG_STATE_DENIED: _ClassVar[RegState]
    REG_STATE_UNKNOWN: _ClassVar[RegState]
    REG_STATE_ROAMING: _ClassVar[RegState]
    REG_STATE_SMS_ONLY: _ClassVar[RegState]
    REG_STATE_EMERGENCY_ONLY: _ClassVar[RegState]
    REG_STATE_OTHER: _ClassVar[RegState]

class SimState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIM_STATE_UNSPECIFIED: _ClassVar[SimState]
    SIM_STATE_READY: _ClassVar[SimState]
    SIM_STATE_ABSENT: _ClassVar[SimState]
    SIM_STATE_PIN_REQUIRED: _ClassVar[SimState]
    SIM_STATE_PUK_REQUIRED: _ClassVar[SimState]
    SIM_STATE_BUSY: _ClassVar[SimState]
    SIM_STATE_ERROR: _ClassVar[SimState]

class CellRat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CELL_RAT_UNSPECIFIED: _ClassVar[CellRat]
    CELL_RAT_GSM: _ClassVar[CellRat]
    CELL_RAT_UMTS: _ClassVar[CellRat]
    CELL_RAT_LTE: _ClassVar[CellRat]
    CELL_RAT_NR: _ClassVar[CellRat]

class CellRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CELL_RELATION_UNSPECIFIED: _ClassVar[CellRelation]
    CELL_RELATION_INTRA_FREQUENCY: _ClassVar[CellRelation]
    CELL_RELATION_INTER_FREQUENCY: _ClassVar[CellRelation]
    CELL_RELATION_INTER_RAT: _ClassVar[CellRelation]

class ProbeStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROBE_STATUS_UNSPECIFIED: _ClassVar[ProbeStatus]
    PROBE_STATUS_OK: _ClassVar[ProbeStatus]
    PROBE_STATUS_TIMEOUT: _ClassVar[ProbeStatus]
    PROBE_STATUS_UNRESOLVABLE: _ClassVar[ProbeStatus]
    PROBE_STATUS_REFUSED: _ClassVar[ProbeStatus]
    PROBE_STATUS_UNREACHABLE: _ClassVar[ProbeStatus]
    PROBE_STATUS_NOT_PERMITTED: _ClassVar[ProbeStatus]
    PROBE_STATUS_SKIPPED_BUDGET: _ClassVar[ProbeStatus]
    PROBE_STATUS_ERROR: _ClassVar[ProbeStatus]
    PROBE_STATUS_TLS_ERROR: _ClassVar[ProbeStatus]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_DOWNLOAD: _ClassVar[Direction]
    DIRECTION_UPLOAD: _ClassVar[Direction]
RAT_UNSPECIFIED: Rat
RAT_NONE: Rat
RAT_GSM: Rat
RAT_EDGE: Rat
RAT_UMTS: Rat
RAT_HSPA: Rat
RAT_LTE: Rat
RAT_NBIOT: Rat
RAT_LTE_M: Rat
RAT_NR5G_SA: Rat
RAT_NR5G_NSA: Rat
REG_STATE_UNSPECIFIED: RegState
REG_STATE_NOT_REGISTERED: RegState
REG_STATE_HOME: RegState
REG_STATE_SEARCHING: RegState
REG_STATE_DENIED: RegState
REG_STATE_UNKNOWN: RegState
REG_STATE_ROAMING: RegState
REG_STATE_SMS_ONLY: RegState
REG_STATE_EMERGENCY_ONLY: RegState
REG_STATE_OTHER: RegState
SIM_STATE_UNSPECIFIED: SimState
SIM_STATE_READY: SimState
SIM_STATE_ABSENT: SimState
SIM_STATE_PIN_REQUIRED: SimState
SIM_STATE_PUK_REQUIRED: SimState
SIM_STATE_BUSY: SimState
SIM_STATE_ERROR: SimState
CELL_RAT_UNSPECIFIED: CellRat
CELL_RAT_GSM: CellRat
CELL_RAT_UMTS: CellRat
CELL_RAT_LTE: CellRat
CELL_RAT_NR: CellRat
CELL_RELATION_UNSPECIFIED: CellRelation
CELL_RELATION_INTRA_FREQUENCY: CellRelation
CELL_RELATION_INTER_FREQUENCY: CellRelation
CELL_RELATION_INTER_RAT: CellRelation
PROBE_STATUS_UNSPECIFIED: ProbeStatus
PROBE_STATUS_OK: ProbeStatus
PROBE_STATUS_TIMEOUT: ProbeStatus
PROBE_STATUS_UNRESOLVABLE: ProbeStatus
PROBE_STATUS_REFUSED: ProbeStatus
PROBE_STATUS_UNREACHABLE: ProbeStatus
PROBE_STATUS_NOT_PERMITTED: ProbeStatus
PROBE_STATUS_SKIPPED_BUDGET: ProbeStatus
PROBE_STATUS_ERROR: ProbeStatus
PROBE_STATUS_TLS_ERROR: ProbeStatus
DIRECTION_UNSPECIFIED: Direction
DIRECTION_DOWNLOAD: Direction
DIRECTION_UPLOAD: Direction

class RecordTime(_message.Message):
    __slots__ = ("wall_unix_ns", "monotonic_ns", "boot_id", "clock_synced")
    WALL_UNIX_NS_FIELD_NUMBER: _ClassVar[int]
    MONOTONIC_NS_FIELD_NUMBER: _ClassVar[int]
    BOOT_ID_FIELD_NUMBER: _ClassVar[int]
    CLOCK_SYNCED_FIELD_NUMBER: _ClassVar[int]
    wall_unix_ns: int
    monotonic_ns: int
    boot_id: str
    clock_synced: bool
    def __init__(self, wall_unix_ns: _Optional[int] = ..., monotonic_ns: _Optional[int] = ..., boot_id: _Optional[str] = ..., clock_synced: _Optional[bool] = ...) -> None: ...

class SignalReading(_message.Message):
    __slots__ = ("rat", "reg_state", "sim_state", "mcc", "mnc", "operator_name", "lac", "tac", "cell_id", "pci", "psc", "earfcn", "uarfcn", "arfcn", "band", "rssi_dbm", "rsrp_dbm", "rsrq_db", "sinr_db", "rscp_dbm", "ecio_db", "csq", "ber_percent", "nr_rsrp_dbm", "nr_rsrq_db", "nr_sinr_db", "dialect", "lat_deg", "lon_deg", "nr_pci", "nr_arfcn", "nr_band", "neighbours", "neighbours_reported", "carriers")
    RAT_FIELD_NUMBER: _ClassVar[int]
    REG_STATE_FIELD_NUMBER: _ClassVar[int]
    SIM_STATE_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    MNC_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    LAC_FIELD_NUMBER: _ClassVar[int]
    TAC_FIELD_NUMBER: _ClassVar[int]
    CELL_ID_FIELD_NUMBER: _ClassVar[int]
    PCI_FIELD_NUMBER: _ClassVar[int]
    PSC_FIELD_NUMBER: _ClassVar[int]
    EARFCN_FIELD_NUMBER: _ClassVar[int]
    UARFCN_FIELD_NUMBER: _ClassVar[int]
    ARFCN_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    RSSI_DBM_FIELD_NUMBER: _ClassVar[int]
    RSRP_DBM_FIELD_NUMBER: _ClassVar[int]
    RSRQ_DB_FIELD_NUMBER: _ClassVar[int]
    SINR_DB_FIELD_NUMBER: _ClassVar[int]
    RSCP_DBM_FIELD_NUMBER: _ClassVar[int]
    ECIO_DB_FIELD_NUMBER: _ClassVar[int]
    CSQ_FIELD_NUMBER: _ClassVar[int]
    BER_PERCENT_FIELD_NUMBER: _ClassVar[int]
    NR_RSRP_DBM_FIELD_NUMBER: _ClassVar[int]
    NR_RSRQ_DB_FIELD_NUMBER: _ClassVar[int]
    NR_SINR_DB_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    LAT_DEG_FIELD_NUMBER: _ClassVar[int]
    LON_DEG_FIELD_NUMBER: _ClassVar[int]
    NR_PCI_FIELD_NUMBER: _ClassVar[int]
    NR_ARFCN_FIELD_NUMBER: _ClassVar[int]
    NR_BAND_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOURS_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOURS_REPORTED_FIELD_NUMBER: _ClassVar[int]
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    rat: Rat
    reg_state: RegState
    sim_state: SimState
    mcc: str
    mnc: str
    operator_name: str
    lac: int
    tac: int
    cell_id: int
    pci: int
    psc: int
    earfcn: int
    uarfcn: int
    arfcn: int
    band: int
    rssi_dbm: float
    rsrp_dbm: float
    rsrq_db: float
    sinr_db: float
    rscp_dbm: float
    ecio_db: float
    csq: int
    ber_percent: float
    nr_rsrp_dbm: float
    nr_rsrq_db: float
    nr_sinr_db: float
    dialect: str
    lat_deg: float
    lon_deg: float
    nr_pci: int
    nr_arfcn: int
    nr_band: int
    neighbours: _containers.RepeatedCompositeFieldContainer[NeighbourCell]
    neighbours_reported: bool
    carriers: _containers.RepeatedCompositeFieldContainer[CarrierComponent]
    def __init__(self, rat: _Optional[_Union[Rat, str]] = ..., reg_state: _Optional[_Union[RegState, str]] = ..., sim_state: _Optional[_Union[SimState, str]] = ..., mcc: _Optional[str] = ..., mnc: _Optional[str] = ..., operator_name: _Optional[str] = ..., lac: _Optional[int] = ..., tac: _Optional[int] = ..., cell_id: _Optional[int] = ..., pci: _Optional[int] = ..., psc: _Optional[int] = ..., earfcn: _Optional[int] = ..., uarfcn: _Optional[int] = ..., arfcn: _Optional[int] = ..., band: _Optional[int] = ..., rssi_dbm: _Optional[float] = ..., rsrp_dbm: _Optional[float] = ..., rsrq_db: _Optional[float] = ..., sinr_db: _Optional[float] = ..., rscp_dbm: _Optional[float] = ..., ecio_db: _Optional[float] = ..., csq: _Optional[int] = ..., ber_percent: _Optional[float] = ..., nr_rsrp_dbm: _Optional[float] = ..., nr_rsrq_db: _Optional[float] = ..., nr_sinr_db: _Optional[float] = ..., dialect: _Optional[str] = ..., lat_deg: _Optional[float] = ..., lon_deg: _Optional[float] = ..., nr_pci: _Optional[int] = ..., nr_arfcn: _Optional[int] = ..., nr_band: _Optional[int] = ..., neighbours: _Optional[_Iterable[_Union[NeighbourCell, _Mapping]]] = ..., neighbours_reported: _Optional[bool] = ..., carriers: _Optional[_Iterable[_Union[CarrierComponent, _Mapping]]] = ...) -> None: ...

class NeighbourCell(_message.Message):
    __slots__ = ("rat", "relation", "pci", "psc", "earfcn", "uarfcn", "arfcn", "rsrp_dbm", "rsrq_db", "rssi_dbm", "sinr_db", "rscp_dbm", "ecio_db", "lac", "cell_id")
    RAT_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    PCI_FIELD_NUMBER: _ClassVar[int]
    PSC_FIELD_NUMBER: _ClassVar[int]
    EARFCN_FIELD_NUMBER: _ClassVar[int]
    UARFCN_FIELD_NUMBER: _ClassVar[int]
    ARFCN_FIELD_NUMBER: _ClassVar[int]
    RSRP_DBM_FIELD_NUMBER: _ClassVar[int]
    RSRQ_DB_FIELD_NUMBER: _ClassVar[int]
    RSSI_DBM_FIELD_NUMBER: _ClassVar[int]
    SINR_DB_FIELD_NUMBER: _ClassVar[int]
    RSCP_DBM_FIELD_NUMBER: _ClassVar[int]
    ECIO_DB_FIELD_NUMBER: _ClassVar[int]
    LAC_FIELD_NUMBER: _ClassVar[int]
    CELL_ID_FIELD_NUMBER: _ClassVar[int]
    rat: CellRat
    relation: CellRelation
    pci: int
    psc: int
    earfcn: int
    uarfcn: int
    arfcn: int
    rsrp_dbm: float
    rsrq_db: float
    rssi_dbm: float
    sinr_db: float
    rscp_dbm: float
    ecio_db: float
    lac: int
    cell_id: int
    def __init__(self, rat: _Optional[_Union[CellRat, str]] = ..., relation: _Optional[_Union[CellRelation, str]] = ..., pci: _Optional[int] = ..., psc: _Optional[int] = ..., earfcn: _Optional[int] = ..., uarfcn: _Optional[int] = ..., arfcn: _Optional[int] = ..., rsrp_dbm: _Optional[float] = ..., rsrq_db: _Optional[float] = ..., rssi_dbm: _Optional[float] = ..., sinr_db: _Optional[float] = ..., rscp_dbm: _Optional[float] = ..., ecio_db: _Optional[float] = ..., lac: _Optional[int] = ..., cell_id: _Optional[int] = ...) -> None: ...

class CarrierComponent(_message.Message):
    __slots__ = ("primary", "rat", "band", "earfcn", "arfcn", "bandwidth_mhz", "pci", "rsrp_dbm", "rsrq_db", "rssi_dbm", "sinr_db")
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    RAT_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    EARFCN_FIELD_NUMBER: _ClassVar[int]
    ARFCN_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_MHZ_FIELD_NUMBER: _ClassVar[int]
    PCI_FIELD_NUMBER: _ClassVar[int]
    RSRP_DBM_FIELD_NUMBER: _ClassVar[int]
    RSRQ_DB_FIELD_NUMBER: _ClassVar[int]
    RSSI_DBM_FIELD_NUMBER: _ClassVar[int]
    SINR_DB_FIELD_NUMBER: _ClassVar[int]
    primary: bool
    rat: CellRat
    band: int
    earfcn: int
    arfcn: int
    bandwidth_mhz: float
    pci: int
    rsrp_dbm: float
    rsrq_db: float
    rssi_dbm: float
    sinr_db: float
    def __init__(self, primary: _Optional[bool] = ..., rat: _Optional[_Union[CellRat, str]] = ..., band: _Optional[int] = ..., earfcn: _Optional[int] = ..., arfcn: _Optional[int] = ..., bandwidth_mhz: _Optional[float] = ..., pci: _Optional[int] = ..., rsrp_dbm: _Optional[float] = ..., rsrq_db: _Optional[float] = ..., rssi_dbm: _Optional[float] = ..., sinr_db: _Optional[float] = ...) -> None: ...

class ProbeCommon(_message.Message):
    __slots__ = ("probe_name", "target", "target_address", "status", "reason", "resolve_ms", "source", "bytes_used")
    PROBE_NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_MS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    BYTES_USED_FIELD_NUMBER: _ClassVar[int]
    probe_name: str
    target: str
    target_address: str
    status: ProbeStatus
    reason: str
    resolve_ms: float
    source: str
    bytes_used: int
    def __init__(self, probe_name: _Optional[str] = ..., target: _Optional[str] = ..., target_address: _Optional[str] = ..., status: _Optional[_Union[ProbeStatus, str]] = ..., reason: _Optional[str] = ..., resolve_ms: _Optional[float] = ..., source: _Optional[str] = ..., bytes_used: _Optional[int] = ...) -> None: ...

class PingPacket(_message.Message):
    __slots__ = ("icmp_seq", "rtt_ms", "duplicates")
    ICMP_SEQ_FIELD_NUMBER: _ClassVar[int]
    RTT_MS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    icmp_seq: int
    rtt_ms: float
    duplicates: int
    def __init__(self, icmp_seq: _Optional[int] = ..., rtt_ms: _Optional[float] = ..., duplicates: _Optional[int] = ...) -> None: ...

class PingResult(_message.Message):
    __slots__ = ("common", "method", "tcp_port", "sent", "received", "duplicates", "packets", "min_ms", "median_ms", "avg_ms", "max_ms", "stddev_ms", "jitter_ms", "loss_ratio", "payload_bytes", "interval_ms")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TCP_PORT_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    PACKETS_FIELD_NUMBER: _ClassVar[int]
    MIN_MS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_MS_FIELD_NUMBER: _ClassVar[int]
    AVG_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_MS_FIELD_NUMBER: _ClassVar[int]
    STDDEV_MS_FIELD_NUMBER: _ClassVar[int]
    JITTER_MS_FIELD_NUMBER: _ClassVar[int]
    LOSS_RATIO_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    common: ProbeCommon
    method: str
    tcp_port: int
    sent: int
    received: int
    duplicates: int
    packets: _containers.RepeatedCompositeFieldContainer[PingPacket]
    min_ms: float
    median_ms: float
    avg_ms: float
    max_ms: float
    stddev_ms: float
    jitter_ms: float
    loss_ratio: float
    payload_bytes: int
    interval_ms: float
    def __init__(self, common: _Optional[_Union[ProbeCommon, _Mapping]] = ..., method: _Optional[str] = ..., tcp_port: _Optional[int] = ..., sent: _Optional[int] = ..., received: _Optional[int] = ..., duplicates: _Optional[int] = ..., packets: _Optional[_Iterable[_Union[PingPacket, _Mapping]]] = ..., min_ms: _Optional[float] = ..., median_ms: _Optional[float] = ..., avg_ms: _Optional[float] = ..., max_ms: _Optional[float] = ..., stddev_ms: _Optional[float] = ..., jitter_ms: _Optional[float] = ..., loss_ratio: _Optional[float] = ..., payload_bytes: _Optional[int] = ..., interval_ms: _Optional[float] = ...) -> None: ...

class DnsAnswer(_message.Message):
    __slots__ = ("name", "type", "data", "ttl_s")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    TTL_S_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    data: str
    ttl_s: int
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., data: _Optional[str] = ..., ttl_s: _Optional[int] = ...) -> None: ...

class DnsResult(_message.Message):
    __slots__ = ("common", "query_name", "query_type", "resolver", "query_ms", "rcode", "answers")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    QUERY_NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOLVER_FIELD_NUMBER: _ClassVar[int]
    QUERY_MS_FIELD_NUMBER: _ClassVar[int]
    RCODE_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    common: ProbeCommon
    query_name: str
    query_type: str
    resolver: str
    query_ms: float
    rcode: str
    answers: _containers.RepeatedCompositeFieldContainer[DnsAnswer]
    def __init__(self, common: _Optional[_Union[ProbeCommon, _Mapping]] = ..., query_name: _Optional[str] = ..., query_type: _Optional[str] = ..., resolver: _Optional[str] = ..., query_ms: _Optional[float] = ..., rcode: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[DnsAnswer, _Mapping]]] = ...) -> None: ...

class TcpConnectResult(_message.Message):
    __slots__ = ("common", "port", "connect_ms")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    CONNECT_MS_FIELD_NUMBER: _ClassVar[int]
    common: ProbeCommon
    port: int
    connect_ms: float
    def __init__(self, common: _Optional[_Union[ProbeCommon, _Mapping]] = ..., port: _Optional[int] = ..., connect_ms: _Optional[float] = ...) -> None: ...

class HttpResult(_message.Message):
    __slots__ = ("common", "url", "method", "status_code", "connect_ms", "tls_ms", "first_byte_ms", "transfer_ms", "total_ms", "body_bytes", "tls_version")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    CONNECT_MS_FIELD_NUMBER: _ClassVar[int]
    TLS_MS_FIELD_NUMBER: _ClassVar[int]
    FIRST_BYTE_MS_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_MS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    BODY_BYTES_FIELD_NUMBER: _ClassVar[int]
    TLS_VERSION_FIELD_NUMBER: _ClassVar[int]
    common: ProbeCommon
    url: str
    method: str
    status_code: int
    connect_ms: float
    tls_ms: float
    first_byte_ms: float
    transfer_ms: float
    total_ms: float
    body_bytes: int
    tls_version: str
    def __init__(self, common: _Optional[_Union[ProbeCommon, _Mapping]] = ..., url: _Optional[str] = ..., method: _Optional[str] = ..., status_code: _Optional[int] = ..., connect_ms: _Optional[float] = ..., tls_ms: _Optional[float] = ..., first_byte_ms: _Optional[float] = ..., transfer_ms: _Optional[float] = ..., total_ms: _Optional[float] = ..., body_bytes: _Optional[int] = ..., tls_version: _Optional[str] = ...) -> None: ...

class ThroughputResult(_message.Message):
    __slots__ = ("common", "direction", "payload_bytes", "duration_ms", "goodput_bps", "grace_ms", "stop_reason", "tcp_min_rtt_ms", "tcp_rtt_ms", "tcp_rttvar_ms", "tcp_retransmits", "tcp_snd_cwnd", "transfer_sizes_bytes")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    GOODPUT_BPS_FIELD_NUMBER: _ClassVar[int]
    GRACE_MS_FIELD_NUMBER: _ClassVar[int]
    STOP_REASON_FIELD_NUMBER: _ClassVar[int]
    TCP_MIN_RTT_MS_FIELD_NUMBER: _ClassVar[int]
    TCP_RTT_MS_FIELD_NUMBER: _ClassVar[int]
    TCP_RTTVAR_MS_FIELD_NUMBER: _ClassVar[int]
    TCP_RETRANSMITS_FIELD_NUMBER: _ClassVar[int]
    TCP_SND_CWND_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_SIZES_BYTES_FIELD_NUMBER: _ClassVar[int]
    common: ProbeCommon
    direction: Direction
    payload_bytes: int
    duration_ms: float
    goodput_bps: float
    grace_ms: float
    stop_reason: str
    tcp_min_rtt_ms: float
    tcp_rtt_ms: float
    tcp_rttvar_ms: float
    tcp_retransmits: int
    tcp_snd_cwnd: int
    transfer_sizes_bytes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, common: _Optional[_Union[ProbeCommon, _Mapping]] = ..., direction: _Optional[_Union[Direction, str]] = ..., payload_bytes: _Optional[int] = ..., duration_ms: _Optional[float] = ..., goodput_bps: _Optional[float] = ..., grace_ms: _Optional[float] = ..., stop_reason: _Optional[str] = ..., tcp_min_rtt_ms: _Optional[float] = ..., tcp_rtt_ms: _Optional[float] = ..., tcp_rttvar_ms: _Optional[float] = ..., tcp_retransmits: _Optional[int] = ..., tcp_snd_cwnd: _Optional[int] = ..., transfer_sizes_bytes: _Optional[_Iterable[int]] = ...) -> None: ...

class TraceHop(_message.Message):
    __slots__ = ("ttl", "address", "rtts_ms", "probes_sent", "reached_target")
    TTL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    RTTS_MS_FIELD_NUMBER: _ClassVar[int]
    PROBES_SENT_FIELD_NUMBER: _ClassVar[int]
    REACHED_TARGET_FIELD_NUMBER: _ClassVar[int]
    ttl: int
    address: str
    rtts_ms: _containers.RepeatedScalarFieldContainer[float]
    probes_sent: int
    reached_target: bool
    def __init__(self, ttl: _Optional[int] = ..., address: _Optional[str] = ..., rtts_ms: _Optional[_Iterable[float]] = ..., probes_sent: _Optional[int] = ..., reached_target: _Optional[bool] = ...) -> None: ...

class TraceResult(_message.Message):
    __slots__ = ("common", "method", "port", "hops", "reached")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    HOPS_FIELD_NUMBER: _ClassVar[int]
    REACHED_FIELD_NUMBER: _ClassVar[int]
    common: ProbeCommon
    method: str
    port: int
    hops: _containers.RepeatedCompositeFieldContainer[TraceHop]
    reached: bool
    def __init__(self, common: _Optional[_Union[ProbeCommon, _Mapping]] = ..., method: _Optional[str] = ..., port: _Optional[int] = ..., hops: _Optional[_Iterable[_Union[TraceHop, _Mapping]]] = ..., reached: _Optional[bool] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("kind", "message", "details", "dropped_by_kind", "dropped_records", "dropped_bytes", "clock_step_ns", "gap_s")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[AgentEvent.Kind]
        KIND_AGENT_STARTED: _ClassVar[AgentEvent.Kind]
        KIND_REBOOT: _ClassVar[AgentEvent.Kind]
        KIND_MODEM_LOST: _ClassVar[AgentEvent.Kind]
        KIND_MODEM_BACK: _ClassVar[AgentEvent.Kind]
        KIND_SPOOL_OVERFLOW: _ClassVar[AgentEvent.Kind]
        KIND_CLOCK_STEPPED: _ClassVar[AgentEvent.Kind]
        KIND_SIM_PROBLEM: _ClassVar[AgentEvent.Kind]
        KIND_PROBE_SKIPPED: _ClassVar[AgentEvent.Kind]
        KIND_CONFIG_ERROR: _ClassVar[AgentEvent.Kind]
    KIND_UNSPECIFIED: AgentEvent.Kind
    KIND_AGENT_STARTED: AgentEvent.Kind
    KIND_REBOOT: AgentEvent.Kind
    KIND_MODEM_LOST: AgentEvent.Kind
    KIND_MODEM_BACK: AgentEvent.Kind
    KIND_SPOOL_OVERFLOW: AgentEvent.Kind
    KIND_CLOCK_STEPPED: AgentEvent.Kind
    KIND_SIM_PROBLEM: AgentEvent.Kind
    KIND_PROBE_SKIPPED: AgentEvent.Kind
    KIND_CONFIG_ERROR: AgentEvent.Kind
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class DroppedByKindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    DROPPED_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    DROPPED_RECORDS_FIELD_NUMBER: _ClassVar[int]
    DROPPED_BYTES_FIELD_NUMBER: _ClassVar[int]
    CLOCK_STEP_NS_FIELD_NUMBER: _ClassVar[int]
    GAP_S_FIELD_NUMBER: _ClassVar[int]
    kind: AgentEvent.Kind
    message: str
    details: _containers.ScalarMap[str, str]
    dropped_by_kind: _containers.ScalarMap[str, int]
    dropped_records: int
    dropped_bytes: int
    clock_step_ns: int
    gap_s: float
    def __init__(self, kind: _Optional[_Union[AgentEvent.Kind, str]] = ..., message: _Optional[str] = ..., details: _Optional[_Mapping[str, str]] = ..., dropped_by_kind: _Optional[_Mapping[str, int]] = ..., dropped_records: _Optional[int] = ..., dropped_bytes: _Optional[int] = ..., clock_step_ns: _Optional[int] = ..., gap_s: _Optional[float] = ...) -> None: ...

class RecordModem(_message.Message):
    __slots__ = ("name", "network")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    name: str
    network: str
    def __init__(self, name: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class Record(_message.Message):
    __slots__ = ("seq", "time", "modem", "signal", "ping", "tcp", "dns", "http", "throughput", "trace", "event")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    MODEM_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    TCP_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    HTTP_FIELD_NUMBER: _ClassVar[int]
    THROUGHPUT_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    time: RecordTime
    modem: RecordModem
    signal: SignalReading
    ping: PingResult
    tcp: TcpConnectResult
    dns: DnsResult
    http: HttpResult
    throughput: ThroughputResult
    trace: TraceResult
    event: AgentEvent
    def __init__(self, seq: _Optional[int] = ..., time: _Optional[_Union[RecordTime, _Mapping]] = ..., modem: _Optional[_Union[RecordModem, _Mapping]] = ..., signal: _Optional[_Union[SignalReading, _Mapping]] = ..., ping: _Optional[_Union[PingResult, _Mapping]] = ..., tcp: _Optional[_Union[TcpConnectResult, _Mapping]] = ..., dns: _Optional[_Union[DnsResult, _Mapping]] = ..., http: _Optional[_Union[HttpResult, _Mapping]] = ..., throughput: _Optional[_Union[ThroughputResult, _Mapping]] = ..., trace: _Optional[_Union[TraceResult, _Mapping]] = ..., event: _Optional[_Union[AgentEvent, _Mapping]] = ...) -> None: ...
