"""The driver over pyserial URLs: socket:// to a scripted peer, loop://, a real pty."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from agent.modem.driver import AtPort
from agent.modem.errors import CommandFailed, ModemTimeout, PortUnavailable, ProtocolError


class ScriptedPeer:
    """A TCP peer that answers each command line with the next scripted bytes.

    :meth:`close` is deterministic whatever the peer thread is doing: it marks the peer
    closed under a lock, shuts down the listening socket (which wakes a pending
    ``accept``) and the accepted connection if there is one; a connection accepted
    after that is closed at once. The thread treats every socket error (the client or
    :meth:`close` ended the connection) as the end of its work, never as a crash.
    """

    def __init__(self, script: dict[str, list[bytes]]) -> None:
        self.script = script
        self.received: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._closed = False
        self._conn: socket.socket | None = None
        self.accepted = threading.Event()
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:  # close() shut the listening socket down before a client came
            return
        with self._lock:
            if self._closed:
                conn.close()
                return
            self._conn = conn
        self.accepted.set()
        with conn, contextlib.suppress(OSError):  # the client or close() ended it
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        while data := conn.recv(1024):
            buf += data
            while b"\r" in buf:
                line, buf = buf.split(b"\r", 1)
                command = line.decode()
                self.received.append(command)
                answers = self.script.get(command, [b"\r\nERROR\r\n"])
                reply = answers.pop(0) if len(answers) > 1 else answers[0]
                conn.sendall(reply)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conn = self._conn
        with contextlib.suppress(OSError):  # not listening any more / never connected
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        if conn is not None:
            with contextlib.suppress(OSError):  # already closed by the peer thread
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "the scripted peer did not stop"


@pytest.fixture
def peer_factory() -> Iterator[list[ScriptedPeer]]:
    peers: list[ScriptedPeer] = []
    yield peers
    for peer in peers:
        peer.close()


def connect(peers: list[ScriptedPeer], script: dict[str, list[bytes]], **kw: object) -> AtPort:
    peer = ScriptedPeer(script)
    peers.append(peer)
    port = AtPort(f"socket://127.0.0.1:{peer.port}", **kw)  # type: ignore[arg-type]
    port.open()
    # Tests start talking (or close the peer) only once the peer holds the connection.
    assert peer.accepted.wait(timeout=5), "the scripted peer never accepted"
    return port


def test_retries_sim_busy_with_back_off(peer_factory: list[ScriptedPeer]) -> None:
    slept: list[float] = []
    script = {
        "AT+CPIN?": [
            b"\r\n+CME ERROR: 14\r\n",
            b"\r\n+CME ERROR: 515\r\n",
            b"\r\n+CPIN: READY\r\n\r\nOK\r\n",
        ]
    }
    with connect(peer_factory, script, sleep=slept.append, retry_delays_s=(0.1, 0.2, 0.4)) as p:
        response = p.command("AT+CPIN?")
    assert response.lines == ("+CPIN: READY",)
    assert slept == [0.1, 0.2]


def test_retries_give_up_with_command_failed(peer_factory: list[ScriptedPeer]) -> None:
    slept: list[float] = []
    script = {"AT+CPIN?": [b"\r\n+CME ERROR: 14\r\n"]}
    p = connect(peer_factory, script, sleep=slept.append, retry_delays_s=(0.1, 0.2))
    with p, pytest.raises(CommandFailed, match=r"AT\+CPIN\? failed on port socket://") as info:
        p.command("AT+CPIN?")
    assert info.value.cme_code == 14
    assert slept == [0.1, 0.2]


def test_timeout_names_command_port_and_seconds(peer_factory: list[ScriptedPeer]) -> None:
    script = {"AT+COPS=?": [b'\r\n+COPS: (2,"TELKOMSEL"'], "AT": [b"\r\nOK\r\n"]}
    with connect(peer_factory, script, command_timeout_s=0.2, forgive_after_s=0.3) as p:
        with pytest.raises(ModemTimeout, match=r"AT\+COPS=\? got no final result within 0.2 s"):
            p.command("AT+COPS=?")
        # Its answer is still owed: AT is not written while it may come...
        with pytest.raises(ModemTimeout, match=r"command AT got no final result"):
            p.command("AT")
        assert peer_factory[0].received == ["AT+COPS=?"]
        # ... until forgive_after_s has passed; then the engine is usable again.
        assert p.command("AT").final.ok
        assert peer_factory[0].received == ["AT+COPS=?", "AT"]


def test_overflow_is_a_protocol_error(peer_factory: list[ScriptedPeer]) -> None:
    script = {"AT+CSQ": [b"\r\n" + b"x" * 300 + b"\r\nOK\r\n"], "AT": [b"\r\nOK\r\n"]}
    with connect(peer_factory, script, max_buffer_bytes=64) as p:
        with pytest.raises(ProtocolError, match="longer than 64 bytes"):
            p.command("AT+CSQ")
        assert p.command("AT").final.ok


def test_setup_tolerates_refused_optional_commands(peer_factory: list[ScriptedPeer]) -> None:
    ok = [b"\r\nOK\r\n"]
    script = {"AT": list(ok), "ATE0": [b"ATE0\r\r\nOK\r\n"], "AT+CMEE=1": list(ok)}
    with connect(peer_factory, script) as p:
        p.setup()
    assert peer_factory[0].received[:3] == ["AT", "ATE0", "AT+CMEE=1"]
    assert "AT+CEREG=2" in peer_factory[0].received


def test_loop_url_times_out_on_its_own_echo() -> None:
    # loop:// returns what we write: the engine sees an echo and never a final result.
    with AtPort("loop://", command_timeout_s=0.1) as p, pytest.raises(ModemTimeout):
        p.command("AT")


def test_not_open() -> None:
    with pytest.raises(PortUnavailable, match="not open"):
        AtPort("loop://").command("AT")


def test_bad_timeout() -> None:
    with pytest.raises(ValueError, match="command_timeout_s=0"):
        AtPort("loop://", command_timeout_s=0)


def test_peer_closing_socket_is_unavailable(peer_factory: list[ScriptedPeer]) -> None:
    p = connect(peer_factory, {"AT": [b"\r\nOK\r\n"]}, command_timeout_s=1)
    try:
        peer_factory[0].close()
        with pytest.raises(PortUnavailable, match="vanished"):
            p.command("AT")
        assert not p.is_open
    finally:
        p.close()
