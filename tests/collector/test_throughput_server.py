"""The throughput endpoint and the throughput prober against each other, on loopback.

A real ThroughputServer on 127.0.0.1:0 with a real enrolled agent in a SqliteStore.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from agent.probes.base import ProbeStatus
from agent.probes.throughput import ThroughputConfig, ThroughputOutcome, probe
from collector.auth import hash_secret, new_credential
from collector.store.sqlite import SqliteStore
from collector.throughput import ThroughputServer

SITE = "3171011001005"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "collector.db")
    yield store
    store.close()


@pytest.fixture
def token(store: SqliteStore) -> str:
    credential = new_credential("kit-1")
    store.add_agent("kit-1", SITE, hash_secret(credential.secret))
    return credential.token()


Body = Callable[[ThroughputServer, int], Awaitable[None]]


def serve(store: SqliteStore, body: Body, **limits: object) -> None:
    async def main() -> None:
        server = ThroughputServer(store, **limits)  # type: ignore[arg-type]
        port = await server.start("127.0.0.1", 0)
        try:
            async with asyncio.timeout(20):
                await body(server, port)
        finally:
            await server.stop()

    asyncio.run(main())


def config(port: int, token: str, **options: object) -> ThroughputConfig:
    return ThroughputConfig("127.0.0.1", port=port, credential=token, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("direction", ["download", "upload"])
def test_ramp_stays_within_the_byte_cap(store: SqliteStore, token: str, direction: str) -> None:
    outcomes: list[ThroughputOutcome] = []

    async def body(server: ThroughputServer, port: int) -> None:
        cfg = config(port, token, direction=direction, max_bytes=1_000_000, start_bytes=100_000)
        outcomes.append(await probe(cfg, name="tp"))

    serve(store, body)
    outcome = outcomes[0]
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.direction == direction
    # loopback is fast: the ramp doubles until the byte cap
    assert outcome.stop_reason == "byte-cap"
    assert outcome.transfer_sizes_bytes == (100_000, 200_000, 400_000, 300_000)
    assert outcome.payload_bytes == 1_000_000
    # the kernel's counters: payload plus headers, within a few percent
    assert 1_000_000 < outcome.common.bytes_used < 1_100_000
    assert outcome.goodput_bps is not None and outcome.goodput_bps > 1e6
    assert outcome.tcp_rtt_ms is not None and outcome.tcp_min_rtt_ms is not None
    assert outcome.tcp_snd_cwnd is not None and outcome.tcp_retransmits == 0
    assert 0 <= outcome.grace_ms <= outcome.duration_ms


def test_slow_transfer_stops_the_ramp(store: SqliteStore, token: str) -> None:
    outcomes: list[ThroughputOutcome] = []

    async def body(server: ThroughputServer, port: int) -> None:
        # fast_s this small: the first transfer already counts as "long enough"
        cfg = config(port, token, start_bytes=200_000, fast_s=0.01)
        outcomes.append(await probe(cfg, name="tp"))

    serve(store, body)
    # 200 kB over loopback takes well under 10 ms on most machines, so allow either
    assert outcomes[0].stop_reason in ("complete", "byte-cap")
    assert outcomes[0].common.status is ProbeStatus.OK


def test_time_cap_ends_a_transfer_that_never_finishes(token: str) -> None:
    """A server that greets and then never sends: the prober stops at max_time_s."""

    async def main() -> ThroughputOutcome:
        async def greet_and_stall(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await r.readline()
            w.write(b"OK 4000000\n")
            await r.read()  # until the prober closes
            w.close()

        server = await asyncio.start_server(greet_and_stall, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await probe(config(port, token, max_time_s=0.2), name="tp")

    outcome = asyncio.run(main())
    assert outcome.common.status is ProbeStatus.OK
    assert outcome.stop_reason == "time-cap"
    assert outcome.payload_bytes == 0 and outcome.goodput_bps is None


@pytest.mark.parametrize(
    "credential",
    ["kit-1.wrong-secret", "kit-2.whatever", "no-dot-in-it"],
    ids=["wrong-secret", "unknown-agent", "malformed"],
)
def test_unauthorised_credential_is_refused(
    store: SqliteStore, token: str, credential: str
) -> None:
    outcomes: list[ThroughputOutcome] = []

    async def body(server: ThroughputServer, port: int) -> None:
        outcomes.append(await probe(config(port, credential), name="tp"))

    serve(store, body)
    common = outcomes[0].common
    assert common.status is ProbeStatus.NOT_PERMITTED
    assert common.reason.startswith("the throughput server refused: unauthorized: ")
    assert outcomes[0].payload_bytes == 0


def test_revoked_agent_is_refused(store: SqliteStore, token: str) -> None:
    store.revoke_agent("kit-1")
    outcomes: list[ThroughputOutcome] = []

    async def body(server: ThroughputServer, port: int) -> None:
        outcomes.append(await probe(config(port, token), name="tp"))

    serve(store, body)
    assert outcomes[0].common.status is ProbeStatus.NOT_PERMITTED


def test_rate_limit_per_agent(store: SqliteStore, token: str) -> None:
    outcomes: list[ThroughputOutcome] = []

    async def body(server: ThroughputServer, port: int) -> None:
        for _ in range(3):
            outcomes.append(
                await probe(config(port, token, max_bytes=20_000, start_bytes=10_000), name="tp")
            )

    serve(store, body, tests_per_hour=2)
    assert [o.common.status for o in outcomes[:2]] == [ProbeStatus.OK, ProbeStatus.OK]
    assert outcomes[2].common.status is ProbeStatus.NOT_PERMITTED
    assert outcomes[2].common.reason == (
        "the throughput server refused: rate-limited: at most 2 tests per hour"
    )


async def _exchange(port: int, lines: list[bytes]) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        for line in lines:
            writer.write(line)
            answers.append(await reader.readline())
        answers.append(await reader.read())
    finally:
        writer.close()
        await writer.wait_closed()
    return answers


def test_protocol_errors_and_caps(store: SqliteStore, token: str) -> None:
    answers: dict[str, list[bytes]] = {}

    async def body(server: ThroughputServer, port: int) -> None:
        answers["garbage"] = await _exchange(port, [b"HELLO\n"])
        answers["too-large"] = await _exchange(
            port, [f"PANTAU-THROUGHPUT/1 {token}\n".encode(), b"GET 5000\n"]
        )
        answers["bad-verb"] = await _exchange(
            port, [f"PANTAU-THROUGHPUT/1 {token}\n".encode(), b"POST 10\n"]
        )

    serve(store, body, max_request_bytes=1000)
    assert (
        answers["garbage"][0]
        == b"ERR bad-request expected 'PANTAU-THROUGHPUT/1 <agent_id>.<secret>'\n"
    )
    assert answers["too-large"] == [
        b"OK 1000\n",
        b"ERR too-large a request moves 1 to 1000 bytes\n",
        b"",
    ]
    assert answers["bad-verb"][1].startswith(b"ERR bad-request expected 'GET <bytes>'")


def test_global_concurrency_cap(store: SqliteStore, token: str) -> None:
    seen: list[bytes] = []

    async def body(server: ThroughputServer, port: int) -> None:
        _held_r, held_w = await asyncio.open_connection("127.0.0.1", port)
        try:
            while server.active < 1:  # the server has accepted the first connection
                await asyncio.sleep(0.001)
            seen.extend(await _exchange(port, []))
        finally:
            held_w.close()
            await held_w.wait_closed()

    serve(store, body, max_concurrent=1)
    assert seen == [b"ERR busy too many throughput tests in progress; try later\n"]


def test_idle_client_times_out(store: SqliteStore) -> None:
    seen: list[bytes] = []

    async def body(server: ThroughputServer, port: int) -> None:
        seen.extend(await _exchange(port, []))

    serve(store, body, idle_timeout_s=0.05)
    assert seen == [b"ERR timeout session or line took too long\n"]


def test_config_keeps_credential_out_of_repr() -> None:
    cfg = ThroughputConfig("collector.example", credential="kit-1.secret")
    assert "secret" not in repr(cfg)
    assert dataclasses.replace(cfg, credential="").credential == ""
