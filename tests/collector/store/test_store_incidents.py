"""The shared storage suite, incidents: the same assertions on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from storekit import MINUTE, SECOND, T0, batch

from collector.incidents import Settings
from collector.store.base import Store
from collector.store.model import Notification, SignalState

OP = "510-01"
CELL_ID = 12825858
SETTINGS = Settings(group_wait_ns=30 * SECOND, hold_ns=5 * MINUTE)


def tps(n: int, kab: str = "3171") -> str:
    return f"{kab}{n:09d}"


def raise_cell(store: Store, site: str, now: int, *, cell: int | None = CELL_ID) -> int:
    figures = {"cell_id": cell, "operator": OP, "rsrp_dbm": -125}
    return store.raise_problem(
        site, OP, "WEAK_SIGNAL", route="indosat", first_bad_ns=now, last_bad_ns=now,
        evidence={"first_bad": figures, "last_bad": figures, "flapping": False},
        historical=False, now_ns=now, reopen_window_ns=0,
    ).ticket.id  # fmt: skip


def drain(store: Store, now: int) -> list[Notification]:
    """Claim and deliver every due notification, in delivery order."""
    out: list[Notification] = []
    while claimed := store.claim_notifications("w", now_ns=now, lease_ns=SECOND, limit=100):
        for n in claimed:
            assert store.mark_delivered(n.id, "w", now)
        out += claimed
    return out


def test_a_cell_outage_pages_once_per_incident_and_resolves(store: Store) -> None:
    store.incident_settings = SETTINGS
    tickets = [raise_cell(store, tps(i), T0 + i * SECOND) for i in range(14)]
    assert drain(store, T0 + 20 * SECOND) == []  # tickets page nobody; the group waits
    assert store.incidents_tick(T0 + 20 * SECOND) == 0
    assert store.incidents_tick(T0 + 31 * SECOND) == 1
    (trigger,) = drain(store, T0 + 31 * SECOND)
    (listed,) = store.list_incidents()
    incident = listed.incident
    assert trigger.ticket_id is None and trigger.incident_id == incident.id
    assert trigger.dedup_key == f"pantau-incident-{incident.id}"
    assert (trigger.action, trigger.route) == ("trigger", "indosat")
    payload = json.loads(trigger.payload)
    assert set(payload) == {"incident", "summary"}
    body = payload["incident"]
    assert set(body) == {
        "id", "key", "kind", "operator", "family", "problem", "scope", "title", "title_id",
        "state", "opened_ns", "updated_ns", "resolved_ns", "affected", "sites", "others_fine",
        "silenced_by", "route", "acked_by", "acked_ns", "ack_note", "escalation",
    }  # fmt: skip
    assert body["kind"] == "cell" and body["affected"] == 14 and body["state"] == "open"
    assert body["scope"] == {"cell": f"{OP}:{CELL_ID}", "kabupaten": "3171", "province": "31"}
    assert (
        body["title"]
        == f"Indosat Ooredoo Hutchison cell {OP}:{CELL_ID} no or poor coverage: 14 TPS"
    )
    assert body["sites"] == [tps(i) for i in range(14)]
    found = store.get_incident(incident.id or 0)
    assert found is not None and found[1] == tickets
    assert store.incident_of_ticket(tickets[0]) == incident.id

    for i in range(14):
        at = T0 + 10 * MINUTE
        store.clear_problem(tps(i), OP, "WEAK_SIGNAL", resolved_ns=at, now_ns=at)
    store.incidents_tick(T0 + 14 * MINUTE)  # held: a site back now would rejoin
    assert drain(store, T0 + 14 * MINUTE) == []
    store.incidents_tick(T0 + 15 * MINUTE)
    (resolve,) = drain(store, T0 + 15 * MINUTE)
    assert (resolve.action, resolve.incident_id) == ("resolve", incident.id)
    resolved = json.loads(resolve.payload)["incident"]
    assert resolved["state"] == "resolved"
    assert resolved["title"].endswith(": 14 TPS, recovered")  # how many it took, not 0
    assert resolved["title_id"].endswith(": 14 TPS, sudah pulih")
    assert [i.incident.state for i in store.list_incidents()] == ["resolved"]
    assert store.incidents_tick(T0 + 20 * MINUTE) == 0


def test_without_incident_settings_tickets_page_as_before(store: Store) -> None:
    raise_cell(store, tps(1), T0)
    (n,) = drain(store, T0)
    assert n.ticket_id is not None and n.incident_id is None and n.action == "trigger"
    assert store.list_incidents() == []


def test_a_silence_holds_paging_until_it_is_expired(store: Store) -> None:
    store.incident_settings = SETTINGS
    silence = store.add_silence(
        operator=OP, start_ns=T0, end_ns=T0 + 60 * MINUTE, created_by="indosat-noc",
        reason="tower maintenance", now_ns=T0, cell=f"{OP}:{CELL_ID}",
    )  # fmt: skip
    raise_cell(store, tps(1), T0 + SECOND)
    store.incidents_tick(T0 + 5 * MINUTE)
    assert drain(store, T0 + 5 * MINUTE) == []
    (listed,) = store.list_incidents()
    assert listed.incident.silenced_by == silence.silence.id
    assert [s.silence.id for s in store.list_silences(active_after_ns=T0)] == [silence.silence.id]
    assert store.expire_silence(silence.silence.id, T0 + 6 * MINUTE)
    assert not store.expire_silence(silence.silence.id, T0 + 6 * MINUTE)  # ended already
    assert store.list_silences(active_after_ns=T0 + 6 * MINUTE) == []
    store.incidents_tick(T0 + 6 * MINUTE)
    (trigger,) = drain(store, T0 + 6 * MINUTE)
    assert trigger.action == "trigger"
    assert json.loads(trigger.payload)["incident"]["silenced_by"] is None


def test_bad_silences_are_refused_naming_the_field(store: Store) -> None:
    for changes, message in (
        ({"end_ns": T0}, "end: expected a time after the start"),
        ({"kabupaten": "31"}, "kabupaten: expected 4 digits"),
        ({"province": "3x"}, "province: expected 2 digits"),
        ({"family": "radio"}, "family: expected one of coverage, network, kit"),
        ({"reason": " "}, "reason: say why"),
    ):
        args: dict[str, object] = {
            "operator": OP, "start_ns": T0, "end_ns": T0 + MINUTE, "created_by": "a",
            "reason": "work", "now_ns": T0,
        }  # fmt: skip
        args.update(changes)
        with pytest.raises(ValueError, match=message):
            store.add_silence(**args)  # type: ignore[arg-type]


def test_others_fine_names_the_networks_working_at_the_affected_tps(store: Store) -> None:
    store.incident_settings = SETTINGS
    site = tps(1)
    store.add_agent("kit-tsel", site, "h")
    on_tsel = SignalState(T0, "LTE", "registered", "510", "10", "Telkomsel", 7, -80.0, -8.0,
                          12.0, None)  # fmt: skip
    store.commit([batch("kit-tsel", 1, site=site, signal=on_tsel, received_ns=T0)])
    raise_cell(store, site, T0 + SECOND)
    raise_cell(store, tps(2), T0 + SECOND)
    (listed,) = store.list_incidents()
    assert listed.incident.others_fine == {"count": 1, "operators": ["510-10"]}


def test_an_area_incident_adopts_the_cells_and_pages_alone(store: Store) -> None:
    store.incident_settings = SETTINGS
    for i in range(6):
        raise_cell(store, tps(i), T0 + i * SECOND, cell=100 + i % 3)
    store.incidents_tick(T0 + MINUTE)
    pages = drain(store, T0 + MINUTE)
    assert [(json.loads(p.payload)["incident"]["kind"], p.action) for p in pages] == [
        ("area", "trigger")
    ]
    top = store.list_incidents(top_only=True, states=["open"])
    assert len(top) == 1 and top[0].incident.affected == 6
    found = store.get_incident(top[0].incident.id or 0)
    assert found is not None and len(found[1]) == 6  # its cells' tickets
    children = [i for i in store.list_incidents() if i.parent_id == top[0].incident.id]
    assert len(children) == 3


def test_pruning_removes_old_incidents_once_delivered(store: Store) -> None:
    store.incident_settings = SETTINGS
    raise_cell(store, tps(1), T0)
    store.incidents_tick(T0 + MINUTE)
    store.clear_problem(tps(1), OP, "WEAK_SIGNAL", resolved_ns=T0 + 2 * MINUTE, now_ns=T0)
    store.incidents_tick(T0 + 10 * MINUTE)
    counts = store.prune(0, T0 + 60 * MINUTE)  # the ticket goes; the incident's resolve waits
    assert (counts.tickets, counts.outbox) == (1, 0)
    assert len(store.list_incidents()) == 1
    assert [n.action for n in drain(store, T0 + 10 * MINUTE)] == ["trigger", "resolve"]
    assert store.prune(0, T0 + 60 * MINUTE).outbox == 2
    assert store.list_incidents() == []


def test_a_site_handed_to_another_cell_moves_to_that_cells_incident(store: Store) -> None:
    store.incident_settings = SETTINGS
    ticket = raise_cell(store, tps(1), T0, cell=1)
    raise_cell(store, tps(1), T0 + MINUTE, cell=1)  # newer evidence, same cell: no move
    assert len(store.list_incidents()) == 1
    raise_cell(store, tps(1), T0 + 2 * MINUTE, cell=2)
    by_cell = {i.incident.scope.cell: i.incident for i in store.list_incidents()}
    assert by_cell[f"{OP}:1"].affected == 0 and by_cell[f"{OP}:2"].affected == 1
    assert store.incident_of_ticket(ticket) == by_cell[f"{OP}:2"].id


def test_an_incidents_notifications_go_out_in_order_one_at_a_time(store: Store) -> None:
    store.incident_settings = Settings(
        group_wait_ns=30 * SECOND, hold_ns=5 * MINUTE, update_min_interval_ns=MINUTE
    )
    for i in range(4):
        raise_cell(store, tps(i), T0)
    store.incidents_tick(T0 + MINUTE)  # trigger (4 TPS), not delivered yet
    for i in range(4, 10):
        raise_cell(store, tps(i), T0 + MINUTE)
    assert store.incidents_tick(T0 + 3 * MINUTE) == 1  # update (10 TPS)
    (first,) = store.claim_notifications("w", now_ns=T0 + 3 * MINUTE, lease_ns=MINUTE, limit=10)
    assert first.action == "trigger" and json.loads(first.payload)["incident"]["affected"] == 4
    assert store.claim_notifications("w2", now_ns=T0 + 3 * MINUTE, lease_ns=MINUTE, limit=10) == []
    assert store.mark_delivered(first.id, "w", T0 + 3 * MINUTE)
    (second,) = store.claim_notifications("w", now_ns=T0 + 3 * MINUTE, lease_ns=MINUTE, limit=10)
    assert second.action == "update" and json.loads(second.payload)["incident"]["affected"] == 10


def test_tickets_from_before_incidents_join_one_at_the_next_tick(store: Store) -> None:
    for i in range(3):
        raise_cell(store, tps(i), T0)  # incidents off: tickets page as before
    drain(store, T0)
    store.incident_settings = SETTINGS
    assert store.incidents_tick(T0 + MINUTE) == 0  # it opens now; its group wait starts
    (listed,) = store.list_incidents()
    assert listed.incident.affected == 3
    assert store.incidents_tick(T0 + 2 * MINUTE) == 1
    assert [n.action for n in drain(store, T0 + 2 * MINUTE)] == ["trigger"]


def test_a_cell_serving_two_provinces_is_one_incident_in_each(store: Store) -> None:
    """Incidents are judged per province: a border cell's tickets on both sides are each
    stored, in one incident per province (one key for both made the second ticket's
    transaction lose its race for ever)."""
    store.incident_settings = SETTINGS
    jakarta = raise_cell(store, tps(1, "3171"), T0)
    west_java = raise_cell(store, tps(1, "3273"), T0 + SECOND)
    assert store.incident_of_ticket(jakarta) != store.incident_of_ticket(west_java)
    store.incidents_tick(T0 + 31 * SECOND)
    incidents = sorted(store.list_incidents(), key=lambda i: i.incident.scope.province or "")
    assert [(i.incident.kind, i.incident.scope.province) for i in incidents] == [
        ("cell", "31"),
        ("cell", "32"),
    ]
    assert {i.incident.scope.cell for i in incidents} == {f"{OP}:{CELL_ID}"}
    assert [n.action for n in drain(store, T0 + 31 * SECOND)] == ["trigger", "trigger"]


def raise_problem_at(store: Store, site: str, problem: str, now: int, evidence: dict) -> int:  # type: ignore[type-arg]
    return store.raise_problem(
        site, OP, problem, route="indosat", first_bad_ns=now, last_bad_ns=now,
        evidence=evidence, historical=False, now_ns=now, reopen_window_ns=0,
    ).ticket.id  # fmt: skip


def test_a_sites_loss_while_it_has_no_service_is_the_outages_not_a_second_page(
    store: Store,
) -> None:
    """A tower down: its TPS have NO_SERVICE and, as their pings fail, HIGH_LOSS. One
    fault, one page: the cell's. Loss that outlasts the outage by more than the hold is
    a fault of its own again."""
    store.incident_settings = SETTINGS
    sites = [tps(i) for i in range(3)]
    for i, site in enumerate(sites):
        raise_problem_at(store, site, "NO_SERVICE", T0 + i, {"last_cell_id": CELL_ID})
        raise_problem_at(store, site, "HIGH_LOSS", T0 + 10 + i, {"last_bad": {"loss_ratio": 1}})
    store.incidents_tick(T0 + 31 * SECOND)
    pages = drain(store, T0 + 31 * SECOND)
    (top,) = [i.incident for i in store.list_incidents() if i.incident.parent_key is None]
    assert (top.kind, top.family.value, top.affected) == ("cell", "coverage", 3)
    assert [(n.action, n.incident_id) for n in pages] == [("trigger", top.id)]

    back = T0 + 2 * MINUTE  # service returns; the loss lingers in the windows
    for site in sites:
        store.clear_problem(site, OP, "NO_SERVICE", resolved_ns=back, now_ns=back)
    store.incidents_tick(back + MINUTE)
    assert [n.action for n in drain(store, back + MINUTE)] == []  # within the grace
    later = back + SETTINGS.outage_grace_ns + MINUTE  # loss outlasting the outage: a fault
    store.incidents_tick(later)
    store.incidents_tick(later + 31 * SECOND)
    paged = drain(store, later + 31 * SECOND)
    network = [i.incident for i in store.list_incidents() if i.incident.family.value == "network"]
    assert sorted(i.sites[0] for i in network) == sites  # no cell named: one per site
    triggered = {n.incident_id for n in paged if n.action == "trigger"}
    assert triggered == {i.id for i in network}


def _triggered(store: Store) -> int:
    store.incident_settings = SETTINGS
    for i in range(3):
        raise_cell(store, tps(i), T0 + i * SECOND)
    store.incidents_tick(T0 + 31 * SECOND)
    assert [n.action for n in drain(store, T0 + 31 * SECOND)] == ["trigger"]
    (listed,) = store.list_incidents()
    assert listed.incident.id is not None
    return listed.incident.id


def test_acknowledging_an_incident_pages_once_and_keeps_who_in_its_history(store: Store) -> None:
    incident_id = _triggered(store)
    done = store.acknowledge_incident(incident_id, actor="siti", note="on it", now_ns=T0 + MINUTE)
    assert done.changed and done.refused is None and done.pages == 1 and done.stored
    inc = done.stored.incident
    assert (inc.acked_by, inc.acked_ns, inc.ack_note) == ("siti", T0 + MINUTE, "on it")
    (ack,) = drain(store, T0 + MINUTE)
    assert (ack.action, ack.incident_id, ack.dedup_key) == (
        "acknowledge", incident_id, f"pantau-incident-{incident_id}",
    )  # fmt: skip
    assert json.loads(ack.payload)["incident"]["acked_by"] == "siti"
    again = store.acknowledge_incident(incident_id, actor="budi", note="", now_ns=T0 + 2 * MINUTE)
    assert not again.changed and again.refused is None and again.pages == 0
    assert again.stored is not None and again.stored.incident.acked_by == "siti"
    assert drain(store, T0 + 2 * MINUTE) == []
    (event,) = store.incident_events(incident_id)
    assert (event.action, event.actor, event.note, event.at_ns) == (
        "acknowledged", "siti", "on it", T0 + MINUTE,
    )  # fmt: skip
    raise_cell(store, tps(9), T0 + 3 * MINUTE)  # a new member: still acknowledged
    found = store.get_incident(incident_id)
    assert found is not None and found[0].incident.affected == 4
    assert found[0].incident.acked_by == "siti"
    missing = store.acknowledge_incident(999_999, actor="x", note="", now_ns=T0)
    assert missing.stored is None and not missing.changed


def test_escalating_an_incident_pages_once_per_level(store: Store) -> None:
    incident_id = _triggered(store)
    for at, level in ((1, 1), (2, 1), (3, None)):
        store.escalate_incident(
            incident_id, actor="siti", note=f"n{at}", now_ns=T0 + at * MINUTE, level=level
        )
    assert [n.action for n in drain(store, T0 + 3 * MINUTE)] == ["escalate", "escalate"]
    found = store.get_incident(incident_id)
    assert found is not None and found[0].incident.escalation == 2
    assert [(e.action, e.level, e.note) for e in store.incident_events(incident_id)] == [
        ("escalated", 1, "n1"), ("escalated", 2, "n3"),
    ]  # fmt: skip


def test_a_resolved_incident_cannot_be_acknowledged_or_escalated(store: Store) -> None:
    incident_id = _triggered(store)
    for i in range(3):
        store.clear_problem(tps(i), OP, "WEAK_SIGNAL", resolved_ns=T0 + MINUTE, now_ns=T0 + MINUTE)
    store.incidents_tick(T0 + 10 * MINUTE)
    drain(store, T0 + 10 * MINUTE)
    ack = store.acknowledge_incident(incident_id, actor="siti", note="", now_ns=T0 + 11 * MINUTE)
    assert ack.refused == f"incident {incident_id} is resolved: it cannot be acknowledged"
    up = store.escalate_incident(incident_id, actor="siti", note="", now_ns=T0 + 11 * MINUTE)
    assert up.refused == f"incident {incident_id} is resolved: it cannot be escalated"
    assert not ack.changed and not up.changed and drain(store, T0 + 11 * MINUTE) == []
    assert store.incident_events(incident_id) == []


def test_pruning_an_acknowledged_incident_removes_its_history(store: Store) -> None:
    incident_id = _triggered(store)
    store.acknowledge_incident(incident_id, actor="siti", note="", now_ns=T0 + MINUTE)
    for i in range(3):
        store.clear_problem(tps(i), OP, "WEAK_SIGNAL", resolved_ns=T0 + MINUTE, now_ns=T0 + MINUTE)
    store.incidents_tick(T0 + 10 * MINUTE)
    drain(store, T0 + 10 * MINUTE)
    store.prune(0, T0 + 100 * MINUTE)
    assert store.get_incident(incident_id) is None
    assert store.incident_events(incident_id) == []
