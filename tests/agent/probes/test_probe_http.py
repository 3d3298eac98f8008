"""The HTTP prober against real HTTP and HTTPS servers on loopback."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from machine import unavailable

from agent.probes import ProbeConfigError, build_config
from agent.probes.base import ProbeStatus
from agent.probes.http import HttpConfig, HttpOutcome, probe

BODY = b"x" * 100_000


async def _respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ")[1]
        if path == b"/silent":
            await reader.read()  # never answers
        elif path == b"/missing":
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        writer.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        unavailable("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def fetch(
    path: str,
    *,
    tls: tuple[Path, Path] | None = None,
    **options: object,
) -> HttpOutcome:
    async def main() -> HttpOutcome:
        context = None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls[0], tls[1])
        server = await asyncio.start_server(_respond, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        scheme = "https" if tls else "http"
        config = HttpConfig(f"{scheme}://localhost:{port}{path}", source="127.0.0.1", **options)  # type: ignore[arg-type]
        async with server:
            return await probe(config, name="http-test")

    return asyncio.run(main())


def test_http_phases_and_body() -> None:
    outcome = fetch("/")
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.status_code == 200
    assert outcome.body_bytes == 65_536  # max_body_bytes: the rest is never read
    assert outcome.common.resolve_ms is not None
    assert outcome.connect_ms is not None and outcome.tls_ms is None
    assert outcome.first_byte_ms is not None and outcome.transfer_ms is not None
    assert outcome.total_ms is not None
    assert outcome.total_ms >= outcome.first_byte_ms + outcome.transfer_ms
    assert outcome.tls_version is None
    assert outcome.common.bytes_used >= 65_536


def test_bigger_body_cap_reads_the_whole_body() -> None:
    outcome = fetch("/", max_body_bytes=1_000_000)
    assert outcome.body_bytes == len(BODY)


def test_status_outside_valid_is_an_error() -> None:
    outcome = fetch("/missing")
    assert outcome.common.status is ProbeStatus.ERROR
    assert outcome.common.reason == "HTTP status 404 (expected 2xx,3xx)"
    assert outcome.status_code == 404 and outcome.body_bytes == 3
    assert fetch("/missing", valid_status="404").common.status is ProbeStatus.OK


def test_no_response_times_out() -> None:
    outcome = fetch("/silent", timeout_s=0.2)
    assert outcome.common.status is ProbeStatus.TIMEOUT
    assert outcome.common.reason == "no first byte within 0.2 s"
    assert outcome.connect_ms is not None and outcome.status_code is None


def test_https_with_the_right_ca(certificate: tuple[Path, Path]) -> None:
    outcome = fetch("/", tls=certificate, ca_file=str(certificate[0]))
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.tls_ms is not None and outcome.tls_version in ("TLSv1.2", "TLSv1.3")
    assert outcome.body_bytes == 65_536
    # TLS records and the handshake are on the wire too
    assert outcome.common.bytes_used > 65_536 + 1000


def test_https_with_an_unknown_ca_is_a_tls_error(certificate: tuple[Path, Path]) -> None:
    outcome = fetch("/", tls=certificate)
    assert outcome.common.status is ProbeStatus.TLS_ERROR
    assert outcome.common.reason.startswith("TLS certificate not accepted: ")
    assert outcome.status_code is None


def test_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = asyncio.run(probe(HttpConfig(f"http://127.0.0.1:{port}/"), name="h"))
    assert outcome.common.status is ProbeStatus.REFUSED
    assert outcome.common.reason == f"connection to 127.0.0.1:{port} refused"


def test_unresolvable_name() -> None:
    outcome = asyncio.run(probe(HttpConfig("http://nothing.invalid/"), name="h"))
    assert outcome.common.status is ProbeStatus.UNRESOLVABLE
    assert outcome.common.reason.startswith("'nothing.invalid' has no address")
    assert outcome.common.target == "http://nothing.invalid/"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://x/"}, "url must be an http:// or https:// URL with a host"),
        ({"url": "http://x/", "method": "POST"}, "method must be 'GET' or 'HEAD'"),
        ({"url": "http://x/", "valid_status": "ok"}, "valid_status must list codes"),
    ],
)
def test_bad_http_config(options: dict[str, object], message: str) -> None:
    with pytest.raises(ProbeConfigError, match=message):
        build_config("http", options, "test")
