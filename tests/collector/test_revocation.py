"""Revocation reaches open streams (issue 13, item 5), against real collectors.

A kit streaming to a real collector (SQLite, or the second of two replicas on one
PostgreSQL) is revoked with the real ``pantau-collector revoke`` against the same
store: its stream ends with PERMISSION_DENIED within the stated bound, and what it
sends after the cut is neither acked nor stored. The real Uplink sees the refusal and
keeps its records. A credential replaced by a re-enrollment ends its stream too
(UNAUTHENTICATED), a silent stream is cut as fast as a busy one, and one batched read
re-checks every open stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from streamharness import (
    SITE,
    Replicas,
    batch,
    hello,
    metadata,
    refusal,
    replicas,
    revoke,
    status_on_opening,
    welcomed,
    with_collector,
)

from agent import clock
from agent.records import make_record
from agent.spool import Spool
from agent.uplink import Backoff, Uplink
from collector import auth, cli
from collector.refusals import KitRefused, Refusal, Status
from collector.revocation import REVOCATION_BOUND_S, OpenStreams
from collector.session import StreamSession
from collector.store.model import Agent, IngestBatch, RecordRow
from pantau.v1 import records_pb2, telemetry_pb2_grpc


@dataclass
class Cut:
    """How a kit's open stream ended, seen from the kit."""

    code: grpc.StatusCode
    details: str
    after_s: float  # from the revocation to the status
    acked: list[int] = field(default_factory=list)  # through_seq of each Ack after it
    sent_at: dict[int, float] = field(default_factory=dict)  # seq -> when it was written


async def stream_through(
    port: int, token: str, event: Callable[[], Awaitable[object]], *, send_every_s: float | None
) -> Cut:
    """Open a stream, store seq 1, run ``event`` (a revocation), then keep sending one
    batch every ``send_every_s`` (None: stay silent) until the stream ends."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = telemetry_pb2_grpc.TelemetryStub(channel).Stream(metadata=metadata(token))
        await call.write(hello())
        assert (await call.read()).HasField("welcome")
        await call.write(batch(1))
        assert (await call.read()).ack.through_seq == 1
        await event()
        started = time.monotonic()
        cut = Cut(grpc.StatusCode.OK, "", 0.0)

        async def send() -> None:
            seq = 2
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
                while send_every_s is not None:
                    cut.sent_at[seq] = time.monotonic()
                    await call.write(batch(seq))
                    seq += 1
                    await asyncio.sleep(send_every_s)

        sender = asyncio.create_task(send())
        try:
            async with asyncio.timeout(REVOCATION_BOUND_S + 10):
                with contextlib.suppress(grpc.aio.AioRpcError):
                    while (reply := await call.read()) is not grpc.aio.EOF:
                        cut.acked.append(reply.ack.through_seq)
                cut.after_s = time.monotonic() - started
                cut.code = await call.code()
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        cut.details = await call.details() or ""
        return cut


# -- item 5: revocation reaches open streams -----------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.timeout(60)
def test_a_revoked_kit_is_cut_from_its_open_stream_within_the_bound(
    kind: str, tmp_path: Path
) -> None:
    async def main() -> None:
        async with replicas(kind, tmp_path) as r:
            revoked: list[int] = []

            async def cli_revoke() -> None:
                revoked.append(await revoke(r.store_args))

            cut = await stream_through(r.serving.port, r.token, cli_revoke, send_every_s=0.2)
            assert revoked == [cli.EXIT_OK]
            assert cut.code == grpc.StatusCode.PERMISSION_DENIED, cut
            assert cut.details == "agent kit-1 has been revoked"
            assert cut.after_s <= REVOCATION_BOUND_S, cut
            # It was streaming all along, and nothing it sent after the cut is stored: at
            # most the one batch being committed when the cut came is stored unacked.
            assert len(cut.sent_at) >= 3
            stored = r.stored_seqs()
            acked_through = max([1, *cut.acked])
            assert stored[:acked_through] == list(range(1, acked_through + 1))
            assert len(stored) - acked_through <= 1, (stored, cut.acked)
            # And a new stream with that credential is refused before it sends anything.
            assert await status_on_opening(r.serving.port, r.token) == (
                grpc.StatusCode.PERMISSION_DENIED,
                "agent kit-1 has been revoked",
            )

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_a_silent_stream_is_cut_too_and_a_replaced_credential_is_unauthenticated(
    tmp_path: Path,
) -> None:
    async def body(r: Replicas) -> None:
        new = auth.new_credential("kit-1")

        async def reenroll() -> None:  # `enroll` again: a new secret for the same agent id
            await asyncio.to_thread(
                r.stores[0].add_agent, "kit-1", SITE, auth.hash_secret(new.secret)
            )

        cut = await stream_through(r.serving.port, r.token, reenroll, send_every_s=None)
        assert cut.code == grpc.StatusCode.UNAUTHENTICATED, cut
        assert "this credential of agent kit-1 is no longer valid" in cut.details
        assert cut.after_s <= REVOCATION_BOUND_S and cut.acked == []
        # the new credential streams
        code, _, replies = await refusal(r.serving.port, new.token(), [hello(), batch(2)])
        assert code == grpc.StatusCode.OK and replies[-1].ack.through_seq == 2

    with_collector(tmp_path, body)


@pytest.mark.timeout(60)
def test_the_real_uplink_is_refused_after_a_revocation_and_keeps_its_records(
    tmp_path: Path,
) -> None:
    async def body(r: Replicas) -> None:
        spool = Spool(
            tmp_path / "spool.sqlite",
            max_bytes=1 << 20,
            overflow_record=lambda *a: ("event", 3, b""),
        )
        signal = records_pb2.SignalReading(rsrp_dbm=-90.0)
        uplink = Uplink(
            spool, address=f"127.0.0.1:{r.serving.port}", credential=r.token,
            agent_id="kit-1", site=SITE, backoff=Backoff(0.05, 0.2), poll_s=0.05,
        )  # fmt: skip
        task = asyncio.create_task(uplink.run())
        try:
            spool.append([("signal", 2, make_record(clock.now(), signal).SerializeToString())])
            async with asyncio.timeout(10):
                while uplink.state.last_ack_seq < 1:
                    await asyncio.sleep(0.05)
            assert await revoke(r.store_args) == cli.EXIT_OK
            revoked_at = time.monotonic()
            async with asyncio.timeout(REVOCATION_BOUND_S):
                while not (uplink.state.last_error or "").startswith("PERMISSION_DENIED"):
                    spool.append(
                        [("signal", 2, make_record(clock.now(), signal).SerializeToString())]
                    )
                    uplink.notify()
                    await asyncio.sleep(0.1)
            assert time.monotonic() - revoked_at <= REVOCATION_BOUND_S
            assert "agent kit-1 has been revoked" in (uplink.state.last_error or "")
            # reconnecting is refused at once (the uplink retries a refused credential at
            # its back-off's ceiling): nothing more is acked, new records stay spooled
            acked = uplink.state.last_ack_seq
            spool.append([("signal", 2, make_record(clock.now(), signal).SerializeToString())])
            uplink.notify()
            await asyncio.sleep(1.0)
            assert not uplink.state.connected and uplink.state.last_ack_seq == acked
            assert spool.backlog().records >= 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            spool.close()

    with_collector(tmp_path, body)


REPLACED = (
    "this credential of agent kit-1 is no longer valid (the kit was enrolled again or "
    "removed): use the new credential"
)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (Agent("kit-1", SITE, auth.hash_secret("s3cret"), False, 7), None),
        (
            Agent("kit-1", SITE, auth.hash_secret("s3cret"), True, 7),
            Refusal(Status.PERMISSION_DENIED, "agent kit-1 has been revoked"),
        ),
        (
            Agent("kit-1", SITE, auth.hash_secret("other"), False, 7),
            Refusal(Status.UNAUTHENTICATED, REPLACED),
        ),
        (None, Refusal(Status.UNAUTHENTICATED, REPLACED)),
    ],
    ids=["unchanged", "revoked", "re-enrolled", "removed"],
)
def test_the_session_rechecks_its_credential(
    stored: Agent | None, expected: Refusal | None
) -> None:
    session = welcomed()
    if expected is None:
        session.recheck(stored)
        assert session.streaming
        return
    with pytest.raises(KitRefused) as info:
        session.recheck(stored)
    assert info.value.refusal == expected
    with pytest.raises(KitRefused, match="this stream was refused"):  # closed for good
        session.receive(batch(1), 10**18)


def test_one_lookup_rechecks_every_open_stream() -> None:
    """Thousands of streams cost one batched read per check, not one per stream."""

    class Lookup:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
            self.calls.append(len(agent_ids))
            return {a: agent(a, revoked=a == "kit-7") for a in agent_ids if a != "kit-9"}

        def credential_epoch(self) -> int:
            return 0

    def agent(agent_id: str, *, revoked: bool = False) -> Agent:
        return Agent(agent_id, SITE, auth.hash_secret("s"), revoked, 0)

    async def main() -> list[str]:
        lookup = Lookup()
        streams = OpenStreams(lookup)
        with contextlib.ExitStack() as opened:
            for n in range(2_000):
                opened.enter_context(streams.open(StreamSession(agent(f"kit-{n}"))))
            assert len(streams) == 2_000
            cut = await streams.check()
            assert lookup.calls == [2_000]
            return sorted(cut)

    assert asyncio.run(main()) == ["kit-7", "kit-9"]


def test_a_stream_opened_during_a_check_is_not_cut_by_it() -> None:
    """Streams keep arriving while the batched read runs (a reconnect storm): one that was
    not in the read is judged by the next check, never cut as unknown by this one."""
    in_read, release = threading.Event(), threading.Event()

    class SlowLookup:
        def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
            in_read.set()
            release.wait(timeout=10)
            return {a: agent(a) for a in agent_ids}

        def credential_epoch(self) -> int:
            return 0

    class Lookup:
        def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
            return {a: agent(a, revoked=a == "kit-late") for a in agent_ids}

        def credential_epoch(self) -> int:
            return 0

    def agent(agent_id: str, *, revoked: bool = False) -> Agent:
        return Agent(agent_id, SITE, auth.hash_secret("s"), revoked, 0)

    async def main() -> tuple[list[str], list[str]]:
        streams = OpenStreams(SlowLookup())
        with streams.open(StreamSession(agent("kit-1"))):
            checking = asyncio.create_task(streams.check())
            await asyncio.to_thread(in_read.wait, 10)
            with streams.open(StreamSession(agent("kit-late"))) as late:
                release.set()
                first = await checking
                assert late.cut_by is None
                streams._store = Lookup()  # the next read has it, revoked meanwhile
                second = await streams.check()
                assert late.cut_by is not None
                assert late.cut_by.refusal.status is Status.PERMISSION_DENIED
        return first, second

    assert asyncio.run(main()) == ([], ["kit-late"])


def _kit(agent_id: str, *, revoked: bool = False) -> Agent:
    return Agent(agent_id, SITE, auth.hash_secret("s"), revoked, 0)


def _open(streams: OpenStreams, opened: contextlib.ExitStack, count: int) -> None:
    """Welcome ``count`` kits' streams (kit-0, kit-1, ...) until ``opened`` closes."""
    for n in range(count):
        opened.enter_context(streams.open(StreamSession(_kit(f"kit-{n}"))))


def test_a_check_reads_every_stream_only_when_the_credential_epoch_moved() -> None:
    """While no credential changes, a check reads only the streams welcomed since the
    last one (each once); a change anywhere (the epoch moves) reads every stream again,
    and the revoked one is cut."""

    class Lookup:
        def __init__(self) -> None:
            self.calls: list[int] = []
            self.epoch = 7
            self.revoked: set[str] = set()

        def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
            self.calls.append(len(agent_ids))
            return {a: _kit(a, revoked=a in self.revoked) for a in agent_ids}

        def credential_epoch(self) -> int:
            return self.epoch

    async def main() -> None:
        lookup = Lookup()
        streams = OpenStreams(lookup)
        with contextlib.ExitStack() as opened:
            _open(streams, opened, 300)
            assert await streams.check() == [] and lookup.calls == [300]  # the first: all
            assert await streams.check() == [] and lookup.calls == [300]  # nothing new
            late = opened.enter_context(streams.open(StreamSession(_kit("kit-late"))))
            assert await streams.check() == [] and lookup.calls == [300, 1]  # the new one
            assert await streams.check() == [] and lookup.calls == [300, 1]
            lookup.revoked.add("kit-42")
            lookup.epoch += 1  # a revocation raises it in its own transaction
            assert await streams.check() == ["kit-42"] and lookup.calls == [300, 1, 301]
            assert await streams.check() == [] and lookup.calls == [300, 1, 301]
            assert late.cut_by is None

    asyncio.run(main())


def test_a_check_whose_read_failed_reads_every_stream_next_time() -> None:
    """A failed read (the database went away) loses nothing: the next check reads the
    agent of every open stream, the streams welcomed meanwhile among them."""

    class Lookup:
        def __init__(self) -> None:
            self.calls: list[int] = []
            self.fail = False

        def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
            if self.fail:
                raise OSError("the database went away")
            self.calls.append(len(agent_ids))
            return {a: _kit(a, revoked=a == "kit-new") for a in agent_ids}

        def credential_epoch(self) -> int:
            return 1

    async def main() -> None:
        lookup = Lookup()
        streams = OpenStreams(lookup)
        with contextlib.ExitStack() as opened:
            _open(streams, opened, 5)
            await streams.check()
            opened.enter_context(streams.open(StreamSession(_kit("kit-new"))))
            lookup.fail = True
            with pytest.raises(OSError):
                await streams.check()
            lookup.fail = False
            assert await streams.check() == ["kit-new"]
            assert lookup.calls == [5, 6]

    asyncio.run(main())


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_store_raises_the_credential_epoch_on_every_credential_change(
    kind: str, tmp_path: Path
) -> None:
    """Revoking and enrolling (again) raise it; storing batches and revoking a revoked
    or unknown agent do not."""

    async def main() -> None:
        async with replicas(kind, tmp_path) as r:
            store = r.stores[0]
            start = store.credential_epoch()
            store.add_agent("kit-2", SITE, "h2")  # a new credential
            assert store.credential_epoch() == start + 1
            store.add_agent("kit-2", SITE, "h3")  # enrolled again: the old one replaced
            assert store.credential_epoch() == start + 2
            row = RecordRow(1, "signal", 10**18, 10**18, "monotonic", b"")
            store.commit([IngestBatch("kit-2", SITE, [row], 10**18)])  # the ingest: no change
            store.revoke_agent("nobody")
            assert store.credential_epoch() == start + 2
            assert store.revoke_agent("kit-2")
            assert store.credential_epoch() == start + 3
            assert not store.revoke_agent("kit-2")  # revoked already
            assert store.credential_epoch() == start + 3

    asyncio.run(main())


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_store_reads_many_agents_at_once(kind: str, tmp_path: Path) -> None:
    async def main() -> None:
        async with replicas(kind, tmp_path) as r:
            store = r.stores[0]
            store.add_agent("kit-2", SITE, "h2")
            store.revoke_agent("kit-2")
            ids = ["kit-1", "kit-2", *(f"nobody-{n}" for n in range(1_200))]
            found = store.get_agents(ids)
            assert sorted(found) == ["kit-1", "kit-2"]
            assert found["kit-2"] == Agent("kit-2", SITE, "h2", True, 0)
            assert found["kit-1"] == store.get_agent("kit-1")
            assert store.get_agents([]) == {}

    asyncio.run(main())
