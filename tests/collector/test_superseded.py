"""A kit's newer stream ends its older one on the same collector (superseded): the
registry of open streams alone, and a batch the older stream was committing when its
kit reconnected, on both stores (a real collector on a free loopback port)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import grpc
import pytest
from streamharness import SITE, batch, hello, metadata, replicas, welcomed

from collector import auth
from collector.refusals import Status, Superseded
from collector.revocation import OpenStreams
from collector.session import StreamSession
from collector.store.model import Agent, BatchOutcome, IngestBatch
from pantau.v1 import telemetry_pb2


class NoLookup:
    def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
        raise AssertionError("not looked up")

    def credential_epoch(self) -> int:
        raise AssertionError("not looked up")


def test_a_newer_stream_cuts_the_older_one_waiting_for_a_message_and_waits_for_its_end() -> None:
    async def main() -> None:
        streams = OpenStreams(NoLookup())
        registered, never = asyncio.Event(), asyncio.Event()

        async def old_stream() -> None:
            with streams.open(welcomed()) as stream:
                registered.set()
                await stream.read(never.wait())  # a half-open stream: nothing comes

        old = asyncio.create_task(old_stream())
        await registered.wait()
        with streams.open(welcomed()) as new:
            assert len(new.older) == 1 and new.older[0].cut_by is not None
            assert await new.superseded(5.0)  # it ended: what it held is given back
            with pytest.raises(Superseded) as ended:
                await old
            assert ended.value.refusal.status is Status.ABORTED
            assert len(streams) == 1 and new.cut_by is None
        assert len(streams) == 0

    asyncio.run(main())


def _welcomed_at(hello_ns: int) -> StreamSession:
    session = StreamSession(Agent("kit-1", SITE, auth.hash_secret("s3cret"), False, 0))
    session.hello(hello(), hello_ns)
    session.welcome({}, hello_ns)
    return session


def test_a_stale_stream_welcomed_after_the_newer_one_is_cut_itself() -> None:
    """A slow handshake welcomes a stream the kit already gave up on after its newer
    stream: the stale one ends, the kit's current one goes on."""

    async def main() -> None:
        streams = OpenStreams(NoLookup())
        with streams.open(_welcomed_at(2 * 10**18)) as current:
            with streams.open(_welcomed_at(10**18)) as stale:
                assert stale.older == () and current.cut_by is None
                assert isinstance(stale.cut_by, Superseded)
                with pytest.raises(Superseded):
                    stale.check()
            assert len(streams) == 1 and current.cut_by is None

    asyncio.run(main())


def _open(port: int, token: str) -> tuple[grpc.aio.Channel, grpc.aio.StreamStreamCall]:  # type: ignore[type-arg]
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return channel, channel.stream_stream(
        "/pantau.v1.Telemetry/Stream",
        request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
        response_deserializer=telemetry_pb2.CollectorMessage.FromString,
    )(metadata=metadata(token))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_batch_in_flight_on_the_older_stream_is_stored_once_and_acked_on_the_newer(
    kind: str, tmp_path: Path
) -> None:
    """The kit reconnects while its old stream is committing a batch: the old stream
    ends without acking it (stored or not), the kit sends it again on the new stream,
    which acks it, and the store holds every record once."""

    async def main() -> None:
        async with replicas(kind, tmp_path) as r:
            serving = r.serving
            store = serving.committer._store  # where this replica's commits go
            real_commit = store.commit
            in_commit, release = threading.Event(), threading.Event()

            def paused(batches: Sequence[IngestBatch]) -> list[BatchOutcome]:
                if not release.is_set():  # the old stream's batch: held mid-commit
                    in_commit.set()
                    release.wait(20)
                return real_commit(batches)

            store.commit = paused  # type: ignore[method-assign]
            old_channel, old = _open(serving.port, r.token)
            new_channel, new = _open(serving.port, r.token)
            async with old_channel, new_channel, asyncio.timeout(30):
                await old.write(hello())
                assert (await old.read()).WhichOneof("msg") == "welcome"
                await old.write(batch(1, 2, 3, 4, 5))
                assert await asyncio.to_thread(in_commit.wait, 10)
                await new.write(hello())  # the kit again, on a new connection
                welcome = (await new.read()).welcome
                assert welcome.acked_through_seq == 0  # nothing committed yet
                while serving.service.stats.superseded == 0:  # the old stream is cut
                    await asyncio.sleep(0.01)
                release.set()  # the old stream's commit completes: it must not ack
                with pytest.raises(grpc.aio.AioRpcError) as ended:
                    await old.read()
                assert ended.value.code() == grpc.StatusCode.ABORTED
                await new.write(batch(1, 2, 3, 4, 5))  # the kit sends what was not acked
                ack = (await new.read()).ack
                assert (ack.through_seq, ack.stored, ack.duplicates) == (5, 0, 5)
                new.cancel()
            assert r.stored_seqs() == [1, 2, 3, 4, 5]

    asyncio.run(main())
