"""The readiness verdict: READY / DEGRADED / NOT READY from ``check``'s facts (pure).

Every finding is a :class:`Finding` with a language-neutral ``code`` (stable: scripts
and the JSON use it), a severity and the values its message needs; advice codes follow
from the findings. The messages live in ``agent/messages/check.py`` as
``check.reason.<code>`` and ``check.advice.<code>`` (lower case).

Policy (documented in ``pantau-agent check --help`` too):

- NOT READY: the kit cannot deliver anything: no modem answering (or a modem lost
  during the check: it fell off USB or stopped answering), no SIM / a locked SIM, no
  service (or registration denied), the collector unreachable or refusing the kit's
  credential, the collector's CA file missing or unusable, no credential at all (not
  enrolled), or a data disk that is full, read-only or not writable (the spool cannot
  keep what the link cannot carry).
- DEGRADED: it delivers, but poorly: a poor signal (strength or quality), 2G only, ping
  loss above 20 % (judged by :func:`loss_above_threshold` on the collector's pings and on
  every configured ICMP probe) or a median RTT above 1000 ms, failing DNS or configured
  probes, a measured upload under the result photos' need (``[check] upload_need_mbps``,
  default 3 Mbit/s: KPU asks about 3-4 Mbit/s at TPS that send the C1 photos), or result
  photos that would take over 15 minutes.
- Notes never change the verdict: roaming, a fair signal, records waiting in the spool,
  an unsynchronised or offset clock (the collector corrects event times from the
  monotonic clock), a spent data budget, a speed test that could not run, or an upload
  not measured (the test declined, skipped or not configured: said, never taken as good).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

NOT_READY, DEGRADED, NOTE = "not-ready", "degraded", "note"
VERDICTS: Final = ("READY", "DEGRADED", "NOT_READY")

#: Reason code -> severity.
REASONS: Final[Mapping[str, str]] = {
    "MODEM_NOT_FOUND": NOT_READY,
    "MODEM_BUSY": NOT_READY,
    "MODEM_NO_ANSWER": NOT_READY,
    "MODEM_ERROR": NOT_READY,
    "MODEM_LOST": NOT_READY,
    "MODEM_FROM_AGENT": NOTE,
    "MODEM_NOT_CONFIGURED": NOTE,
    "SIM_MISSING": NOT_READY,
    "SIM_PIN": NOT_READY,
    "SIM_PUK": NOT_READY,
    "SIM_ERROR": NOT_READY,
    "NO_SERVICE": NOT_READY,
    "REGISTRATION_DENIED": NOT_READY,
    "ROAMING": NOTE,
    "SIGNAL_WEAK": DEGRADED,
    "SIGNAL_NOISY": DEGRADED,
    "SIGNAL_FAIR": NOTE,
    "RAT_2G": DEGRADED,
    "COLLECTOR_UNREACHABLE": NOT_READY,
    "COLLECTOR_REJECTED": NOT_READY,
    "CA_FILE_BAD": NOT_READY,
    "NOT_ENROLLED": NOT_READY,
    "COLLECTOR_NOT_CONFIGURED": NOTE,
    "ENROLLMENT_NOT_CHECKED": NOTE,
    "PING_LOSS": DEGRADED,
    "PING_SLOW": DEGRADED,
    "DNS_FAILED": DEGRADED,
    "PROBE_FAILED": DEGRADED,
    "THROUGHPUT_LOW": DEGRADED,
    "THROUGHPUT_FAILED": NOTE,
    "UPLOAD_NOT_MEASURED": NOTE,
    "PHOTOS_SLOW": DEGRADED,
    "SPOOL_BACKLOG": NOTE,
    "CLOCK_UNSYNCED": NOTE,
    "CLOCK_OFFSET": NOTE,
    "BUDGET_SPENT": NOTE,
    "DISK_FULL": NOT_READY,
    "DISK_READ_ONLY": NOT_READY,
    "DATA_DIR_NOT_WRITABLE": NOT_READY,
}

#: Advice codes, in the order they are shown (most useful first).
ADVICE: Final = (
    "INSERT_SIM",
    "ENTER_PIN",
    "CALL_OPERATOR",
    "FREE_DISK",
    "CHECK_DISK",
    "RESEAT_MODEM",
    "CHECK_MODEM",
    "FREE_MODEM_PORT",
    "USE_4G",
    "MOVE_ANTENNA",
    "TRY_OTHER_OPERATOR",
    "PLAN_PHOTO_UPLOAD",
    "USE_SATELLITE",
    "FIX_CA_FILE",
    "CHECK_COLLECTOR_ADDRESS",
    "ENROLL",
    "CHECK_DNS",
    "KEEP_AGENT_RUNNING",
    "WAIT_CLOCK_SYNC",
)

#: Reason code -> the advice it calls for.
_ADVICE_FOR: Final[Mapping[str, tuple[str, ...]]] = {
    "MODEM_NOT_FOUND": ("CHECK_MODEM",),
    "MODEM_BUSY": ("FREE_MODEM_PORT",),
    "MODEM_NO_ANSWER": ("CHECK_MODEM",),
    "MODEM_ERROR": ("CHECK_MODEM",),
    "MODEM_LOST": ("RESEAT_MODEM",),
    "DISK_FULL": ("FREE_DISK",),
    "DISK_READ_ONLY": ("CHECK_DISK",),
    "DATA_DIR_NOT_WRITABLE": ("CHECK_DISK",),
    "SIM_MISSING": ("INSERT_SIM",),
    "SIM_PIN": ("ENTER_PIN",),
    "SIM_PUK": ("CALL_OPERATOR",),
    "SIM_ERROR": ("INSERT_SIM", "CALL_OPERATOR"),
    "NO_SERVICE": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR", "USE_SATELLITE"),
    "REGISTRATION_DENIED": ("CALL_OPERATOR", "TRY_OTHER_OPERATOR"),
    "SIGNAL_WEAK": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR"),
    "SIGNAL_NOISY": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR"),
    # A 2G-only link is slow however good its signal: moving the antenna does not
    # help (a weak 2G signal adds SIGNAL_WEAK and its own advice); a 4G modem and SIM do.
    "RAT_2G": ("USE_4G",),
    "COLLECTOR_UNREACHABLE": ("CHECK_COLLECTOR_ADDRESS",),
    "COLLECTOR_REJECTED": ("ENROLL",),
    "CA_FILE_BAD": ("FIX_CA_FILE",),
    "NOT_ENROLLED": ("ENROLL",),
    "PING_LOSS": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR"),
    "PING_SLOW": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR"),
    "DNS_FAILED": ("CHECK_DNS",),
    "THROUGHPUT_LOW": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR", "PLAN_PHOTO_UPLOAD"),
    "PHOTOS_SLOW": ("MOVE_ANTENNA", "TRY_OTHER_OPERATOR"),
    "SPOOL_BACKLOG": ("KEEP_AGENT_RUNNING",),
    "CLOCK_OFFSET": ("WAIT_CLOCK_SYNC",),
}

#: Findings about the link's speed (their advice follows the cause).
_SPEED_FINDINGS: Final = frozenset({"THROUGHPUT_LOW", "PHOTOS_SLOW"})

#: Thresholds of the policy above.
PING_LOSS_MAX: Final = 0.2
PING_MEDIAN_MAX_MS: Final = 1000.0
#: The upload the result photos need, unless the kit's ``[check] upload_need_mbps`` says.
UPLOAD_NEED_BPS: Final = 3_000_000.0
PHOTOS_MAX_S: Final = 15 * 60.0
CLOCK_OFFSET_MAX_S: Final = 60.0
#: Pings from which the observed loss ratio is judged as it is (see loss_above_threshold).
PING_MIN_PACKETS: Final = 100
#: z of the two-sided 95 % Wilson score interval used below that count.
PING_LOSS_Z: Final = 1.96


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return REASONS[self.code]


def wilson_lower(lost: int, sent: int, z: float = PING_LOSS_Z) -> float:
    """The lower bound of the Wilson score interval of a loss ratio (0 for no packets)."""
    if sent <= 0:
        return 0.0
    p = lost / sent
    z2 = z * z
    centre = p + z2 / (2 * sent)
    margin = z * math.sqrt(p * (1 - p) / sent + z2 / (4 * sent * sent))
    return max(0.0, (centre - margin) / (1 + z2 / sent))


def loss_above_threshold(sent: int, received: int) -> bool:
    """Whether a ping run shows loss above :data:`PING_LOSS_MAX`.

    With at least :data:`PING_MIN_PACKETS` packets the observed ratio decides (binomial:
    a link losing 40 % shows 20 % or less in 1.7e-5 of 100-packet runs; one losing 10 %
    shows more than 20 % in 8e-4). With fewer, the loss counts only when it is above the
    threshold beyond doubt: the 95 % Wilson lower bound is above it (3 of 5 lost: yes; 2
    of 5: not proven, and not counted).
    """
    if sent <= 0:
        return False
    lost = max(0, sent - received)
    if sent >= PING_MIN_PACKETS:
        return lost / sent > PING_LOSS_MAX
    return wilson_lower(lost, sent) > PING_LOSS_MAX


def verdict_of(findings: list[Finding]) -> str:
    """NOT_READY if any finding is not-ready, else DEGRADED if any is degraded, else READY."""
    severities = {f.severity for f in findings}
    if NOT_READY in severities:
        return "NOT_READY"
    if DEGRADED in severities:
        return "DEGRADED"
    return "READY"


def advice_for(findings: list[Finding]) -> list[str]:
    """The advice codes the findings call for, each once, in :data:`ADVICE` order."""
    present = {f.code for f in findings}
    # On 2G the slowness is the generation's, not the antenna's: the speed findings then
    # call for what RAT_2G calls for (a weak or noisy signal still brings its own advice).
    skip = _SPEED_FINDINGS if "RAT_2G" in present else frozenset()
    wanted = {a for c in present - skip for a in _ADVICE_FOR.get(c, ())}
    return [a for a in ADVICE if a in wanted]


def ordered(findings: list[Finding]) -> list[Finding]:
    """Not-ready first, then degraded, then notes (stable within a severity)."""
    rank = {NOT_READY: 0, DEGRADED: 1, NOTE: 2}
    return sorted(findings, key=lambda f: rank[f.severity])
