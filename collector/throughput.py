"""The collector's throughput endpoint: the server the agents' ``throughput`` prober measures.

A small asyncio TCP server (TLS when given an ``ssl.SSLContext``). Protocol (see
``agent.probes.throughput``), ASCII lines ending in ``\\n``::

    -> PANTAU-THROUGHPUT/1 <agent_id>.<secret>
    <- OK <max_request_bytes>                    or  ERR <code> <message>, then close
    -> GET <n>            <- DATA <n>, then n bytes of random data
    -> PUT <n>, n bytes   <- DONE <n> <us>       (us: from reading PUT to the last byte)
    -> BYE

Abuse limits (each refusal is ``ERR <code> <message>`` and a close):

- ``busy``: more than ``max_concurrent`` connections at once (counted before auth);
- ``unauthorized``: a credential that is malformed, unknown, revoked or wrong (checked with
  :mod:`collector.auth` against ``store.get_agent``, in a thread);
- ``rate-limited``: more than ``tests_per_hour`` sessions for one agent in the last hour;
- ``too-large``: a request over ``max_request_bytes``, or a session moving more than
  ``max_session_bytes`` in total;
- ``timeout``: no complete line within ``idle_timeout_s``, or a session older than
  ``session_timeout_s``;
- ``bad-request``: anything else.

Downloads are slices of one random buffer generated at start (incompressible, no per-request
cost); uploads are read and dropped.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import ssl
import time
from collections.abc import Callable
from typing import Protocol

from collector.auth import CredentialError, parse_token, secret_matches
from collector.errors import CollectorError
from collector.store.model import Agent

__all__ = ["HELLO", "AgentLookup", "ThroughputServer"]

HELLO = "PANTAU-THROUGHPUT/1"
_BUFFER_BYTES = 1 << 20
_CHUNK = 64 * 1024
_MAX_LINE = 256

log = logging.getLogger(__name__)


class AgentLookup(Protocol):
    def get_agent(self, agent_id: str) -> Agent | None: ...


class _Refused(CollectorError):
    """A request the endpoint refuses with ``ERR <code> <message>`` and a close. The code
    says whose fault it is: ``busy`` and ``rate-limited`` are this endpoint's limits,
    the others the client's request (see the module docstring)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class ThroughputServer:
    """Serve throughput tests to enrolled, unrevoked agents, within hard limits."""

    def __init__(
        self,
        store: AgentLookup,
        *,
        max_request_bytes: int = 4_000_000,
        max_session_bytes: int = 8_000_000,
        tests_per_hour: int = 12,
        max_concurrent: int = 8,
        idle_timeout_s: float = 10.0,
        session_timeout_s: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.max_request_bytes = max_request_bytes
        self.max_session_bytes = max_session_bytes
        self.tests_per_hour = tests_per_hour
        self.max_concurrent = max_concurrent
        self.idle_timeout_s = idle_timeout_s
        self.session_timeout_s = session_timeout_s
        self._ssl = ssl_context
        self._clock = clock
        self._data = memoryview(os.urandom(_BUFFER_BYTES))
        self._sessions: dict[str, collections.deque[float]] = {}
        self._active = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the bound port."""
        self._server = await asyncio.start_server(self._handle, host, port, ssl=self._ssl)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def stop(self) -> None:
        """Stop listening and end every session in progress."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    @property
    def active(self) -> int:
        return self._active

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._active += 1
        try:
            if self._active > self.max_concurrent:
                raise _Refused("busy", "too many throughput tests in progress; try later")
            async with asyncio.timeout(self.session_timeout_s):
                await self._session(reader, writer)
        except _Refused as refused:
            with contextlib.suppress(OSError):
                writer.write(f"ERR {refused.code} {refused.message}\n".encode())
        except TimeoutError:
            with contextlib.suppress(OSError):
                writer.write(b"ERR timeout session or line took too long\n")
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away
        except asyncio.CancelledError:
            pass  # stop()
        finally:
            self._active -= 1
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, asyncio.CancelledError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()
            self._handlers.discard(task)

    async def _line(self, reader: asyncio.StreamReader) -> list[str]:
        async with asyncio.timeout(self.idle_timeout_s):
            try:
                raw = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                raise _Refused("bad-request", "line too long") from None
        if len(raw) > _MAX_LINE:
            raise _Refused("bad-request", "line too long")
        return raw.decode("ascii", "replace").split()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        words = await self._line(reader)
        if len(words) != 2 or words[0] != HELLO:
            raise _Refused("bad-request", f"expected '{HELLO} <agent_id>.<secret>'")
        agent_id = await self._authenticate(words[1])
        self._count_session(agent_id)
        writer.write(f"OK {self.max_request_bytes}\n".encode())
        moved = 0
        while True:
            words = await self._line(reader)
            if words == ["BYE"]:
                return
            if len(words) != 2 or words[0] not in ("GET", "PUT") or not words[1].isdigit():
                raise _Refused("bad-request", "expected 'GET <bytes>', 'PUT <bytes>' or 'BYE'")
            size = int(words[1])
            if not 0 < size <= self.max_request_bytes:
                raise _Refused("too-large", f"a request moves 1 to {self.max_request_bytes} bytes")
            if moved + size > self.max_session_bytes:
                raise _Refused("too-large", f"a test moves at most {self.max_session_bytes} bytes")
            moved += size
            if words[0] == "GET":
                await self._send(writer, size)
            else:
                await self._sink(reader, writer, size)

    async def _authenticate(self, token: str) -> str:
        try:
            credential = parse_token(token)
        except CredentialError:
            raise _Refused("unauthorized", "malformed credential") from None
        agent = await asyncio.to_thread(self._store.get_agent, credential.agent_id)
        if (
            agent is None
            or agent.revoked
            or not secret_matches(credential.secret, agent.secret_hash)
        ):
            log.info("throughput: refused credential for agent %r", credential.agent_id)
            raise _Refused("unauthorized", "unknown, revoked or wrong credential")
        return credential.agent_id

    def _count_session(self, agent_id: str) -> None:
        now = self._clock()
        recent = self._sessions.setdefault(agent_id, collections.deque())
        while recent and recent[0] <= now - 3600.0:
            recent.popleft()
        if len(recent) >= self.tests_per_hour:
            raise _Refused("rate-limited", f"at most {self.tests_per_hour} tests per hour")
        recent.append(now)

    async def _send(self, writer: asyncio.StreamWriter, size: int) -> None:
        writer.write(f"DATA {size}\n".encode())
        offset = 0
        left = size
        while left:
            n = min(left, _CHUNK, _BUFFER_BYTES - offset)
            writer.write(self._data[offset : offset + n])
            await writer.drain()
            offset = (offset + n) % _BUFFER_BYTES
            left -= n

    async def _sink(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, size: int
    ) -> None:
        started = time.monotonic()
        left = size
        while left:
            async with asyncio.timeout(self.idle_timeout_s):
                chunk = await reader.read(min(left, _CHUNK))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(chunk)
        elapsed_us = int((time.monotonic() - started) * 1e6)
        writer.write(f"DONE {size} {elapsed_us}\n".encode())
