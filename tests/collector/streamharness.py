"""A real collector (or two replicas on one PostgreSQL) and a raw Telemetry client, for
the tests of streams and identity (test_revocation.py, test_streams_identity.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from machine import unavailable

from collector import auth, cli
from collector.server import Collector
from collector.session import StreamSession
from collector.store import Store, open_store
from collector.store.model import Agent
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

T = TypeVar("T")
SITE = "3171011001005"
ROOT = Path(__file__).resolve().parents[2]
DSN = os.environ.get("PANTAU_TEST_PG_DSN") or "postgresql://postgres@127.0.0.1:5432/test"


# -- helpers -------------------------------------------------------------------------------


def record(seq: int) -> records_pb2.Record:
    r = records_pb2.Record(
        seq=seq,
        time=records_pb2.RecordTime(wall_unix_ns=5, monotonic_ns=10**12, boot_id="boot-a"),
    )
    r.signal.rsrp_dbm = -95.0
    return r


def hello(agent_id: str = "kit-1", site: str = SITE) -> telemetry_pb2.AgentMessage:
    return telemetry_pb2.AgentMessage(
        hello=telemetry_pb2.Hello(
            agent_id=agent_id,
            claimed_site=site,
            sent_at=records_pb2.RecordTime(
                wall_unix_ns=5, monotonic_ns=2 * 10**12, boot_id="boot-a"
            ),
        )
    )


def batch(*seqs: int) -> telemetry_pb2.AgentMessage:
    return telemetry_pb2.AgentMessage(batch=telemetry_pb2.Batch(records=map(record, seqs)))


@dataclass
class Replicas:
    """Collectors sharing one store, one enrolled kit, and the CLI's way to that store."""

    collectors: list[Collector]
    stores: list[Store]
    token: str
    store_args: list[str]  # --data-dir DIR or --store URL, for pantau-collector

    @property
    def serving(self) -> Collector:
        """The replica the kit streams to: the last one (not the first, which migrated)."""
        return self.collectors[-1]

    def stored_seqs(self, agent_id: str = "kit-1") -> list[int]:
        return [r.seq for r in self.stores[0].records(agent_id=agent_id)]


@contextlib.asynccontextmanager
async def replicas(kind: str, tmp_path: Path) -> AsyncIterator[Replicas]:
    """One collector on SQLite, or two on a fresh PostgreSQL schema (dropped after)."""
    schema = ""
    if kind == "sqlite":
        stores: list[Store] = [SqliteStore(tmp_path / "collector.sqlite")]
        store_args = ["--data-dir", str(tmp_path)]
    else:
        psycopg = pytest.importorskip("psycopg")
        schema = f"pantau_streams_{secrets.token_hex(5)}"
        try:
            with psycopg.connect(DSN, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f"CREATE SCHEMA {schema}")
        except psycopg.Error as exc:
            unavailable(f"no PostgreSQL at {DSN} (set PANTAU_TEST_PG_DSN): {exc}")
        url = f"{DSN}?options=-csearch_path%3D{schema}"
        stores = [open_store(url), open_store(url)]
        store_args = ["--store", url]
    credential = auth.new_credential("kit-1")
    stores[0].add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
    collectors = [Collector(store) for store in stores]
    try:
        for collector in collectors:
            await collector.start("127.0.0.1:0")
        yield Replicas(collectors, stores, credential.token(), store_args)
    finally:
        for collector in collectors:
            await collector.stop(0)
        for store in stores:
            store.close()
        if schema:
            with psycopg.connect(DSN, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA {schema} CASCADE")


def revoke(store_args: Sequence[str], agent_id: str = "kit-1") -> Awaitable[int]:
    """``pantau-collector revoke`` (the real CLI, in a worker thread)."""
    return asyncio.to_thread(cli.main, ["revoke", *store_args, agent_id])


def metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def refusal(
    port: int, token: str, messages: Sequence[telemetry_pb2.AgentMessage | bytes]
) -> tuple[grpc.StatusCode, str, list[telemetry_pb2.CollectorMessage]]:
    """Write ``messages`` (raw bytes as they are) without waiting, then read every reply
    to the end; the final status, its details and the replies."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        raw = channel.stream_stream(
            "/pantau.v1.Telemetry/Stream",
            request_serializer=lambda m: m if isinstance(m, bytes) else m.SerializeToString(),
            response_deserializer=telemetry_pb2.CollectorMessage.FromString,
        )
        call = raw(metadata=metadata(token))
        replies: list[telemetry_pb2.CollectorMessage] = []
        async with asyncio.timeout(20):
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
                for message in messages:  # the collector may end the stream midway
                    await call.write(message)
                await call.done_writing()
            with contextlib.suppress(grpc.aio.AioRpcError):
                while (reply := await call.read()) is not grpc.aio.EOF:
                    replies.append(reply)
            return await call.code(), await call.details() or "", replies


async def status_on_opening(port: int, token: str) -> tuple[grpc.StatusCode, str]:
    """Open a stream and send nothing: the status the collector ends it with."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = telemetry_pb2_grpc.TelemetryStub(channel).Stream(metadata=metadata(token))
        async with asyncio.timeout(10):
            return await call.code(), await call.details() or ""


def with_collector(tmp_path: Path, body: Callable[[Replicas], Awaitable[T]]) -> T:
    async def main() -> T:
        async with replicas("sqlite", tmp_path) as r:
            return await body(r)

    return asyncio.run(main())


def log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def welcomed(secret: str = "s3cret") -> StreamSession:
    session = StreamSession(Agent("kit-1", SITE, auth.hash_secret(secret), False, 0))
    session.hello(hello(), 10**18)
    session.welcome({}, 10**18)
    return session
