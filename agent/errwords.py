"""Technical failure text (an exception's words, a library's reason, a probe status) as a
phrase the technician reads in their own language.

Messages put such text in fields named ``error`` or ``reason`` (:mod:`agent.i18n`). In
English it is shown as it is; in Indonesian it becomes the phrase of the first pattern
below that it contains (case-insensitive), ``common.err.<code>``, and the raw words are
left out (``check --json`` keeps them in each reason's ``detail``; ``--lang en`` shows
them). Text that matches no pattern reads as "a technical fault" followed by the raw
words in a clearly marked part, ``[rincian teknis: ...]`` (a config file's error, for
one, names the key that is wrong).
"""

from __future__ import annotations

from typing import Final

#: (substring, lower case) -> phrase code, most specific first.
PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("certificate", "tls"),
    ("ssl", "tls"),
    ("tls", "tls"),
    ("ca file", "ca_file"),
    ("unauthenticated", "credential"),
    ("permission_denied", "credential"),
    ("credential", "credential"),
    ("no space left", "disk_full"),
    ("disk quota", "disk_full"),
    ("read-only", "read_only"),
    ("permission denied", "permission"),
    ("operation not permitted", "permission"),
    ("not-permitted", "permission"),
    ("errno 13", "permission"),
    ("connection refused", "refused"),
    ("refused", "refused"),
    ("connection reset", "reset"),
    ("broken pipe", "reset"),
    ("no route to host", "no_route"),
    ("network is unreachable", "no_route"),
    ("unreachable", "no_route"),
    ("name or service not known", "dns"),
    ("temporary failure in name resolution", "dns"),
    ("nodename nor servname", "dns"),
    ("no address associated", "dns"),
    ("nxdomain", "dns"),
    ("unresolvable", "dns"),
    ("servfail", "dns"),
    ("deadline_exceeded", "timeout"),
    ("timed out", "timeout"),
    ("timeout", "timeout"),
    ("no reply", "timeout"),
    ("no result within", "timeout"),
    ("no reading within", "timeout"),
    ("device or resource busy", "busy"),
    ("exclusively lock", "busy"),
    ("resource temporarily unavailable", "busy"),
    ("busy", "busy"),
    ("no such file", "missing"),
    ("not found", "missing"),
    ("does not exist", "missing"),
    ("input/output error", "io"),
    ("errno 5", "io"),
    ("unavailable", "unavailable"),
    ("failed to connect", "unavailable"),
    ("skipped-budget", "budget"),
    ("budget", "budget"),
)


#: Whole texts that are codes: probe statuses, agent.kitfiles problems.
EXACT: Final[dict[str, str]] = {
    "missing": "missing",
    "not-a-file": "missing",
    "not-readable": "permission",
    "empty": "ca_file",
    "not-pem": "ca_file",
    "error": "other",
}


def phrase_code(text: str) -> str:
    """The phrase code for ``text`` (``other`` when no pattern matches)."""
    lowered = text.lower().strip()
    if lowered in EXACT:
        return EXACT[lowered]
    for needle, code in PATTERNS:
        if needle in lowered:
            return code
    return "other"


#: Every phrase code (the catalogue defines ``common.err.<code>`` for each).
CODES: Final = tuple(dict.fromkeys([code for _, code in PATTERNS] + [*EXACT.values(), "other"]))
