"""The PostgreSQL schema: versioned migrations, counted in ``schema_version``.

The same tables and meaning as :mod:`collector.store.sqlite_schema`, in PostgreSQL
types: times are BIGINT ns since the Unix epoch, payloads BYTEA, evidence and
notification payloads JSON text, ids identity columns (never reused). Version
numbers match SQLite's ``user_version`` (v1 ingest, v2 enrollment, v3 tickets) so
one number describes a deployment whichever backend it runs.

Migrations run in one transaction under ``pg_advisory_xact_lock``, keyed by the
schema, so collector replicas starting together migrate once and the others wait,
then see the new version. Never edit a migration that has shipped: add the next.
"""

from __future__ import annotations

from collector.store.partitions import migration as partitioned_records
from collector.store.schema import (
    POSTGRES,
    credential_epoch,
    incidents_by_hand,
    rollups_table,
    sms_lifeline,
    v1_ingest,
    v2_enrollment,
    v3_tickets,
    v5_accounts,
    v7_site_networks,
    v8_incidents,
)
from collector.store.sql import RECORD_COLUMNS

#: (class id, …) of the advisory lock: "pant" in ASCII; the second key is the schema.
ADVISORY_LOCK_CLASS = 0x70616E74

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_ns BIGINT  NOT NULL
)
"""

_V1 = v1_ingest(POSTGRES)

_V2 = v2_enrollment(POSTGRES)

_V3 = v3_tickets(POSTGRES)

# v4 is SQLite's per-site record counter; PostgreSQL keeps its (site, time) index and
# counts, so its v4 is empty (the numbers stay in step).
_V4 = "SELECT 1"

# v5: the operations centre: accounts, their server-side sessions, and the kit's GNSS
# position in the site's live state; agents by site (a site's kits: the sites list and
# its windows, which scanned every agent per site).
_V5 = v5_accounts(POSTGRES)

# v6: the record count per site kept in site_state, as SQLite has since its v4: the
# sites list (the operations centre's map, /metrics) counted each site's records through
# the (site, time) index, about 1.5 s for 10,000 sites.
_V6 = """
ALTER TABLE site_state ADD COLUMN records BIGINT NOT NULL DEFAULT 0;
INSERT INTO site_state (site_code, last_seen_ns)
    SELECT site_code, MAX(received_ns) FROM records GROUP BY site_code
    ON CONFLICT (site_code) DO NOTHING;
UPDATE site_state SET records = c.n
    FROM (SELECT site_code, COUNT(*) AS n FROM records GROUP BY site_code) AS c
    WHERE c.site_code = site_state.site_code;
"""

#: Schema migrations, applied in order; ``schema_version`` holds one row per applied one.
# v7: every network a site has been seen on, kept at ingest (see schema.v7_site_networks):
# a site's network was its latest reading's, which has none while the modem searches.
_V7 = v7_site_networks(POSTGRES)

# v8: incidents, their member tickets, silences; the outbox names a ticket or an incident
# (see schema.v8_incidents).
_V8 = v8_incidents(POSTGRES)

#: Records partitioned by UTC day of event time, retention dropping whole days, and
#: exactly-once kept by the ingest (see collector.store.partitions). Self-contained:
#: whatever its number, it needs only the records table of v1 (and v4's index).
PARTITIONED_RECORDS = partitioned_records(RECORD_COLUMNS)

#: Per-site rollups kept at ingest (collector.store.rollups), partitioned by day of
#: bucket as the records are (made and dropped with them). Self-contained; it begins
#: empty: windows before it are read from the records. Half of each page is left free
#: (fillfactor 50, copied to every day): a row is updated by each commit of its bucket,
#: and the new version then fits on its page (a HOT update, no index entry).
ROLLUPS = (
    rollups_table(POSTGRES, partitioned_by=" PARTITION BY RANGE (bucket_ns)")
    + """;
CREATE TABLE site_rollups_default PARTITION OF site_rollups DEFAULT WITH (fillfactor = 50);
INSERT INTO rollups_start VALUES ((EXTRACT(EPOCH FROM clock_timestamp()) * 1e9)::BIGINT);
SELECT pantau_add_day('site_rollups', 'bucket_ns', day)
    FROM generate_series(EXTRACT(EPOCH FROM now())::BIGINT / 86400,
                         EXTRACT(EPOCH FROM now())::BIGINT / 86400 + 2) AS day;
"""
)

#: Replicas sharing the work (collector.leases, collector.replicas): each live replica's
#: heartbeat, and per bucket of sites the replica that judges them until its lease expires
#: (database time, ns; acquired_ns: when the current owner took it). PostgreSQL only: a
#: SQLite store has one collector, which judges every site.
REPLICA_LEASES = """
CREATE TABLE replicas (
    replica_id TEXT   PRIMARY KEY,
    started_ns BIGINT NOT NULL,
    expires_ns BIGINT NOT NULL
);
CREATE TABLE site_leases (
    bucket      INTEGER PRIMARY KEY,
    owner       TEXT,
    expires_ns  BIGINT  NOT NULL DEFAULT 0,
    acquired_ns BIGINT  NOT NULL DEFAULT 0
);
"""

# the SMS lifeline: kits' highest accepted counters and the received-SMS log
# (see schema.sms_lifeline).
_SMS_LIFELINE = sms_lifeline(POSTGRES)

# incidents acknowledged and escalated by hand, and their history
# (see schema.incidents_by_hand).
_INCIDENTS_BY_HAND = incidents_by_hand(POSTGRES)

# what the open streams' re-checks read first (see schema.credential_epoch)
_CREDENTIAL_EPOCH = credential_epoch(POSTGRES)


MIGRATIONS = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _V7,
    _V8,
    PARTITIONED_RECORDS,
    ROLLUPS,
    REPLICA_LEASES,
    _SMS_LIFELINE,
    _INCIDENTS_BY_HAND,
    _CREDENTIAL_EPOCH,
)
SCHEMA_VERSION = len(MIGRATIONS)
