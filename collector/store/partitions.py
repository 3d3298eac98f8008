"""PostgreSQL's records by day: declarative range partitions on ``event_ns``.

``records`` is partitioned by range of event time, one partition per UTC day
(``records_YYYYMMDD``, from 00:00 UTC, 07:00 WIB, to the next), and a default
partition (``records_default``) for every event time no day partition covers:
records of kits without a clock (1970), from the future beyond the days made
ahead, or late backlogs of days long gone.

- Made ahead: :func:`ensure_days` makes today's partition and the next
  :data:`AHEAD_DAYS` days' (when the store opens, and with every retention pass),
  so ingest never waits on DDL. Making a day moves the default partition's rows of
  that day into it first (``pantau_add_day``, a function of the schema), as
  attaching a range the default partition holds rows of would fail.
- Exactly-once without a unique key: a partitioned table's unique key must hold
  the partition key, and the same (agent_id, seq) resent after a clock correction
  can carry another event time, so (agent_id, seq) cannot be unique across
  partitions. The ingest keeps it so instead, as SQLite's group commit does: under
  the agent's row lock, a record above the agent's ``acked_through`` (never below
  the highest seq stored for it) is new; one at or below it is looked up in every
  partition's (agent_id, seq) index (a resend after a lost ack, rare).
- Retention drops whole days: a day partition goes when its whole day is older
  than the cut (a record is kept up to one day longer than the cut says); its rows
  are counted per site first, to keep ``site_state.records`` right. The default
  partition is pruned row by row as before (event time, or arrival for a record
  from the future). A record judged from the future that landed in a day made
  ahead goes with that day.

The sites' rollups (``site_rollups``, :mod:`collector.store.rollups`) are split by
day of their bucket the same way (:data:`ROLLUPS`), made and dropped with the
records' days. Every DDL step runs under one advisory transaction lock, so replicas
making or dropping days at once take turns. Dropping a day takes an exclusive lock
on the parent table for a moment: ingest and reads of the records wait for it (the
day's per-site counts are read before, under a share lock).
"""

# ruff: noqa: S608 - SQL is built from constants and partition names made here.

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from collector.store.sql import Tx

DAY_NS = 86_400 * 10**9
#: Days made ahead of today (UTC), so a day's partition exists before its first record.
AHEAD_DAYS = 2
#: (class id, key) of the advisory lock the DDL of partitions takes: "pant", "part".
PARTITION_LOCK = (0x70616E74, 0x70617274)
DEFAULT_PARTITION = "records_default"
_DAY_NAME = re.compile(r"records_(\d{8})")


def day_of(event_ns: int) -> int:
    """The UTC day (days since 1970-01-01) holding ``event_ns``."""
    return event_ns // DAY_NS


def partition_name(day: int) -> str:
    """``records_YYYYMMDD`` of the UTC day ``day``."""
    return "records_" + (dt.date(1970, 1, 1) + dt.timedelta(days=day)).strftime("%Y%m%d")


def day_of_name(name: str) -> int | None:
    """The UTC day a partition's name stands for (None: not a day partition)."""
    found = _DAY_NAME.fullmatch(name)
    if found is None:
        return None
    return (dt.datetime.strptime(found.group(1), "%Y%m%d").date() - dt.date(1970, 1, 1)).days


def days_to_drop(days: list[int], older_than_ns: int) -> list[int]:
    """Of the partitions' ``days``, those wholly before the cut ``older_than_ns``."""
    return sorted(d for d in days if (d + 1) * DAY_NS <= older_than_ns)


#: The migration's part that makes a day of a table partitioned by day (``records`` on
#: ``event_ns``, ``site_rollups`` on ``bucket_ns``): create (with the default partition's
#: storage options), move the default partition's rows of the day into it, attach
#: (``CREATE TABLE ... PARTITION OF`` would fail on them).
DAY_FUNCTION = f"""
CREATE FUNCTION pantau_add_day(parent TEXT, key TEXT, day BIGINT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $f$
DECLARE
    lo BIGINT := day * {DAY_NS};
    hi BIGINT := (day + 1) * {DAY_NS};
    name TEXT := parent || '_' || to_char(
        TIMESTAMP '1970-01-01' + day * INTERVAL '1 day', 'YYYYMMDD');
    options TEXT;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    -- a day's storage options are its default partition's (the rollups' fillfactor)
    SELECT COALESCE(' WITH (' || array_to_string(reloptions, ', ') || ')', '') INTO options
        FROM pg_class WHERE oid = to_regclass(parent || '_default');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', name, parent)
        || COALESCE(options, '');
    EXECUTE format(
        'WITH moved AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved', parent || '_default', key, lo, key, hi, name);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
        parent, name, lo, hi);
    RETURN TRUE;
END
$f$;
"""

_LOCK = f"SELECT pg_advisory_xact_lock({PARTITION_LOCK[0]}, {PARTITION_LOCK[1]})"
_CHILDREN = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = ?::regclass"
)


@dataclass(frozen=True, slots=True)
class DayTable:
    """A table partitioned by UTC day: its name and the ns column it is split on."""

    name: str
    key: str

    def day_of_name(self, name: str) -> int | None:
        prefix = self.name + "_"
        return day_of_name("records_" + name[len(prefix) :]) if name.startswith(prefix) else None


RECORDS = DayTable("records", "event_ns")
#: Made by a later migration (collector.store.schema's rollups): made and dropped with
#: the records' days once it exists.
ROLLUPS = DayTable("site_rollups", "bucket_ns")


def _tables(tx: Tx) -> list[DayTable]:
    row = tx.one("SELECT to_regclass('site_rollups') IS NOT NULL")
    return [RECORDS, ROLLUPS] if row and row[0] else [RECORDS]


def _days(tx: Tx, table: DayTable) -> dict[int, str]:
    return {
        day: str(name)
        for (name,) in tx.rows(_CHILDREN, (table.name,))
        if (day := table.day_of_name(str(name))) is not None
    }


def ensure_days(tx: Tx, now_ns: int, ahead_days: int = AHEAD_DAYS) -> int:
    """Make the partitions of today and ``ahead_days`` days after (UTC); how many were
    made (0 when they all exist: the usual case, a catalog look-up a table)."""
    wanted = range(day_of(now_ns), day_of(now_ns) + ahead_days + 1)
    made = 0
    for table in _tables(tx):
        existing = _days(tx, table)
        missing = [d for d in wanted if d not in existing]
        if missing:
            tx.run(_LOCK)
        for day in missing:
            row = tx.one("SELECT pantau_add_day(?, ?, ?)", (table.name, table.key, day))
            made += bool(row and row[0])
    return made


def prune_days(tx: Tx, older_than_ns: int) -> int:
    """Drop the day partitions wholly older than the cut and prune the default
    partitions row by row; the sites' record counts follow. Records removed."""
    tx.run(_LOCK)
    per_site: dict[str, int] = {}
    removed = 0
    for table in _tables(tx):
        days = _days(tx, table)
        if table is ROLLUPS:
            tx.run(f"DELETE FROM {ROLLUPS.name}_default WHERE bucket_ns < ?", (older_than_ns,))
        for day in days_to_drop(list(days), older_than_ns):
            name = days[day]
            if table is RECORDS:
                for site_code, count in tx.rows(
                    f"SELECT site_code, COUNT(*) FROM {name} GROUP BY site_code"
                ):
                    per_site[str(site_code)] = per_site.get(str(site_code), 0) + int(count)
                    removed += int(count)
            tx.run(f"DROP TABLE {name}")
    where = "(event_ns < ? OR (time_quality = 'future' AND received_ns < ?))"
    params = (older_than_ns, older_than_ns)
    for site_code, count in tx.rows(
        f"SELECT site_code, COUNT(*) FROM {DEFAULT_PARTITION} WHERE {where} GROUP BY site_code",
        params,
    ):
        per_site[str(site_code)] = per_site.get(str(site_code), 0) + int(count)
    removed += tx.run(f"DELETE FROM {DEFAULT_PARTITION} WHERE {where}", params)
    for site_code, count in sorted(per_site.items()):  # the order ingest locks them in
        tx.run(
            "UPDATE site_state SET records = CASE WHEN records > ? THEN records - ? ELSE 0 "
            "END WHERE site_code = ?",
            (count, count, site_code),
        )
    return removed


def migration(records_columns: str) -> str:
    """Records partitioned by day (see the module doc): the records table is renamed,
    the partitioned one made with the same columns and indexes, the days of the last
    60 days (and those made ahead) that hold records made, the rows copied (those of
    other days into the default partition) and the old table dropped, in the
    migration's one transaction."""
    day_s = DAY_NS // 10**9
    return f"""
ALTER TABLE records RENAME TO records_unpartitioned;
ALTER INDEX records_by_site_time RENAME TO records_unpartitioned_by_site_time;
ALTER TABLE records_unpartitioned RENAME CONSTRAINT records_pkey TO records_unpartitioned_pkey;
CREATE TABLE records (
    agent_id      TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    site_code     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    event_ns      BIGINT NOT NULL,
    agent_wall_ns BIGINT NOT NULL,
    time_quality  TEXT NOT NULL,
    received_ns   BIGINT NOT NULL,
    payload       BYTEA NOT NULL
) PARTITION BY RANGE (event_ns);
CREATE INDEX records_by_site_time ON records (site_code, event_ns);
CREATE INDEX records_by_agent_seq ON records (agent_id, seq);
CREATE TABLE {DEFAULT_PARTITION} PARTITION OF records DEFAULT;
{DAY_FUNCTION}
SELECT pantau_add_day('records', 'event_ns', day) FROM (
    SELECT DISTINCT event_ns / {DAY_NS} AS day FROM records_unpartitioned
    WHERE event_ns >= (EXTRACT(EPOCH FROM now())::BIGINT / {day_s} - 60) * {DAY_NS}
      AND event_ns < (EXTRACT(EPOCH FROM now())::BIGINT / {day_s} + {AHEAD_DAYS + 1}) * {DAY_NS}
    ORDER BY 1
) AS days;
INSERT INTO records ({records_columns})
    SELECT {records_columns} FROM records_unpartitioned;
DROP TABLE records_unpartitioned;
"""
