"""Rules: when a site has a REAL problem (pure: no I/O, no clock).

Public surface::

    from collector.rules import RuleEngine, load_rules
    from collector.observe import observations_from_record   # the edge, outside rules

    engine = RuleEngine(load_rules(path_or_None))
    engine.observe(site_code, observations_from_record(record, event_ns))
    engine.observe(site_code, [Heard(received_ns)])
    for transition in engine.evaluate(site_code, now_ns):   # Started/Updated/Cleared
        ...

The rules receive only observations: this package imports neither the store nor
pantau.v1 (:mod:`collector.observe` converts records and stored rows at the edge).

Modules: :mod:`.observations` (the typed facts), :mod:`.window`
(a site's bounded event-time window), :mod:`.radio`, :mod:`.network`, :mod:`.kit`
(the rule families), :mod:`.registry` (the one list of rules), :mod:`.tracker`
(``for``, ``hold``, flap detection), :mod:`.engine` (state per site and key,
historical, rebuild), :mod:`.config` (the TOML rules file).
"""

from __future__ import annotations

from collector.rules.config import RulesConfig, check_rules_file, load_rules
from collector.rules.engine import RuleEngine
from collector.rules.model import (
    FIELD_TEAM,
    SATELLITE,
    UNKNOWN_OPERATOR,
    Cleared,
    Evidence,
    Problem,
    ProblemKey,
    ProblemName,
    Started,
    Transition,
    Updated,
)
from collector.rules.observations import (
    Heard,
    KitEvent,
    Observation,
    Ping,
    Signal,
    Throughput,
)

__all__ = [
    "FIELD_TEAM",
    "SATELLITE",
    "UNKNOWN_OPERATOR",
    "Cleared",
    "Evidence",
    "Heard",
    "KitEvent",
    "Observation",
    "Ping",
    "Problem",
    "ProblemKey",
    "ProblemName",
    "RuleEngine",
    "RulesConfig",
    "Signal",
    "Started",
    "Throughput",
    "Transition",
    "Updated",
    "check_rules_file",
    "load_rules",
]
