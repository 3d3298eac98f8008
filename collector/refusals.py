"""What the collector answers a kit whose stream it ends, and whose fault it was (pure).

A refusal is a status (named as gRPC names it; the servicer maps it to
``grpc.StatusCode``, nothing here imports grpc) and a message for the person who
reads the kit's log. What the kit sent wrong raises a :class:`KitRefused`, which
carries its status::

    PantauError                         pantau.core.errors
     └ ProtocolError
        ├ LocalProtocolError            a bug on this side (e.g. the servicer misusing
        │                               the stream session)
        └ RemoteProtocolError           the kit broke the contract
           └ KitRefused                 .status, .refusal   (this module)
              ├ CredentialRefused       UNAUTHENTICATED: no, a malformed, an unknown
              │                         or a wrong credential (or one replaced by a
              │                         re-enrollment while the stream is open)
              ├ AccessDenied            PERMISSION_DENIED: revoked (also while the
              │                         stream is open), or a Hello naming another
              │                         agent or another site
              ├ OutOfOrder              FAILED_PRECONDITION: anything before Hello, a
              │                         second Hello
              ├ MalformedMessage        INVALID_ARGUMENT: not a pantau.v1.AgentMessage,
              │                         or one with no member set
              ├ BatchRejected           INVALID_ARGUMENT: a batch breaking the contract
              │                         (collector.batches)
              └ Superseded              ABORTED: not a fault of the stream's own: the
                                        kit opened a newer stream (its link dropped and
                                        it reconnected), which ends this one

A store that cannot take a batch is not the kit's fault: that answer is
:data:`Status.UNAVAILABLE` (:func:`collector.session.store_unavailable`), and nothing
is acked, so the kit keeps its data and retries. Nor is a collector too busy to take
a kit now (:func:`busy`, admission control: :mod:`collector.admission`): UNAVAILABLE
too, with :attr:`Refusal.retry_after_ms`, which the servicer sends as the trailing
metadata :data:`RETRY_AFTER_KEY`.

What a client sent is echoed only through :func:`clip` (at most :data:`ECHO_CHARS`
characters, quoted, with the length of the whole), and a refusal's message is at most
:data:`MAX_MESSAGE_CHARS` characters (:attr:`KitRefused.refusal`): a 100 kB agent id
or enrollment code must not come back in a status (a client waiting for a status
that big may hang to its deadline) nor fill the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from pantau.core.errors import RemoteProtocolError

#: At most this many characters of a client's string are echoed in a status or a log line.
ECHO_CHARS = 64
#: The longest message a refusal carries (a status's details), echoes included.
MAX_MESSAGE_CHARS = 512
#: The trailing metadata key telling a refused kit when to come back (milliseconds).
RETRY_AFTER_KEY = "retry-after-ms"


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` quoted for a status or a log line, cut to ``limit`` characters:
    ``'kit-1'``, or ``'aaaa…' (100000 characters)`` for a long one. Quoting escapes
    control characters, so a client cannot forge log lines either."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


def bounded(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``message`` cut to ``limit`` characters (the last one an ellipsis)."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


class Status(StrEnum):
    """The status a refused stream ends with (the gRPC status code of the same name)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAVAILABLE = "UNAVAILABLE"
    ABORTED = "ABORTED"


@dataclass(frozen=True, slots=True)
class Refusal:
    """End the stream with ``status`` and ``message`` (and, for a kit turned away by
    admission control, when to come back: ``retry_after_ms``)."""

    status: Status
    message: str
    retry_after_ms: int | None = None


def busy(what: str, retry_after_ms: int) -> Refusal:
    """The answer to a kit the collector cannot take now (``what`` is full): UNAVAILABLE,
    which every kit retries, and when to retry."""
    return Refusal(
        Status.UNAVAILABLE,
        f"the collector is busy ({what}): retry after {retry_after_ms} ms",
        retry_after_ms,
    )


class KitRefused(RemoteProtocolError):
    """The kit sent something the collector refuses; the stream ends with :attr:`status`."""

    status: ClassVar[Status] = Status.INVALID_ARGUMENT

    @property
    def refusal(self) -> Refusal:
        return Refusal(self.status, bounded(str(self)))


class CredentialRefused(KitRefused):
    """No credential, or a malformed, unknown or wrong one (or one replaced or removed
    while its stream was open)."""

    status = Status.UNAUTHENTICATED


class AccessDenied(KitRefused):
    """A revoked credential, or a Hello claiming another agent or site than its enrollment."""

    status = Status.PERMISSION_DENIED


class OutOfOrder(KitRefused):
    """A message the stream's state does not allow (a Batch before Hello, a second Hello)."""

    status = Status.FAILED_PRECONDITION


class MalformedMessage(KitRefused):
    """Bytes that do not decode as a pantau.v1.AgentMessage, or one with no member set."""

    status = Status.INVALID_ARGUMENT

    def __init__(self, message: str = "malformed message: not a pantau.v1.AgentMessage") -> None:
        super().__init__(message)


class Superseded(KitRefused):
    """The kit opened a newer stream, which was welcomed: this older one ends (its kit
    has already left it: a link that dropped, a kit that restarted). ABORTED, which the
    agent's uplink treats as any lost stream; it is on its newer stream anyway."""

    status = Status.ABORTED

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"superseded by a newer stream of this kit ({agent_id})")
