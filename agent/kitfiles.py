"""The files a configuration names (the collector's CA, the credential): whether each
exists, is readable and, for the CA, parses as PEM certificates. ``config-check`` and
``check`` say which file and what is wrong with it, instead of a failure further on
(a missing CA once looked like a wrong collector address).

A problem is a code (:data:`PROBLEMS`); its words, in both languages, are the messages
``common.file.<code>`` (``-`` as ``_``)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from agent.config import AgentConfig

PROBLEMS: Final = ("missing", "not-a-file", "not-readable", "empty", "not-pem")


def file_problem(path: Path, *, pem: bool = False) -> str | None:
    """None when ``path`` is a readable, non-empty file (PEM certificates when ``pem``);
    else the problem's code."""
    try:
        if not path.exists():
            return "missing"
        if not path.is_file():
            return "not-a-file"
        data = path.read_bytes()
    except PermissionError:
        return "not-readable"
    except OSError:
        return "not-readable"
    if not data.strip():
        return "empty"
    if pem and not _pem_certificates(path):
        return "not-pem"
    return None


def _pem_certificates(path: Path) -> bool:
    """OpenSSL itself loads the file as trusted certificates (what the channel does)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=os.fspath(path))
    except (ssl.SSLError, OSError, ValueError):
        return False
    return context.cert_store_stats().get("x509", 0) > 0


def config_file_problems(config: AgentConfig) -> list[tuple[str, str, str]]:
    """``(key, path, problem)`` for each file the ``[collector]`` table names that
    cannot serve (``ca_file``, ``credential_file``)."""
    out: list[tuple[str, str, str]] = []
    named = (("ca_file", config.collector.ca_file, True),
             ("credential_file", config.collector.credential_file, False))  # fmt: skip
    for key, value, pem in named:
        if not value:
            continue
        problem = file_problem(Path(value), pem=pem)
        if problem is not None:
            out.append((key, value, problem))
    return out
