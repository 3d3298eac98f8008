"""Schema migrations and open_store, on both backends."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from storebackends import Backend, RawConnection
from storekit import OTHER_SITE as OTHER
from storekit import SITE, batch

from collector.incidents import Settings
from collector.store.base import Store, StoreError, open_store
from collector.store.model import BatchOutcome, SignalState
from collector.store.postgres_schema import MIGRATIONS as POSTGRES_MIGRATIONS
from collector.store.postgres_schema import SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION
from collector.store.sqlite import SCHEMA_VERSION, SqliteStore
from collector.store.sqlite_schema import MIGRATIONS


def schema_version(backend: Backend) -> int:
    raw = backend.raw()
    try:
        if backend.name == "sqlite":
            return int(raw.execute("PRAGMA user_version")[0][0])
        return int(raw.execute("SELECT MAX(version) FROM schema_version")[0][0])
    finally:
        raw.close()


def test_opening_again_migrates_nothing_and_keeps_data(backend: Backend, store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.commit([batch("kit-1", 1)])
    again = backend.open()
    try:
        assert [r.seq for r in again.records()] == [1]
    finally:
        again.close()
    expected = SCHEMA_VERSION if backend.name == "sqlite" else POSTGRES_SCHEMA_VERSION
    assert schema_version(backend) == expected
    assert SCHEMA_VERSION == POSTGRES_SCHEMA_VERSION  # one number, whichever backend


def test_replicas_starting_together_migrate_once(backend: Backend) -> None:
    opened: list[Store] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait(timeout=20)
            opened.append(backend.open())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert not any(t.is_alive() for t in threads) and errors == []
        expected = SCHEMA_VERSION if backend.name == "sqlite" else POSTGRES_SCHEMA_VERSION
        assert schema_version(backend) == expected
        if backend.name == "postgres":
            raw = backend.raw()
            try:
                assert raw.execute("SELECT version FROM schema_version ORDER BY version") == [
                    (v,) for v in range(1, POSTGRES_SCHEMA_VERSION + 1)
                ]
            finally:
                raw.close()
    finally:
        for s in opened:
            s.close()


def test_a_newer_schema_is_refused(backend: Backend, store: Store) -> None:
    store.close()
    raw = backend.raw()
    try:
        if backend.name == "sqlite":
            raw.execute("PRAGMA user_version = 99")
        else:
            raw.execute("INSERT INTO schema_version VALUES (99, 0)")
        raw.commit()
    finally:
        raw.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this collector's"):
        backend.open()


def test_a_v2_sqlite_file_from_the_previous_release_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "collector.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version = 2;")
    db.execute("INSERT INTO sites VALUES (?, 1)", (SITE,))
    db.execute(
        "INSERT INTO agents (agent_id, site_code, secret_hash, created_ns, acked_through) "
        "VALUES ('kit-1', ?, 'h', 1, 7)",
        (SITE,),
    )
    db.execute(
        "INSERT INTO records VALUES ('kit-1', 7, ?, 'signal', 5, 5, 'monotonic', 6, x'00')",
        (SITE,),
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    try:
        agent = store.get_agent("kit-1")
        assert agent is not None and agent.acked_through == 7
        assert store.commit([batch("kit-1", 7, 8)]) == [BatchOutcome(1, 1, 8)]
        assert store.list_tickets() == []
        (site,) = store.sites()
        assert site.records == 2  # v4 counted the record from before and the new one
        assert [r.seq for r in store.site_window(SITE, 0)] == [7, 8]
    finally:
        store.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    check.close()


@pytest.mark.postgres
def test_a_v5_postgresql_store_gets_its_record_counts(postgres_backend: Backend) -> None:
    """v6 counts each site's records into site_state (before, sites() counted them)."""
    raw = postgres_backend.raw()
    try:
        raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ns BIGINT)")
        for number, migration in enumerate(POSTGRES_MIGRATIONS[:5], start=1):
            raw.execute(migration)
            raw.execute("INSERT INTO schema_version VALUES (%s, 0)", (number,))
        raw.execute("INSERT INTO sites VALUES (%s, 1)", (SITE,))
        raw.execute(
            "INSERT INTO agents (agent_id, site_code, secret_hash, created_ns, acked_through) "
            "VALUES ('kit-1', %s, 'h', 1, 7)",
            (SITE,),
        )
        for seq in (6, 7):  # stored by v5, which kept no site_state row count
            raw.execute(
                "INSERT INTO records VALUES "
                "('kit-1', %s, %s, 'signal', 5, 5, 'monotonic', 6, '\\x00')",
                (seq, SITE),
            )
        raw.commit()
    finally:
        raw.close()
    store = postgres_backend.open()
    try:
        assert schema_version(postgres_backend) == POSTGRES_SCHEMA_VERSION
        (site,) = store.sites()
        assert site.records == 2 and site.last_seen_ns == 6
        assert store.commit([batch("kit-1", 7, 8)]) == [BatchOutcome(1, 1, 8)]
        (site,) = store.sites()
        assert site.records == 3
    finally:
        store.close()


def _undo_rollups_and_partitions(backend: Backend, raw: RawConnection) -> None:
    """Back to v8's tables: no rollups, one plain records table."""
    raw.execute("DROP TABLE site_rollups")
    raw.execute("DROP TABLE rollups_start")
    if backend.name == "postgres":  # records partitioned by day: one plain table again
        raw.execute("CREATE TABLE records_plain (LIKE records)")
        raw.execute("INSERT INTO records_plain SELECT * FROM records")
        raw.execute("DROP TABLE records")
        raw.execute("DROP FUNCTION pantau_add_day")
        raw.execute("ALTER TABLE records_plain RENAME TO records")
        raw.execute("ALTER TABLE records ADD PRIMARY KEY (agent_id, seq)")
        raw.execute("CREATE INDEX records_by_site_time ON records (site_code, event_ns)")


def undo_the_migrations_after_v7(backend: Backend, raw: RawConnection) -> None:
    """Back to v7: incidents' history, rollups, records by day, then incidents, silences
    and the outbox's incident column (the later migrations run again when the store
    opens)."""
    raw.execute("DROP TABLE credential_epoch")  # the open streams' re-checks
    raw.execute("DROP TABLE incident_events")  # incidents by hand (their columns go below)
    for table in ("sms_kits", "sms_received"):  # the SMS lifeline
        raw.execute(f"DROP TABLE {table}")
    if backend.name == "postgres":  # the replicas' leases (PostgreSQL's only)
        raw.execute("DROP TABLE replicas")
        raw.execute("DROP TABLE site_leases")
    _undo_rollups_and_partitions(backend, raw)
    for table in ("incident_tickets", "incidents", "silences"):
        raw.execute(f"DROP TABLE {table}")
    if backend.name == "sqlite":
        raw.execute("DROP INDEX outbox_undelivered_by_incident")
        raw.execute("PRAGMA user_version = 7")
    else:
        raw.execute("ALTER TABLE outbox DROP CONSTRAINT outbox_names_one")
        raw.execute("ALTER TABLE outbox DROP COLUMN incident_id")
        raw.execute("ALTER TABLE outbox ALTER COLUMN ticket_id SET NOT NULL")
        raw.execute("DELETE FROM schema_version WHERE version >= 8")


def test_a_v7_store_keeps_its_tickets_and_outbox_order_through_v8(backend: Backend) -> None:
    store = backend.open()
    try:
        for n in range(3):
            store.raise_problem(
                SITE, "510-10", "WEAK_SIGNAL", route="noc", first_bad_ns=n, last_bad_ns=n,
                evidence={}, historical=False, now_ns=10 + n, reopen_window_ns=0,
            )  # fmt: skip
            store.clear_problem(SITE, "510-10", "WEAK_SIGNAL", resolved_ns=20 + n, now_ns=20 + n)
        before = []
        while claimed := store.claim_notifications("w", now_ns=100, lease_ns=1, limit=100):
            for n in claimed:
                store.mark_delivered(n.id, "w", 100)
            before += claimed
        assert len(before) == 6
    finally:
        store.close()
    raw = backend.raw()
    try:
        undo_the_migrations_after_v7(backend, raw)
        raw.commit()
    finally:
        raw.close()
    store = backend.open()
    try:
        assert schema_version(backend) == POSTGRES_SCHEMA_VERSION
        change = store.raise_problem(
            SITE, "510-10", "WEAK_SIGNAL", route="noc", first_bad_ns=50, last_bad_ns=50,
            evidence={}, historical=False, now_ns=50, reopen_window_ns=0,
        )  # fmt: skip
        assert change.notification_id is not None
        assert change.notification_id > max(n.id for n in before)  # ids never reused
        (claimed,) = store.claim_notifications("w", now_ns=100, lease_ns=1, limit=100)
        assert (claimed.ticket_id, claimed.incident_id) == (change.ticket.id, None)
    finally:
        store.close()


def test_a_v6_store_gets_its_sites_networks_from_what_it_holds(backend: Backend) -> None:
    """v7 keeps every network a site has been seen on; a store from before it starts
    with each site's latest reading's network and those its tickets are about."""
    store = backend.open()
    try:
        store.add_agent("kit-1", SITE, "h")
        on_xl = SignalState(5, "LTE", "registered", "510", "011", "XL", 1, -90.0, -9.0, 5.0, None)
        store.commit([batch("kit-1", 1, signal=on_xl)])
        store.add_agent("kit-2", OTHER, "h")
        store.commit([batch("kit-2", 1, site=OTHER)])  # heard, never on a network
        for operator, problem in (("510-10", "NO_SERVICE"), ("field-team", "MODEM_FAULT")):
            store.raise_problem(
                SITE, operator, problem, route="noc", first_bad_ns=3, last_bad_ns=4,
                evidence={}, historical=False, now_ns=4, reopen_window_ns=0,
            )  # fmt: skip
    finally:
        store.close()
    raw = backend.raw()
    try:
        undo_the_migrations_after_v7(backend, raw)
        raw.execute("DROP TABLE site_operators")
        if backend.name == "sqlite":
            raw.execute("PRAGMA user_version = 6")
        else:
            raw.execute("DELETE FROM schema_version WHERE version >= 7")
        raw.commit()
    finally:
        raw.close()
    store = backend.open()
    try:
        assert schema_version(backend) == POSTGRES_SCHEMA_VERSION
        assert store.networks_of_sites([SITE, OTHER]) == {SITE: {"510-11", "510-10"}}
        assert store.networks_of_sites(None) == {SITE: {"510-11", "510-10"}}
    finally:
        store.close()


def test_open_store_picks_the_backend(tmp_path: Path, backend: Backend) -> None:
    in_dir = open_store(tmp_path)
    assert in_dir.backend == "sqlite" and (tmp_path / "collector.sqlite").exists()
    in_dir.close()
    as_file = open_store(tmp_path / "sub" / "other.db")
    assert as_file.backend == "sqlite" and (tmp_path / "sub" / "other.db").exists()
    as_file.close()
    if backend.name == "postgres":
        with pytest.raises(StoreError, match=r"cannot open the PostgreSQL store .*:\*\*\*@"):
            open_store("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=1")


@pytest.mark.postgres
def test_both_backends_migrate_to_the_same_tables_and_columns(
    sqlite_backend: Backend, postgres_backend: Backend
) -> None:
    """The migrations both share are written once (collector.store.schema); with each
    backend's own ones they end in the same tables, columns and indexes."""
    layouts = []
    for backend in (sqlite_backend, postgres_backend):
        backend.open().close()
        raw = backend.raw()
        try:
            if backend.name == "sqlite":
                tables = [
                    r[0]
                    for r in raw.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                columns = {
                    (t, str(c[1])) for t in tables for c in raw.execute(f"PRAGMA table_info({t})")
                }
                indexes = {
                    str(r[0])
                    for r in raw.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                    )
                }
            else:
                # A partitioned table's partitions are its own storage, not tables of the
                # schema's layout (collector.store.partitions).
                partitions = {
                    str(r[0])
                    for r in raw.execute(
                        "SELECT relname FROM pg_class WHERE relispartition "
                        "AND relnamespace = current_schema()::regnamespace"
                    )
                }
                columns = {
                    (str(t), str(c))
                    for t, c in raw.execute(
                        "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name <> 'schema_version'"
                    )
                    if str(t) not in partitions
                }
                indexes = {
                    str(name)
                    for name, table in raw.execute(
                        "SELECT indexname, tablename FROM pg_indexes "
                        "WHERE schemaname = current_schema() AND indexname NOT LIKE ?",
                        ("%_pkey",),
                    )
                    if str(table) not in partitions
                }
        finally:
            raw.close()
        layouts.append((columns, indexes))
    (sqlite_columns, sqlite_indexes), (pg_columns, pg_indexes) = layouts
    # Replicas' leases (collector.replicas) exist only where replicas can share a store.
    postgres_only = {"replicas", "site_leases"}
    assert sqlite_columns == {c for c in pg_columns if c[0] not in postgres_only}
    assert {t for t, _ in pg_columns} >= postgres_only
    assert {t for t, _ in sqlite_columns} >= {"tickets", "outbox", "agents", "users", "sessions"}
    # SQLite dropped the records' (site, time) index for a counter (v4); PostgreSQL keeps
    # it, and its partitioned records are found by (agent_id, seq) through an index where
    # SQLite has the primary key.
    assert pg_indexes - sqlite_indexes == {"records_by_site_time", "records_by_agent_seq"}
    assert sqlite_indexes < pg_indexes


def test_a_v12_stores_incidents_come_through_unacknowledged(backend: Backend) -> None:
    """v13 adds who acknowledged an incident, its escalation level and its history."""
    store = backend.open()
    try:
        store.incident_settings = Settings(group_wait_ns=0)
        store.raise_problem(
            SITE, "510-10", "WEAK_SIGNAL", route="noc", first_bad_ns=1, last_bad_ns=1,
            evidence={}, historical=False, now_ns=1, reopen_window_ns=0,
        )  # fmt: skip
        (before,) = store.list_incidents()
    finally:
        store.close()
    raw = backend.raw()
    try:
        raw.execute("DROP TABLE credential_epoch")  # v14
        raw.execute("DROP TABLE incident_events")
        for column in ("acked_by", "acked_ns", "ack_note", "escalation", "escalated_ns"):
            raw.execute(f"ALTER TABLE incidents DROP COLUMN {column}")
        if backend.name == "sqlite":
            raw.execute("PRAGMA user_version = 12")
        else:
            raw.execute("DELETE FROM schema_version WHERE version >= 13")
        raw.commit()
    finally:
        raw.close()
    store = backend.open()
    try:
        assert schema_version(backend) == POSTGRES_SCHEMA_VERSION
        (after,) = store.list_incidents()
        assert after == before
        assert (after.incident.acked_by, after.incident.escalation) == (None, 0)
        incident_id = after.incident.id or 0
        done = store.acknowledge_incident(incident_id, actor="siti", note="", now_ns=5)
        assert done.changed and [e.actor for e in store.incident_events(incident_id)] == ["siti"]
        assert store.credential_epoch() == 0  # v14, counted from its migration on
    finally:
        store.close()
