"""The shared storage suite, ingest side: the same assertions on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from storebackends import Backend
from storekit import MINUTE, OTHER_SITE, SECOND, SITE, T0, batch, ping, rows, signal

from collector.store.base import Store
from collector.store.model import BatchOutcome, IngestBatch


def test_commit_stores_once_and_acks_the_highest_seq(store: Store) -> None:
    store.add_agent("kit-1", SITE, "hash-1")
    assert store.commit([batch("kit-1", 1, 2, 3)]) == [BatchOutcome(3, 0, 3)]
    # A resend overlapping what is stored: duplicates are counted, not stored again.
    assert store.commit([batch("kit-1", 3, 4)]) == [BatchOutcome(1, 1, 4)]
    # An old batch arriving late never moves the ack position back (GREATEST / MAX).
    assert store.commit([batch("kit-1", 1)]) == [BatchOutcome(0, 1, 4)]
    stored = list(store.records(agent_id="kit-1"))
    assert [r.seq for r in stored] == [1, 2, 3, 4]
    first = stored[0]
    expected = rows(1)[0]
    assert (first.site_code, first.kind, first.event_ns, first.agent_wall_ns) == (
        SITE,
        "signal",
        expected.event_ns,
        expected.agent_wall_ns,
    )
    assert first.payload == expected.payload and isinstance(first.payload, bytes)
    assert first.time_quality == "monotonic" and first.received_ns == T0
    agent = store.get_agent("kit-1")
    assert agent is not None and agent.acked_through == 4


def test_group_commit_keeps_batches_apart(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h1")
    store.add_agent("kit-2", OTHER_SITE, "h2")
    store.commit([batch("kit-2", 1)])
    outcomes = store.commit(
        [
            batch("kit-1", 5, 6),
            batch("kit-2", 1, 2),  # seq 1 is a duplicate
            batch("kit-1", 6, 7),  # same agent twice in a group: the first batch stores 6
            IngestBatch("kit-2", OTHER_SITE, [], T0),  # a Snapshot: live state only
        ]
    )
    assert outcomes == [
        BatchOutcome(2, 0, 6),
        BatchOutcome(1, 1, 2),
        BatchOutcome(1, 1, 7),
        BatchOutcome(0, 0, 2),
    ]
    assert [r.seq for r in store.records(agent_id="kit-1")] == [5, 6, 7]
    assert len(list(store.records(kind="signal"))) == 5
    assert list(store.records(kind="ping")) == []


def test_unknown_agent_batches_are_stored_and_acked_by_their_top(store: Store) -> None:
    # The ingest authenticates first; the store itself does not invent an agent row.
    assert store.commit([batch("ghost", 1, 2)]) == [BatchOutcome(2, 0, 2)]
    assert store.get_agent("ghost") is None


def test_live_state_newer_event_wins(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.commit(
        [batch("kit-1", 1, received_ns=T0 + MINUTE, signal=signal(T0, -90), ping=ping(T0, 30))]
    )
    # Backfill: older events arrive later; they must not overwrite the newer state.
    store.commit(
        [
            batch(
                "kit-1",
                2,
                received_ns=T0 + 2 * MINUTE,
                signal=signal(T0 - MINUTE, -120),
                ping=ping(T0 - MINUTE, 900),
            )
        ]
    )
    (view,) = store.sites()
    assert view.site_code == SITE and view.agent_ids == ("kit-1",) and view.records == 2
    assert view.last_seen_ns == T0 + 2 * MINUTE
    assert view.signal == signal(T0, -90) and view.ping == ping(T0, 30)
    # A newer snapshot (no rows) updates the state and leaves the ack alone.
    snapshot = IngestBatch("kit-1", SITE, [], T0 + MINUTE, signal(T0 + MINUTE, -80), None)
    assert store.commit([snapshot]) == [BatchOutcome(0, 0, 2)]
    (view,) = store.sites()
    assert view.signal == signal(T0 + MINUTE, -80) and view.last_seen_ns == T0 + 2 * MINUTE
    assert view.ping == ping(T0, 30)


def test_sites_lists_enrolled_sites_without_data(store: Store) -> None:
    store.add_agent("kit-b", OTHER_SITE, "h")
    store.add_agent("kit-a", SITE, "h")
    views = store.sites()
    assert [(v.site_code, v.agent_ids, v.last_seen_ns, v.records) for v in views] == [
        (SITE, ("kit-a",), None, 0),
        (OTHER_SITE, ("kit-b",), None, 0),
    ]


def test_site_window_is_in_event_time_from_a_point(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.add_agent("kit-2", OTHER_SITE, "h")
    late = IngestBatch("kit-1", SITE, rows(10, 11, event_ns=T0 - 10 * SECOND), T0)
    store.commit([batch("kit-1", 1, 2, 3), late, batch("kit-2", 1, 2, site=OTHER_SITE)])
    window = store.site_window(SITE, T0 + 1 * SECOND)
    # seq 10/11 were sent later but happened at T0 and T0+1s: event order, not seq order.
    assert [(r.seq, r.event_ns) for r in window] == [
        (1, T0 + SECOND),
        (11, T0 + SECOND),
        (2, T0 + 2 * SECOND),
        (3, T0 + 3 * SECOND),
    ]
    assert {r.site_code for r in window} == {SITE}
    assert store.site_window(SITE, T0 + MINUTE) == []


def test_the_windows_of_many_sites_at_once_are_each_sites_window(store: Store) -> None:
    """A rules rebuild reads many sites' windows together: each is what the site's own
    read gives (event order, its own records only), a site with none is there empty."""
    store.add_agent("kit-1", SITE, "h")
    store.add_agent("kit-2", OTHER_SITE, "h")
    late = IngestBatch("kit-1", SITE, rows(10, 11, event_ns=T0 - 10 * SECOND), T0)
    store.commit([batch("kit-1", 1, 2, 3), late, batch("kit-2", 1, 2, site=OTHER_SITE)])
    quiet = "3171011009999"
    for since in (0, T0 + SECOND, T0 + 2 * SECOND, T0 + MINUTE):
        codes = [OTHER_SITE, SITE, quiet, SITE]  # in any order, repeated
        windows = store.site_windows(codes, since)
        assert set(windows) == {SITE, OTHER_SITE, quiet}
        for code in (SITE, OTHER_SITE, quiet):
            assert windows[code] == store.site_window(code, since), (code, since)
    assert [r.seq for r in store.site_windows([SITE], T0 + SECOND)[SITE]] == [1, 11, 2, 3]
    assert store.site_windows([], 0) == {}
    store.WINDOWS_CHUNK = 1  # type: ignore[attr-defined]  # a statement per site (PostgreSQL)
    assert store.site_windows([SITE, OTHER_SITE], 0) == {
        SITE: store.site_window(SITE, 0),
        OTHER_SITE: store.site_window(OTHER_SITE, 0),
    }


def test_enrollment_codes_are_used_once_and_expire(store: Store) -> None:
    now = T0
    store.add_enrollment_code("code-a", SITE, "kit-a", expires_ns=now + MINUTE)
    store.add_enrollment_code("code-old", SITE, "kit-old", expires_ns=now - 1)
    assert store.redeem_enrollment_code("code-a", "secret-a", "pi-a", now) == ("kit-a", SITE)
    assert store.redeem_enrollment_code("code-a", "secret-b", "pi-b", now) is None
    assert store.redeem_enrollment_code("code-old", "s", "h", now) is None
    assert store.redeem_enrollment_code("nope", "s", "h", now) is None
    agent = store.get_agent("kit-a")
    assert agent is not None and (agent.site_code, agent.secret_hash) == (SITE, "secret-a")
    assert [v.site_code for v in store.sites()] == [SITE]


def test_revoke_and_reenroll(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h1")
    assert store.revoke_agent("kit-1") is True
    assert store.revoke_agent("kit-1") is False
    assert store.revoke_agent("nobody") is False
    agent = store.get_agent("kit-1")
    assert agent is not None and agent.revoked
    store.add_agent("kit-1", SITE, "h2")  # enrolling again restores it with the new secret
    agent = store.get_agent("kit-1")
    assert agent is not None and not agent.revoked and agent.secret_hash == "h2"


def test_anchors_are_per_boot_and_replaced(store: Store) -> None:
    store.save_anchor("kit-1", "boot-a", 100, 1_000)
    store.save_anchor("kit-1", "boot-b", 5, 2_000)
    store.save_anchor("kit-1", "boot-a", 200, 3_000)
    store.save_anchor("kit-2", "boot-a", 1, 1)
    assert store.anchors("kit-1") == {"boot-a": (200, 3_000), "boot-b": (5, 2_000)}
    assert store.anchors("nobody") == {}
    # many agents at once (the handshakes' coalesced read): every one asked is answered
    many = store.anchors_of(["kit-2", "kit-1", "nobody", "kit-1"])
    assert many == {
        "kit-1": {"boot-a": (200, 3_000), "boot-b": (5, 2_000)},
        "kit-2": {"boot-a": (1, 1)},
        "nobody": {},
    }
    assert store.anchors_of([]) == {}


def test_a_second_store_on_the_same_database_sees_the_same_data(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    try:
        first.add_agent("kit-1", SITE, "h")
        assert first.commit([batch("kit-1", 1, 2)]) == [BatchOutcome(2, 0, 2)]
        assert second.commit([batch("kit-1", 2, 3)]) == [BatchOutcome(1, 1, 3)]
        agent = first.get_agent("kit-1")
        assert agent is not None and agent.acked_through == 3
    finally:
        first.close()
        second.close()


def test_big_batch_round_trips(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    big = batch("kit-1", *range(1, 5001))
    big = replace(big, rows=[replace(r, payload=bytes(range(256)) * 4) for r in big.rows])
    assert store.commit([big]) == [BatchOutcome(5000, 0, 5000)]
    assert store.commit([big]) == [BatchOutcome(0, 5000, 5000)]
    assert {r.payload for r in store.records()} == {bytes(range(256)) * 4}


def test_each_sites_record_count_counts_what_was_stored_once(store: Store) -> None:
    """One group with two sites, a duplicate within the group and one already stored:
    each site counts exactly its stored records (the map and /metrics read the count)."""
    other = OTHER_SITE
    store.add_agent("kit-1", SITE, "h")
    store.add_agent("kit-2", SITE, "h")
    store.add_agent("kit-3", other, "h")
    store.commit([batch("kit-1", 1)])
    outcomes = store.commit(
        [
            batch("kit-1", 1, 2, 3),
            batch("kit-2", 1),
            batch("kit-1", 3, 4),
            batch("kit-3", 1, 2, site=other),
        ]
    )
    assert [o.stored for o in outcomes] == [2, 1, 1, 2]
    counts = {s.site_code: s.records for s in store.sites()}
    stored: dict[str, int] = {}
    for r in store.records():
        stored[r.site_code] = stored.get(r.site_code, 0) + 1
    assert counts == stored == {SITE: 5, other: 2}
    assert [s.records for s in store.sites([other])] == [2]


def test_last_heard_of_active_sites_is_one_read_for_every_enrolled_site(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h1")
    store.add_agent("kit-2", OTHER_SITE, "h2")
    store.add_agent("kit-3", "5171011003001", "h3")  # enrolled, never heard: nothing to judge
    store.commit([batch("kit-1", 1)])
    store.commit([batch("kit-1", 2, received_ns=T0 + MINUTE)])
    store.commit([batch("kit-2", 1, site=OTHER_SITE)])
    assert store.last_heard_of_active_sites() == {SITE: T0 + MINUTE, OTHER_SITE: T0}
    assert store.revoke_agent("kit-2")
    assert store.last_heard_of_active_sites() == {SITE: T0 + MINUTE}
