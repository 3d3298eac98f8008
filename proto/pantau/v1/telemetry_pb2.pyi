from pantau.v1 import records_pb2 as _records_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Backhaul(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKHAUL_UNSPECIFIED: _ClassVar[Backhaul]
    BACKHAUL_CELLULAR: _ClassVar[Backhaul]
    BACKHAUL_VSAT_GEO: _ClassVar[Backhaul]
    BACKHAUL_VSAT_LEO: _ClassVar[Backhaul]
    BACKHAUL_WIRED: _ClassVar[Backhaul]
BACKHAUL_UNSPECIFIED: Backhaul
BACKHAUL_CELLULAR: Backhaul
BACKHAUL_VSAT_GEO: Backhaul
BACKHAUL_VSAT_LEO: Backhaul
BACKHAUL_WIRED: Backhaul

class EnrollRequest(_message.Message):
    __slots__ = ("code", "hostname", "software_version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    hostname: str
    software_version: str
    def __init__(self, code: _Optional[str] = ..., hostname: _Optional[str] = ..., software_version: _Optional[str] = ...) -> None: ...

class EnrollResponse(_message.Message):
    __slots__ = ("agent_id", "site_code", "credential")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    site_code: str
    credential: str
    def __init__(self, agent_id: _Optional[str] = ..., site_code: _Optional[str] = ..., credential: _Optional[str] = ...) -> None: ...

class ModemIdentity(_message.Message):
    __slots__ = ("manufacturer", "model", "firmware", "imei", "imsi", "iccid", "dialect", "port")
    MANUFACTURER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_FIELD_NUMBER: _ClassVar[int]
    IMEI_FIELD_NUMBER: _ClassVar[int]
    IMSI_FIELD_NUMBER: _ClassVar[int]
    ICCID_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    manufacturer: str
    model: str
    firmware: str
    imei: str
    imsi: str
    iccid: str
    dialect: str
    port: str
    def __init__(self, manufacturer: _Optional[str] = ..., model: _Optional[str] = ..., firmware: _Optional[str] = ..., imei: _Optional[str] = ..., imsi: _Optional[str] = ..., iccid: _Optional[str] = ..., dialect: _Optional[str] = ..., port: _Optional[str] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("agent_id", "claimed_site", "software_version", "modem", "sent_at", "head_seq", "host", "backhaul", "modems")
    class HostEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_SITE_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEM_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    BACKHAUL_FIELD_NUMBER: _ClassVar[int]
    MODEMS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    claimed_site: str
    software_version: str
    modem: ModemIdentity
    sent_at: _records_pb2.RecordTime
    head_seq: int
    host: _containers.ScalarMap[str, str]
    backhaul: Backhaul
    modems: _containers.RepeatedCompositeFieldContainer[KitModem]
    def __init__(self, agent_id: _Optional[str] = ..., claimed_site: _Optional[str] = ..., software_version: _Optional[str] = ..., modem: _Optional[_Union[ModemIdentity, _Mapping]] = ..., sent_at: _Optional[_Union[_records_pb2.RecordTime, _Mapping]] = ..., head_seq: _Optional[int] = ..., host: _Optional[_Mapping[str, str]] = ..., backhaul: _Optional[_Union[Backhaul, str]] = ..., modems: _Optional[_Iterable[_Union[KitModem, _Mapping]]] = ...) -> None: ...

class KitModem(_message.Message):
    __slots__ = ("name", "identity", "interface", "network")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    name: str
    identity: ModemIdentity
    interface: str
    network: str
    def __init__(self, name: _Optional[str] = ..., identity: _Optional[_Union[ModemIdentity, _Mapping]] = ..., interface: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("agent_id", "site_code", "acked_through_seq", "hello_received_unix_ns", "welcome_sent_unix_ns", "max_batch_bytes", "max_batches_in_flight", "collector_version", "sms_key")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    ACKED_THROUGH_SEQ_FIELD_NUMBER: _ClassVar[int]
    HELLO_RECEIVED_UNIX_NS_FIELD_NUMBER: _ClassVar[int]
    WELCOME_SENT_UNIX_NS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCHES_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    COLLECTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    SMS_KEY_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    site_code: str
    acked_through_seq: int
    hello_received_unix_ns: int
    welcome_sent_unix_ns: int
    max_batch_bytes: int
    max_batches_in_flight: int
    collector_version: str
    sms_key: bytes
    def __init__(self, agent_id: _Optional[str] = ..., site_code: _Optional[str] = ..., acked_through_seq: _Optional[int] = ..., hello_received_unix_ns: _Optional[int] = ..., welcome_sent_unix_ns: _Optional[int] = ..., max_batch_bytes: _Optional[int] = ..., max_batches_in_flight: _Optional[int] = ..., collector_version: _Optional[str] = ..., sms_key: _Optional[bytes] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_records_pb2.Record]
    def __init__(self, records: _Optional[_Iterable[_Union[_records_pb2.Record, _Mapping]]] = ...) -> None: ...

class Snapshot(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_records_pb2.Record]
    def __init__(self, records: _Optional[_Iterable[_Union[_records_pb2.Record, _Mapping]]] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("through_seq", "stored", "duplicates")
    THROUGH_SEQ_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    through_seq: int
    stored: int
    duplicates: int
    def __init__(self, through_seq: _Optional[int] = ..., stored: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("command_id", "run_probe", "set_backlog_rate")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROBE_FIELD_NUMBER: _ClassVar[int]
    SET_BACKLOG_RATE_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    run_probe: RunProbeNow
    set_backlog_rate: SetBacklogRate
    def __init__(self, command_id: _Optional[str] = ..., run_probe: _Optional[_Union[RunProbeNow, _Mapping]] = ..., set_backlog_rate: _Optional[_Union[SetBacklogRate, _Mapping]] = ...) -> None: ...

class RunProbeNow(_message.Message):
    __slots__ = ("probe_name",)
    PROBE_NAME_FIELD_NUMBER: _ClassVar[int]
    probe_name: str
    def __init__(self, probe_name: _Optional[str] = ...) -> None: ...

class SetBacklogRate(_message.Message):
    __slots__ = ("max_records_per_s",)
    MAX_RECORDS_PER_S_FIELD_NUMBER: _ClassVar[int]
    max_records_per_s: int
    def __init__(self, max_records_per_s: _Optional[int] = ...) -> None: ...

class AgentMessage(_message.Message):
    __slots__ = ("hello", "batch", "snapshot")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    batch: Batch
    snapshot: Snapshot
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., batch: _Optional[_Union[Batch, _Mapping]] = ..., snapshot: _Optional[_Union[Snapshot, _Mapping]] = ...) -> None: ...

class CollectorMessage(_message.Message):
    __slots__ = ("welcome", "ack", "command")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    ack: Ack
    command: Command
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ..., command: _Optional[_Union[Command, _Mapping]] = ...) -> None: ...
