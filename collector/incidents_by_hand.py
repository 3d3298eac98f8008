"""Incidents by hand (:func:`acknowledge`, :func:`escalate`: the decision, the store writes it with
an ``incident_events`` row and the page in one transaction), in the words tickets use:

- acknowledge ("we have it"): an open top-level incident records who, when and why
  (``acked_by``, ``acked_ns``, ``ack_note``) and pages ``acknowledge`` if it has been
  triggered; not yet triggered (group wait, silence) it pages nothing now, and its
  trigger is followed by an ``acknowledge`` when it comes. A second acknowledgement, by
  anyone, changes nothing and pages nothing. A resolved incident, or one inside an area
  incident (its parent pages for it), is refused with the reason.
- The acknowledgement stays for the incident's life: updates, sites joining or
  recovering, its hold and a ticket rejoining it in the hold keep it (the same fault,
  the same people on it). An incident does not reopen: after it resolves, the next
  fault of its key is a new incident, unacknowledged; an area incident that adopts an
  acknowledged one starts unacknowledged (the child keeps its acknowledgement).
- escalate ("this is worse"): raises ``escalation`` by one (or to the level asked, at
  most :data:`MAX_ESCALATION`) and pages ``escalate`` once for that level; asking for
  a level already reached changes nothing. An incident not yet triggered (group wait,
  silence) is triggered first: a person escalating wants the NOC paged now. Resolved,
  inside an area, or at the highest level already: refused with the reason.

No I/O, no clock: the pure part, as :mod:`collector.incidents` is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from collector.incidents import Incident, Page, Paged

#: The highest level an incident can be escalated to.
MAX_ESCALATION = 3
ACKNOWLEDGED = "acknowledged"
ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class ByHand:
    """A person's request decided: the incident to write (None: nothing changes), its
    history row's action, the pages in order; or why it is refused."""

    incident: Incident | None = None
    action: str | None = None  # ACKNOWLEDGED | ESCALATED, the incident_events action
    pages: tuple[Page, ...] = ()
    refused: str | None = None


UNCHANGED = ByHand()


def _refusal(inc: Incident, verb: str) -> str | None:
    if inc.state == "resolved":
        return f"incident {inc.id} is resolved: it cannot be {verb}"
    if inc.parent_key is not None:
        return (
            f"incident {inc.id} is part of the area incident {inc.parent_key}, which pages "
            f"for it: that one can be {verb}"
        )
    return None


def acknowledge(inc: Incident, actor: str, note: str, now_ns: int) -> ByHand:
    """Someone is on it: see the module docstring."""
    refused = _refusal(inc, "acknowledged")
    if refused is not None:
        return ByHand(refused=refused)
    if inc.acked_by is not None:
        return UNCHANGED
    acked = replace(inc, acked_by=actor, acked_ns=now_ns, ack_note=note, updated_ns=now_ns)
    paged = inc.paged is Paged.TRIGGERED
    pages = (Page(inc.key, "acknowledge", now_ns),) if paged else ()
    return ByHand(acked, ACKNOWLEDGED, pages)


def escalate(inc: Incident, actor: str, note: str, now_ns: int, level: int | None = None) -> ByHand:
    """It is worse: the next level (or ``level``); see the module docstring. ``actor``
    and ``note`` go in the history row the store writes."""
    del actor, note  # the store's history row carries them
    refused = _refusal(inc, "escalated")
    if refused is not None:
        return ByHand(refused=refused)
    if level is not None and not 1 <= level <= MAX_ESCALATION:
        return ByHand(refused=f"escalation levels are 1 to {MAX_ESCALATION}, not {level}")
    if level is None:
        if inc.escalation >= MAX_ESCALATION:
            return ByHand(
                refused=f"incident {inc.id} is at the highest level ({MAX_ESCALATION}) already"
            )
        level = inc.escalation + 1
    if level <= inc.escalation:
        return UNCHANGED
    raised = replace(inc, escalation=level, escalated_ns=now_ns, updated_ns=now_ns)
    pages: tuple[Page, ...] = (Page(inc.key, "escalate", now_ns),)
    if inc.paged is Paged.NO:  # in its group wait or silenced: page it now
        raised = replace(raised, paged=Paged.TRIGGERED, paged_ns=now_ns,
                         paged_affected=inc.affected)  # fmt: skip
        first: list[Page] = [Page(inc.key, "trigger", now_ns)]
        if inc.acked_by is not None:
            first.append(Page(inc.key, "acknowledge", now_ns))
        pages = (*first, *pages)
    return ByHand(raised, ESCALATED, pages)
