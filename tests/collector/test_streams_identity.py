"""Bounded refusals and the contract (issue 13, items 6 and 7), against a real collector.

- Item 6: a 100 kB agent id, claimed site, enrollment code, hostname or throughput
  credential gets a short status and short log lines.
- Item 7: an AgentMessage of an unknown type (raw bytes with an unknown field number)
  is skipped, an empty one refused with its own reason; a Batch before Welcome, more
  batches than ``max_batches_in_flight`` and an ack over a gap behave as docs/proto.md
  says; the docs and the .proto say what the server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from pathlib import Path
from typing import Any

import grpc
import pytest
from streamharness import (
    ROOT,
    SITE,
    Replicas,
    batch,
    hello,
    log_lines,
    refusal,
    welcomed,
    with_collector,
)

from collector.enrollment import create_code
from collector.ingest import TelemetryService
from collector.refusals import ECHO_CHARS, MAX_MESSAGE_CHARS, KitRefused, Refusal, Status, clip
from collector.revocation import REVOCATION_BOUND_S
from collector.session import Skipped
from collector.store.sqlite import SqliteStore
from collector.throughput import HELLO, ThroughputServer
from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

HUGE = 100_000
#: The longest log line a refusal may cost (an echo is 64 characters and the length).
MAX_LOG_CHARS = 1_000


# -- item 6: bounded refusals ----------------------------------------------------------------


def test_clip_quotes_and_bounds_what_a_client_sent() -> None:
    assert clip("kit-1") == "'kit-1'"
    assert clip("a\nb") == "'a\\nb'"  # no forged log lines
    long = clip("x" * HUGE)
    assert long == f"{'x' * ECHO_CHARS!r}… ({HUGE} characters)"


@pytest.mark.parametrize(
    "message",
    [hello(agent_id="k" * HUGE), hello(site="3" * HUGE)],
    ids=["agent_id", "claimed_site"],
)
def test_a_100_kb_hello_field_gets_a_short_status_and_short_log_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, message: telemetry_pb2.AgentMessage
) -> None:
    caplog.set_level(logging.INFO)

    async def body(r: Replicas) -> tuple[grpc.StatusCode, str]:
        code, details, _ = await refusal(r.serving.port, r.token, [message])
        return code, details

    code, details = with_collector(tmp_path, body)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert len(details) <= MAX_MESSAGE_CHARS and f"({HUGE} characters)" in details
    lines = log_lines(caplog)
    assert any("refused the stream of kit-1" in line for line in lines)  # logged, item 7
    assert max(map(len, lines)) <= MAX_LOG_CHARS


def test_a_100_kb_enrollment_code_or_hostname_gets_a_short_status_and_short_log_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def body(r: Replicas) -> list[tuple[grpc.StatusCode, str]]:
        code, _ = create_code(r.stores[0], "3273011002012")
        answers = []
        async with grpc.aio.insecure_channel(f"127.0.0.1:{r.serving.port}") as channel:
            stub = telemetry_pb2_grpc.EnrollmentStub(channel)
            for request in (
                telemetry_pb2.EnrollRequest(code="7" * HUGE),  # malformed
                telemetry_pb2.EnrollRequest(code="0000-0000-00", hostname="h" * HUGE),  # unknown
            ):
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await stub.Enroll(request, timeout=10)
                answers.append((info.value.code(), info.value.details() or ""))
            enrolled = await stub.Enroll(
                telemetry_pb2.EnrollRequest(code=code, hostname="h" * HUGE), timeout=10
            )
            assert enrolled.site_code == "3273011002012"
        return answers

    (malformed, malformed_details), (unknown, _) = with_collector(tmp_path, body)
    assert malformed == grpc.StatusCode.INVALID_ARGUMENT
    assert len(malformed_details) <= MAX_MESSAGE_CHARS
    assert f"({HUGE} characters)" in malformed_details
    assert unknown == grpc.StatusCode.PERMISSION_DENIED
    lines = log_lines(caplog)
    assert sum("refused an enrollment" in line for line in lines) == 2
    assert any(line.startswith("enrolled kit-3273011002012") for line in lines)
    assert max(map(len, lines)) <= MAX_LOG_CHARS


@pytest.mark.parametrize("length", [200, HUGE])
def test_a_long_throughput_credential_gets_a_short_answer_and_short_log_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, length: int
) -> None:
    caplog.set_level(logging.INFO)
    store = SqliteStore(tmp_path / "collector.sqlite")

    async def main() -> bytes:
        server = ThroughputServer(store)
        port = await server.start("127.0.0.1", 0)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            async with asyncio.timeout(10):
                writer.write(f"{HELLO} {'k' * length}.secret\n".encode())
                await writer.drain()
                answer = await reader.readline()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return answer
        finally:
            await server.stop()

    try:
        answer = asyncio.run(main())
    finally:
        store.close()
    assert answer.startswith(b"ERR ") and len(answer) <= 100, answer
    assert all(len(line) <= MAX_LOG_CHARS for line in log_lines(caplog))


# -- item 7: contract and docs agree ---------------------------------------------------------

#: An AgentMessage from a later pantau.v1: field 15 (length-delimited), unknown here.
UNKNOWN_MEMBER = bytes([15 << 3 | 2, 3]) + b"new"


def test_an_unknown_message_type_is_skipped_and_the_stream_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def body(r: Replicas) -> tuple[Any, ...]:
        messages = [hello(), UNKNOWN_MEMBER, batch(1), UNKNOWN_MEMBER, batch(2)]
        code, _, replies = await refusal(r.serving.port, r.token, messages)
        service: TelemetryService = r.serving.service
        return code, [m.WhichOneof("msg") for m in replies], service.stats.messages_skipped

    code, kinds, skipped = with_collector(tmp_path, body)
    assert (code, kinds, skipped) == (grpc.StatusCode.OK, ["welcome", "ack", "ack"], 2)
    skips = [line for line in log_lines(caplog) if "does not know" in line]
    assert len(skips) == 1 and "field 15" in skips[0]  # logged once per stream


def test_an_empty_agent_message_is_refused_with_its_own_reason(tmp_path: Path) -> None:
    async def body(r: Replicas) -> tuple[grpc.StatusCode, str, list[int]]:
        code, details, _ = await refusal(r.serving.port, r.token, [hello(), b""])
        return code, details, r.stored_seqs()

    code, details, stored = with_collector(tmp_path, body)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == "an AgentMessage with no member set: send hello, batch or snapshot"
    assert stored == []


def test_a_batch_sent_before_the_welcome_is_taken_in_order(tmp_path: Path) -> None:
    async def body(r: Replicas) -> list[Any]:
        # Hello and a batch written at once, before the Welcome could arrive.
        _, _, replies = await refusal(r.serving.port, r.token, [hello(), batch(1, 2)])
        return [(m.WhichOneof("msg"), m.ack.through_seq) for m in replies]

    assert with_collector(tmp_path, body) == [("welcome", 0), ("ack", 2)]


def test_batches_beyond_max_in_flight_wait_and_are_acked_in_order(tmp_path: Path) -> None:
    async def body(r: Replicas) -> tuple[Any, ...]:
        messages = [hello(), *(batch(seq) for seq in range(1, 21))]  # 20 > 4 in flight
        code, _, replies = await refusal(r.serving.port, r.token, messages)
        welcome, *acks = replies
        limit = welcome.welcome.max_batches_in_flight
        return code, limit, [a.ack.through_seq for a in acks], r.stored_seqs()

    code, limit, acked, stored = with_collector(tmp_path, body)
    assert code == grpc.StatusCode.OK and limit == 4
    assert acked == list(range(1, 21)) and stored == list(range(1, 21))


def test_an_ack_over_a_gap_covers_only_what_was_sent(tmp_path: Path) -> None:
    async def body(r: Replicas) -> tuple[Any, ...]:
        messages = [hello(), batch(1, 2, 5), batch(3), batch(5)]
        _, _, replies = await refusal(r.serving.port, r.token, messages)
        acks = [(m.ack.through_seq, m.ack.stored, m.ack.duplicates) for m in replies[1:]]
        return acks, r.stored_seqs()

    acks, stored = with_collector(tmp_path, body)
    # 1, 2, 5 stored: through 5; 3 fills the gap: stored, through stays 5; 5 again: a duplicate
    assert acks == [(5, 3, 0), (5, 1, 0), (5, 0, 1)]
    assert stored == [1, 2, 3, 5]


def test_a_claimed_site_mismatch_is_refused_and_the_contract_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def body(r: Replicas) -> tuple[grpc.StatusCode, str]:
        code, details, _ = await refusal(r.serving.port, r.token, [hello(site="3273011002012")])
        return code, details

    code, details = with_collector(tmp_path, body)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert details == (
        f"this credential is enrolled for site {SITE}, not '3273011002012': "
        "enroll this kit for its own site"
    )
    assert any(
        "refused the stream of kit-1" in line and "PERMISSION_DENIED" in line
        for line in log_lines(caplog)
    )
    proto = (ROOT / "proto/pantau/v1/telemetry.proto").read_text()
    comment = proto[: proto.index("string claimed_site = 2;")].rsplit("string agent_id = 1;", 1)[1]
    assert "PERMISSION_DENIED" in comment and "Informational" not in comment


def _docs() -> str:
    return (ROOT / "docs/proto.md").read_text()


def test_the_docs_list_every_member_of_the_stream_messages() -> None:
    docs = _docs()
    for message in (telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage):
        summary = next(
            line
            for line in docs.splitlines()
            if line.startswith(f"`{message.__name__}` is a oneof")
        )
        members = message.DESCRIPTOR.oneofs_by_name["msg"].fields
        for member in members:
            assert f"`{member.name}` = {member.number}" in summary, (summary, member.name)


def test_the_docs_status_table_says_what_the_server_sends() -> None:
    table = _docs().split("### Status codes", 1)[1].split("\n\n", 2)[1]
    rows = {
        line.split("|")[2].strip(): line.split("|")[1].strip() for line in table.splitlines()[2:]
    }
    storage = next(when for when in rows if "failed storage transaction" in when)
    assert rows[storage] == "`UNAVAILABLE`"  # as collector.session.store_unavailable answers
    revoked = next(when for when in rows if "revoked" in when)
    assert rows[revoked] == "`PERMISSION_DENIED`" and "open" in revoked
    assert re.search(r"`AgentMessage` with no member set", table)
    assert f"within {REVOCATION_BOUND_S:g} s" in _docs()


def test_the_session_skips_an_unknown_member_and_refuses_an_empty_message() -> None:
    session = welcomed()
    unknown = telemetry_pb2.AgentMessage.FromString(UNKNOWN_MEMBER + bytes([9 << 3, 1]))
    assert session.receive(unknown, 10**18) == Skipped((9, 15))
    with pytest.raises(KitRefused) as info:
        session.receive(telemetry_pb2.AgentMessage(), 10**18)
    assert info.value.refusal == Refusal(
        Status.INVALID_ARGUMENT, "an AgentMessage with no member set: send hello, batch or snapshot"
    )
