"""The SMS lifeline at the collector: a received SMS, from the gateway modem's reader or
an SMS gateway's webhook, judged and recorded.

:func:`judge_sms` is pure (text, the kit's record, the collector's SMS secret, the
highest counter accepted so far -> :class:`~pantau.core.lifeline.Judgement`);
:func:`receive_sms` runs it against the store: an accepted SMS raises the kit's
counter (atomically: two copies arriving at once are accepted once) and every SMS,
refused ones too, goes to the log with its verdict and reason. A refusal is logged at
WARNING (forged, replayed, unknown kit) or INFO (not a lifeline message at all).

An accepted SMS proves the kit alive while its data path is down: the rules hear it
(no AGENT_SILENT) and the live view shows "data down, kit alive"
(:data:`ALIVE_BY_SMS`) until data flows again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from collector.store.base import SmsStore
from collector.store.model import Agent, SmsLogRow
from pantau.core import lifeline
from pantau.core.lifeline import Judgement, Verdict

log = logging.getLogger(__name__)

#: The live-view state of a site heard by SMS only (docs/operations.md).
ALIVE_BY_SMS = "sms"
LABELS = {"en": "data down, kit alive", "id": "data terputus, kit hidup"}
#: The status fields the live view shows (collector.web.models.Lifeline).
LIFELINE_FIELDS = ("registration", "signal_dbm", "operator", "backlog", "down_s", "error")


def alive_by_sms(last_sms_ns: int, last_seen_ns: int | None) -> bool:
    """The site shows "data down, kit alive" while its newest authentic SMS is newer than
    anything its kits sent over data."""
    return last_seen_ns is None or last_sms_ns > last_seen_ns


#: Longest text kept in the log (an SMS is at most 160 characters; a webhook may lie).
MAX_BODY_CHARS = 480


@dataclass(frozen=True, slots=True)
class SmsIn:
    """One received SMS: who sent it (as the network says), its text, when, and how it
    came (``"gateway"``: the collector's modem; ``"webhook"``: an SMS gateway)."""

    sender: str
    text: str
    received_ns: int
    via: str


@dataclass(frozen=True, slots=True)
class Received:
    """What became of one SMS: the judgement, and the site of an accepted one."""

    judgement: Judgement
    site_code: str | None = None

    @property
    def accepted(self) -> bool:
        return self.judgement.verdict is Verdict.ACCEPTED


def judge_sms(
    text: str, agent: Agent | None, secret: bytes | None, highest_counter: int | None
) -> Judgement:
    """Judge ``text`` for the kit it names (``agent``: that kit's record, None when the
    collector has none). A revoked kit's SMS is refused like an unknown kit's."""
    if secret is None:
        return Judgement(Verdict.UNKNOWN_KIT, reason="this collector has no [sms] secret")
    key = None
    if agent is not None and not agent.revoked:
        key = lifeline.kit_key(secret, agent.agent_id)
    judged = lifeline.judge(text, key, highest_counter)
    if judged.verdict is Verdict.UNKNOWN_KIT and judged.status is not None:
        who = judged.status.agent_id
        why = "revoked" if agent is not None else "not enrolled here"
        return dataclasses.replace(judged, reason=f"kit {who!r} is {why}")
    return judged


def status_json(status: lifeline.Status) -> str:
    """The status as the live view keeps it (strict JSON, absent values left out)."""
    doc = {k: v for k, v in dataclasses.asdict(status).items() if v is not None}
    return json.dumps(doc, sort_keys=True, allow_nan=False)


def receive_sms(
    store: SmsStore, get_agent: Callable[[str], Agent | None], sms: SmsIn, secret: bytes | None
) -> Received:
    """Judge ``sms`` and record it (blocking: call in a worker thread)."""
    agent_id: str | None = None
    agent: Agent | None = None
    highest: int | None = None
    if lifeline.looks_like_lifeline(sms.text):
        try:
            agent_id = lifeline.parse(sms.text).status.agent_id
        except lifeline.LifelineError:
            agent_id = None
    if agent_id is not None:
        agent = get_agent(agent_id)
        highest = store.sms_highest_counter(agent_id)
    judged = judge_sms(sms.text, agent, secret, highest)
    site = None
    if judged.verdict is Verdict.ACCEPTED and agent is not None and judged.status is not None:
        status = judged.status
        if store.accept_sms(
            agent.agent_id, agent.site_code, status.counter, sms.received_ns, status_json(status)
        ):
            site = agent.site_code
        else:
            judged = Judgement(Verdict.REPLAYED, status, "a copy with this counter came first")
    store.log_sms(
        SmsLogRow(
            sms.received_ns,
            sms.sender[:40],
            sms.via,
            agent_id,
            str(judged.verdict),
            judged.reason,
            sms.text[:MAX_BODY_CHARS],
        )
    )
    level = (
        logging.INFO if judged.verdict in (Verdict.ACCEPTED, Verdict.NOT_OURS) else logging.WARNING
    )
    log.log(
        level,
        "SMS from %s via %s: %s%s",
        sms.sender,
        sms.via,
        judged.verdict,
        f" ({judged.reason})" if judged.reason else "",
    )
    return Received(judged, site)
