"""Kit rules (key "field-team"): AGENT_SILENT and MODEM_FAULT.

AGENT_SILENT is judged on *arrival* times (:class:`~collector.rules.observations.Heard`)
and on the passage of time: ``evaluate(site, now_ns)`` with no new data turns a
silence into samples, like Zabbix ``nodata()``. For each gap after a heard time
``h`` (up to the next heard time, or up to ``now_ns`` for the last one) longer than
one ``expected_interval``, the rule gives a bad sample at ``h + expected_interval``
(the first missed report), one when the silence became a problem (so a silence
nobody judged in time is late news like any other) and one at the end of the gap;
every heard time is a healthy sample. With the rule's ``for`` of
``(intervals - 1) x expected_interval + for_s``, a problem starts once nothing was
heard for ``intervals`` intervals, and clears once the agent has been heard for
``hold_s``.

A heard time that is an authentic SMS lifeline message (``Heard.by_sms``: the kit is
alive, its data path down) starts its gap's count only after ``sms_alive_s``, so a kit
that keeps texting is "data down, kit alive", never AGENT_SILENT; once it stops, the
silence is judged as any other.

Silence the collector caused is not the agent's: when the collector could not listen
during a gap (``window.outages``: its restart, its own stall), the gap counts from
when it was back, so a problem needs the full ``intervals`` of silence after that.
The figures still name the true last heard time.

MODEM_FAULT follows the kit's own reports in event time: MODEM_LOST marks the modem
lost until MODEM_BACK, a reading, or a restart of the agent; a SIM absent, locked
(PIN/PUK) or failing (from a reading's sim_state or a SIM_PROBLEM event) marks the
SIM bad until a reading says ready. Every observation in between is a sample of
that state (pings keep coming while the modem is lost); its cursor carries that
state on, so only new observations are read.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from collector.rules.config import RulesConfig
from collector.rules.model import FIELD_TEAM, Figure, Sample
from collector.rules.observations import KitEvent, Ping, Signal
from collector.rules.series import SIM_FAULT, Cursor
from collector.rules.window import SiteWindow

_S = 1_000_000_000


def agent_silent(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[dict[str, list[Sample]], None]:
    """Judged on arrival times and the passage of time: read again from the heard time
    before ``from_ns`` at every evaluation (no cursor)."""
    cfg = config.agent_silent
    expected_ns = int(cfg.expected_interval_s * _S)
    confirm_ns = cfg.timing().for_ns  # after the first missed report
    heard = window.heard
    outages = window.outages
    samples: list[Sample] = []
    # a gap's samples lie between its heard time and the next: earlier gaps end before
    first = max(bisect_left(heard, from_ns) - 1, 0)
    sms_alive_ns = int(cfg.sms_alive_s * _S)
    for i in range(first, len(heard)):
        h = heard[i]
        samples.append(Sample(h, False, {"t_ns": h, "heard_ns": h}))
        nxt = heard[i + 1] if i + 1 < len(heard) else None
        end = now_ns if nxt is None else nxt - 1
        # after a lifeline SMS the kit is alive, its data down: silent only after sms_alive_s
        by_sms = h in window.sms_heard
        quiet_ns = max(expected_ns, sms_alive_ns) if by_sms else expected_ns
        missed = (window.listening_since(h, end) if outages else h) + quiet_ns
        if by_sms and end > h:  # alive all along that time (a silence before it clears)
            alive = min(end, missed - 1)
            samples.append(Sample(alive, False, {"t_ns": alive, "heard_ns": h, "by_sms": True}))
        if end <= missed:
            continue
        times = (missed, missed + confirm_ns, end) if missed + confirm_ns < end else (missed, end)
        for t in times:
            figures: dict[str, Figure] = {
                "t_ns": t,
                "last_heard_ns": h,
                "silent_s": (t - h) / _S,
                "expected_interval_s": cfg.expected_interval_s,
                "intervals": cfg.intervals,
            }
            samples.append(Sample(t, True, figures))
    samples = [s for s in samples if s.t_ns >= from_ns]
    return ({FIELD_TEAM: samples} if samples else {}), None


_Kit = Signal | Ping | KitEvent


def _t(obs: _Kit) -> int:
    return obs.event_ns


@dataclass(slots=True)
class ModemCursor(Cursor):
    #: The kit's modems (by ``Record.modem`` name; "" for a one-modem kit) lost, and
    #: those whose SIM is failing: one modem of several failing is a fault, the
    #: others' readings do not clear it.
    lost: frozenset[str] = frozenset()
    sim_bad: frozenset[str] = frozenset()
    detail: str = ""
    sim_state: str | None = None

    def survives_trim(self, window: SiteWindow, from_ns: int) -> bool:
        """A reading telling the SIM's state (ready or failing) left between the
        trimmed data and ``from_ns``: the state from then on owes nothing to before."""
        signals, trimmed = window.signals, window.trimmed_to_ns or 0
        i = bisect_left(signals, from_ns, key=_t)
        for j in range(i - 1, max(i - _SETTLE_SCAN, 0) - 1, -1):
            if signals[j].event_ns <= trimmed:
                return False
            if signals[j].sim_state == "ready" or signals[j].sim_state in SIM_FAULT:
                return True
        return False


#: How many readings before a judged time are searched for one that settles the
#: state after a trim; none: the window is read again.
_SETTLE_SCAN = 32


def _after(items: list[Signal] | list[Ping] | list[KitEvent], last_ns: int | None) -> list[_Kit]:
    return list(items[0 if last_ns is None else bisect_right(items, last_ns, key=_t) :])


def modem_fault(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[dict[str, list[Sample]], Cursor]:
    c = cursor if isinstance(cursor, ModemCursor) else ModemCursor()
    samples: list[Sample] = []
    sources = [_after(kind, c.last_ns) for kind in (window.signals, window.pings, window.events)]
    newest = [kind[-1].event_ns for kind in sources if kind]
    if newest:
        c.last_ns = max(newest)
    obs: _Kit
    for obs in heapq.merge(*sources, key=_t):
        if isinstance(obs, KitEvent):
            if obs.kind == "modem-lost":
                c.lost, c.detail = c.lost | {obs.modem}, obs.message or "modem lost"
            elif obs.kind == "modem-back":
                c.lost = c.lost - {obs.modem}
            elif obs.kind in ("reboot", "agent-started"):
                c.lost = frozenset()
            elif obs.kind == "sim-problem":
                c.sim_bad, c.detail = c.sim_bad | {obs.modem}, obs.message or "SIM problem"
        elif isinstance(obs, Signal):
            c.lost = c.lost - {obs.modem}
            c.sim_state = obs.sim_state
            if obs.sim_state in SIM_FAULT:
                c.sim_bad, c.detail = c.sim_bad | {obs.modem}, f"SIM {obs.sim_state}"
            elif obs.sim_state == "ready":
                c.sim_bad = c.sim_bad - {obs.modem}
        if obs.event_ns < from_ns:
            continue
        figures: dict[str, Figure] = {
            "t_ns": obs.event_ns,
            "modem": "lost" if c.lost else "ok",
            "sim": "bad" if c.sim_bad else "ok",
            "sim_state": c.sim_state,
            "detail": c.detail if (c.lost or c.sim_bad) else "",
        }
        samples.append(Sample(obs.event_ns, bool(c.lost or c.sim_bad), figures))
    return ({FIELD_TEAM: samples} if samples else {}), c
