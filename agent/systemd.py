"""systemd's notify protocol (``sd_notify``) over a plain socket: no dependency.

Under ``Type=notify`` systemd passes ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the
abstract namespace) and, with ``WatchdogSec=``, ``$WATCHDOG_USEC`` (and
``$WATCHDOG_PID``). The service sends datagrams of newline-separated assignments:

* ``READY=1`` once it is running (systemd then calls the start finished);
* ``WATCHDOG=1`` regularly, here at half of ``$WATCHDOG_USEC``. The pings come from a
  task on the agent's own event loop, so a loop that hangs stops pinging and systemd
  kills and restarts the service (``Restart=always``);
* ``STOPPING=1`` when it begins to shut down;
* ``STATUS=...`` a line ``systemctl status`` shows.

Without ``$NOTIFY_SOCKET`` (a technician running ``pantau-agent run`` by hand) every
call is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends notify messages to ``socket_path``; a no-op when it is empty."""

    def __init__(self, socket_path: str = "", watchdog_usec: int = 0) -> None:
        self.socket_path = socket_path
        self.watchdog_usec = watchdog_usec
        self._sock: socket.socket | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd asked for in the environment (a no-op one if none).

        ``$WATCHDOG_PID``, when set, names the process that must ping: another
        process (a child that inherited the environment) does not.
        """
        env = os.environ if env is None else env
        path = env.get("NOTIFY_SOCKET", "")
        usec = 0
        pid = env.get("WATCHDOG_PID", "")
        if not pid or pid == str(os.getpid()):
            try:
                usec = max(0, int(env.get("WATCHDOG_USEC", "0")))
            except ValueError:
                usec = 0
        return cls(path, usec)

    @property
    def enabled(self) -> bool:
        return bool(self.socket_path)

    @property
    def watchdog_interval_s(self) -> float | None:
        """How often to ping: half the watchdog timeout (None: no watchdog)."""
        if not self.enabled or self.watchdog_usec <= 0:
            return None
        return self.watchdog_usec / 2_000_000

    def notify(self, *assignments: str) -> bool:
        """Send ``assignments`` (e.g. ``"READY=1"``) in one datagram; False if not sent.

        Never raises: a failure to notify is logged, it must not stop the agent.
        """
        if not self.enabled or not assignments:
            return False
        address = self.socket_path
        if address.startswith("@"):
            address = "\0" + address[1:]
        elif not address.startswith("/"):
            log.debug("NOTIFY_SOCKET %r is not a unix socket path: not notifying", address)
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            self._sock.sendto("\n".join(assignments).encode("utf-8"), address)
        except OSError as exc:
            log.warning("cannot notify systemd on %s: %s", self.socket_path, exc)
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    async def ping_forever(self) -> None:
        """Ping the watchdog at half its timeout, from the running event loop."""
        interval = self.watchdog_interval_s
        if interval is None:
            return
        while True:
            self.watchdog()
            await asyncio.sleep(interval)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
