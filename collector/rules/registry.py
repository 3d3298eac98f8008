"""The one list of rules: problem name -> pure rule function.

A rule function is ``(window, config, now_ns, from_ns, cursor) -> ({operator or
queue: [Sample]}, cursor)``: it reads the site's
:class:`~collector.rules.window.SiteWindow` and gives, per key, its verdicts in
event-time order, from ``from_ns`` on (earlier readings still feed its windowed
figures; the engine asks only for what may have changed). Given the cursor it
returned last time (the window only appended to since), it reads only the new
readings (:mod:`collector.rules.series`); None, it reads the window whole. ``for``,
``hold`` and flap detection are not the rule's business
(:mod:`collector.rules.tracker` applies them to every rule alike).
"""

from __future__ import annotations

from collections.abc import Callable

from collector.rules import kit, network, radio
from collector.rules.config import RulesConfig
from collector.rules.model import ProblemName, Sample
from collector.rules.series import Cursor
from collector.rules.window import SiteWindow

RuleFunction = Callable[
    [SiteWindow, RulesConfig, int, int, Cursor | None],
    tuple[dict[str, list[Sample]], Cursor | None],
]

RULES: dict[ProblemName, RuleFunction] = {
    ProblemName.NO_SERVICE: radio.no_service,
    ProblemName.WEAK_SIGNAL: radio.weak_signal,
    ProblemName.POOR_QUALITY: radio.poor_quality,
    ProblemName.HIGH_LOSS: network.high_loss,
    ProblemName.HIGH_LATENCY: network.high_latency,
    ProblemName.LOW_THROUGHPUT: network.low_throughput,
    ProblemName.AGENT_SILENT: kit.agent_silent,
    ProblemName.MODEM_FAULT: kit.modem_fault,
    ProblemName.NO_COVERAGE: radio.no_coverage,
}

#: Rules whose verdict changes with the passage of time alone (no new data).
TIME_DRIVEN = frozenset({ProblemName.AGENT_SILENT})
#: Rules that read when the kit was heard (``Heard``: arrivals, not measurements); the
#: others are not judged again when only that changed.
READS_HEARD = frozenset({ProblemName.AGENT_SILENT})

#: A note every problem of the rule carries in its evidence.
NOTES: dict[ProblemName, str] = {ProblemName.NO_COVERAGE: radio.NOTE_SATELLITE}
