"""Many streams from one process: the raw side of the v1 stream, shared by the fleet
simulator and ``bench.ingest``.

A Batch is encoded by hand from records serialised once without their seq
(:func:`encode_batch`), so a load generator driving thousands of streams spends its
time on the wire, not on building protobuf objects; the collector reads the same
bytes a real kit sends (protobuf accepts fields in any order). :func:`open_stream`
opens ``Telemetry.Stream`` with the kit's credential in the call metadata and bytes
going out as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from pantau.v1 import telemetry_pb2

STREAM_METHOD = "/pantau.v1.Telemetry/Stream"
RawCall = grpc.aio.StreamStreamCall[bytes, telemetry_pb2.CollectorMessage]


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_batch(bodies: Sequence[bytes], first_seq: int) -> bytes:
    """AgentMessage{batch: Batch{records}} as bytes: record k is seq ``first_seq + k``
    (field 1, varint) followed by ``bodies[k]``, a Record serialised without its seq."""
    records = b"".join(
        _field(1, b"\x08" + _varint(first_seq + k) + body) for k, body in enumerate(bodies)
    )
    return _field(2, records)


def encode_snapshot(records: Sequence[tuple[int, bytes]]) -> bytes:
    """AgentMessage{snapshot: Snapshot{records}} as bytes, from (seq, body) pairs: the
    kit's latest state ahead of its backlog (not stored, not acked)."""
    body = b"".join(_field(1, b"\x08" + _varint(seq) + record) for seq, record in records)
    return _field(3, body)


def open_stream(channel: grpc.aio.Channel, token: str) -> RawCall:
    """``Telemetry.Stream`` on ``channel`` as ``token`` (``<agent_id>.<secret>``), taking
    AgentMessages as bytes."""
    stream = channel.stream_stream(
        STREAM_METHOD,
        request_serializer=lambda b: b,
        response_deserializer=telemetry_pb2.CollectorMessage.FromString,
    )
    return stream(metadata=(("authorization", f"Bearer {token}"),))
