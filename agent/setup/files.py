"""Atomic, idempotent file writes and the kit's configuration file.

Every file ``init`` writes goes to a temporary file in the same directory, is flushed
to disk and renamed over the target, so a power cut or Ctrl-C leaves the old file or
the new one, never half of one. A file whose content is already right is not touched
(its modification time stays), so running ``init`` again changes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import ModemSection

CONFIG_MODE = 0o600
CREDENTIAL_NAME = "credential"


def atomic_write(
    path: Path,
    data: bytes,
    mode: int = 0o644,
    *,
    check: Callable[[Path], None] | None = None,
) -> bool:
    """Write ``data`` to ``path`` atomically with ``mode``; False if it was already so.

    ``check(tmp)``, when given, runs on the finished temporary file before the rename:
    if it raises, the temporary file is removed and ``path`` is untouched.
    """
    try:
        if path.read_bytes() == data and (path.stat().st_mode & 0o777) == mode:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)  # the umask may have narrowed it
        if check is not None:
            check(tmp)
        tmp.replace(path)
    except BaseException:  # Ctrl-C included: never leave the temporary file behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_credential(path: Path) -> str | None:
    """The stored credential (``<agent_id>.<secret>``), or None if absent or empty."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return token or None


def agent_id_of(token: str) -> str:
    """The agent id a credential belongs to (the part before the first dot)."""
    return token.partition(".")[0]


@dataclass(frozen=True, slots=True)
class KitConfig:
    """What ``init`` writes into the agent's TOML file."""

    site: str
    agent_id: str
    data_dir: Path
    collector: str
    credential_file: Path
    ca_file: str = ""
    insecure: bool = False
    modem_port: str = ""
    dialect: str = "auto"
    upload_test: bool = True
    throughput_port: int = 7601
    upload_need_mbps: float = 3.0
    backhaul: str = "cellular"  # [kit] backhaul: written only when it is not cellular
    #: A kit with a modem per operator: its ``[[modems]]``, written instead of ``[modem]``
    #: (kept from the old file on a re-run: :func:`modems_toml`).
    modems_text: str = ""

    def render(self) -> str:
        """The config file's text: deterministic, so an unchanged kit rewrites nothing."""
        from agent.probes.base import is_dns_name

        q = json.dumps  # a TOML basic string is a JSON string for these values
        host, _, port = self.collector.rpartition(":")
        host = host.strip("[]")
        lines = [
            "# Written by `pantau-agent init`; check it with `pantau-agent config-check`.",
            "",
            "[agent]",
            f"site = {q(self.site)}",
            f"id = {q(self.agent_id)}",
            f"data_dir = {q(str(self.data_dir))}",
            "",
            "[collector]",
            f"address = {q(self.collector)}",
            f"credential_file = {q(str(self.credential_file))}",
        ]
        if self.ca_file:
            lines.append(f"ca_file = {q(self.ca_file)}")
        if self.insecure:
            lines.append("insecure = true")
        if self.backhaul != "cellular":
            lines += [
                "",
                "# The link the kit's data travels over (init --backhaul); the collector",
                "# judges latency and loss against it.",
                "[kit]",
                f"backhaul = {q(self.backhaul)}",
            ]
        if self.modems_text:
            lines += ["", self.modems_text.rstrip("\n")]
        else:
            lines += ["", "[modem]", f"port = {q(self.modem_port)}"]
            if self.dialect != "auto":
                lines.append(f"dialect = {q(self.dialect)}")
        lines += [
            "",
            "# check's speed test to the collector's throughput endpoint: download and upload,",
            "# each at most 2 MB and 6 s, counted in the data budget; false: declined",
            "# (init --no-upload-test). An upload under upload_need_mbps is DEGRADED.",
            "[check]",
            f"upload_test = {'true' if self.upload_test else 'false'}",
            f"throughput_port = {self.throughput_port}",
            f"upload_need_mbps = {self.upload_need_mbps:g}",
        ]
        lines += [
            "",
            "# The recommended schedule (README): ping and TCP connect to the collector",
            "# every minute, DNS every 5 minutes.",
            "[[probe]]",
            'name = "ping-collector"',
            'kind = "icmp"',
            "interval_s = 60",
            f"target = {q(host)}",
            "count = 5",
            f"tcp_fallback_port = {port}",
            "",
            "[[probe]]",
            'name = "tcp-collector"',
            'kind = "tcp"',
            "interval_s = 60",
            f"target = {q(host)}",
            f"port = {port}",
        ]
        if is_dns_name(host):
            lines += [
                "",
                "[[probe]]",
                'name = "dns-collector"',
                'kind = "dns"',
                "interval_s = 300",
                f"query_name = {q(host)}",
            ]
        return "\n".join(lines) + "\n"


def modems_toml(modems: Sequence[ModemSection]) -> str:
    """``[[modems]]`` tables for ``modems``: every key that differs from its default."""
    tables = []
    for modem in modems:
        lines = ["[[modems]]"]
        for f in dataclasses.fields(modem):
            value = getattr(modem, f.name)
            if f.name not in ("name", "port") and value == f.default:
                continue
            if isinstance(value, bool):
                lines.append(f"{f.name} = {'true' if value else 'false'}")
            elif isinstance(value, str):
                lines.append(f"{f.name} = {json.dumps(value)}")
            else:
                lines.append(f"{f.name} = {value!r}")
        tables.append("\n".join(lines))
    return "\n\n".join(tables) + "\n"
