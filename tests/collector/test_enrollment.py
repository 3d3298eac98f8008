"""Enrollment with one-time codes and TLS pinned to the deployment's CA."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import grpc
import pytest

from agent.enroll import request
from collector.enrollment import CodeError, create_code, normalize_code
from collector.server import Collector
from collector.store.sqlite import SqliteStore
from collector.tls import TlsError, init_tls, paths_for
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

T = TypeVar("T")
SITE = "3171011001005"


def with_collector(tmp_path: Path, body: Callable[[Collector], Awaitable[T]], *, tls: bool) -> T:
    async def main() -> T:
        store = SqliteStore(tmp_path / "collector.sqlite")
        collector = Collector(store, tls=paths_for(tmp_path) if tls else None)
        await collector.start("127.0.0.1:0")
        try:
            return await body(collector)
        finally:
            await collector.stop(0)
            store.close()

    return asyncio.run(main())


def test_codes_are_normalised_and_malformed_ones_explained() -> None:
    assert normalize_code(" 7kq2-m9xd-4h ") == "7KQ2M9XD4H"
    assert normalize_code("OIL0-0000-00") == "0110000000"  # Crockford: O->0, I/L->1
    with pytest.raises(CodeError, match="an enrollment code is 10 letters and digits"):
        normalize_code("1234")


def test_a_code_enrolls_once_and_the_credential_streams_over_tls(tmp_path: Path) -> None:
    paths = init_tls(tmp_path, ["127.0.0.1", "localhost"])
    store = SqliteStore(tmp_path / "collector.sqlite")
    code, agent_id = create_code(store, SITE)
    store.close()

    async def body(collector: Collector) -> None:
        address = f"127.0.0.1:{collector.port}"
        got_id, site, token = await request(
            address, code, ca_file=str(paths.ca_cert), insecure=False, timeout_s=10
        )
        assert (got_id, site) == (agent_id, SITE) and token.startswith(f"{agent_id}.")
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await request(address, code, ca_file=str(paths.ca_cert), insecure=False, timeout_s=10)
        assert again.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "unknown, already used or expired" in (again.value.details() or "")
        # The credential works on the telemetry stream, over TLS.
        root = paths.ca_cert.read_bytes()
        async with grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(root)) as channel:
            call = telemetry_pb2_grpc.TelemetryStub(channel).Stream(
                metadata=(("authorization", f"Bearer {token}"),)
            )
            await call.write(
                telemetry_pb2.AgentMessage(hello=telemetry_pb2.Hello(agent_id=agent_id))
            )
            welcome = await call.read()
            assert welcome.welcome.site_code == SITE
            record = records_pb2.Record(seq=1, time=records_pb2.RecordTime(boot_id="b"))
            record.signal.rsrp_dbm = -90
            await call.write(
                telemetry_pb2.AgentMessage(batch=telemetry_pb2.Batch(records=[record]))
            )
            ack = await call.read()
            assert ack.ack.through_seq == 1
            await call.done_writing()
        secret = token.partition(".")[2]
        with sqlite3.connect(tmp_path / "collector.sqlite") as db:
            dump = "\n".join(db.iterdump())
        assert secret not in dump and code.replace("-", "") not in dump  # hashed at rest

    with_collector(tmp_path, body, tls=True)


def test_expired_and_malformed_codes_are_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "collector.sqlite")
    code, _ = create_code(store, SITE, ttl_s=0.001)
    store.close()
    time.sleep(0.01)  # the code's validity (1 ms) has certainly passed

    async def body(collector: Collector) -> list[grpc.StatusCode]:
        codes = []
        for attempt in (code, "nonsense"):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await request(f"127.0.0.1:{collector.port}", attempt, ca_file="", insecure=False,
                              timeout_s=10)  # fmt: skip
            codes.append(info.value.code())
        return codes

    assert with_collector(tmp_path, body, tls=False) == [
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.INVALID_ARGUMENT,
    ]


def test_plaintext_to_a_tls_collector_and_a_foreign_ca_are_refused(tmp_path: Path) -> None:
    init_tls(tmp_path, ["127.0.0.1"])
    other = init_tls(tmp_path / "other", ["127.0.0.1"])
    store = SqliteStore(tmp_path / "collector.sqlite")
    code, _ = create_code(store, SITE)
    store.close()

    async def body(collector: Collector) -> None:
        address = f"127.0.0.1:{collector.port}"
        for ca_file in ("", str(other.ca_cert)):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await request(address, code, ca_file=ca_file, insecure=False, timeout_s=3)
            assert info.value.code() in {
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.DEADLINE_EXCEEDED,
            }
        # Neither attempt used the code up.
        assert (await request(address, code, ca_file=str(paths_for(tmp_path).ca_cert),
                              insecure=False, timeout_s=10))[1] == SITE  # fmt: skip

    with_collector(tmp_path, body, tls=True)


def test_tls_init_refuses_to_replace_a_pinned_ca(tmp_path: Path) -> None:
    paths = init_tls(tmp_path, ["collector.example"])
    assert oct(paths.ca_key.stat().st_mode & 0o777) == "0o600"
    assert oct(paths.server_key.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(TlsError, match="kits pin it"):
        init_tls(tmp_path, ["collector.example"])


def test_the_cli_flow_enroll_code_then_agent_enroll(tmp_path: Path) -> None:
    import subprocess

    data = tmp_path / "collector"
    issued = subprocess.run(
        [sys.executable, "-m", "collector.cli", "enroll", "--site", SITE, "--data-dir", str(data)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    code = issued.stdout.strip()
    assert len(normalize_code(code)) == 10 and "pantau-agent enroll" in issued.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "collector.cli", "enroll", "--site", "99", "--data-dir", str(data)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "must be 13 digits" in bad.stderr

    async def body(collector: Collector) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "agent.cli", "enroll", "--collector",
            f"127.0.0.1:{collector.port}", "--code", code, "--data-dir", str(tmp_path / "kit"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode or 0, out.decode(), err.decode()

    data.mkdir(exist_ok=True)
    rc, out, err = with_collector(data, body, tls=False)
    assert rc == 0, err
    credential = tmp_path / "kit" / "credential"
    assert oct(credential.stat().st_mode & 0o777) == "0o600"
    assert credential.read_text().startswith(f"kit-{SITE}.")
    assert f'site = "{SITE}"' in out and f'credential_file = "{credential}"' in out
