"""A second ``pantau-collector serve`` on an address the first one serves (gRPC or
web) is refused at once, in English and Bahasa Indonesia, exiting non-zero; the first
keeps serving. Real processes on free loopback ports."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
import requests

from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc


def _serve(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "collector.cli", "serve", "--data-dir", str(data_dir),
            "--throughput-listen", "off", *args]  # fmt: skip


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))


@pytest.mark.timeout(120)
def test_a_second_serve_on_a_taken_address_is_refused(tmp_path: Path) -> None:
    first = subprocess.Popen(
        _serve(tmp_path / "first", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: queue.Queue[str] = queue.Queue()
    readers = [
        threading.Thread(target=_lines, args=(stream, out), daemon=True)
        for stream in (first.stdout, first.stderr)
    ]
    for reader in readers:
        reader.start()
    try:
        web = grpc_port = None
        while web is None or grpc_port is None:
            line = out.get(timeout=60)
            if m := re.match(r"operations centre: (http://127\.0\.0\.1:\d+)/", line):
                web = m.group(1)
            if m := re.search(r"collector listening on port (\d+)", line):
                grpc_port = int(m.group(1))
        web_address = web.removeprefix("http://")
        for args, taken in (
            (("--listen", f"127.0.0.1:{grpc_port}", "--http-listen", "off"),
             f"127.0.0.1:{grpc_port}"),
            (("--listen", "127.0.0.1:0", "--http-listen", web_address), web_address),
        ):  # fmt: skip
            second = subprocess.run(
                _serve(tmp_path / "second", *args),
                capture_output=True,
                text=True,
                timeout=60,  # a second collector that starts does not end by itself
                check=False,
            )
            assert second.returncode == 2, second.stderr
            assert f"cannot listen on {taken}" in second.stderr
            assert "is another pantau-collector serve already using" in second.stderr
            assert f"tidak bisa memakai alamat {taken}" in second.stderr
            assert "Traceback" not in second.stderr
        # The first one still serves both.
        assert requests.get(f"{web}/healthz", timeout=10).json() == {"status": "ok"}
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            stub = telemetry_pb2_grpc.EnrollmentStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.Enroll(telemetry_pb2.EnrollRequest(code="nothing"), timeout=10)
            assert refused.value.code() != grpc.StatusCode.UNAVAILABLE
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        for reader in readers:
            reader.join(timeout=10)
        for stream in (first.stdout, first.stderr):
            if stream is not None:
                stream.close()
