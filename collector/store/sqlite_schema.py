"""The SQLite schema: versioned migrations, counted by ``PRAGMA user_version``.

v1 ingest (sites, agents, records, boot_anchors, site_state); v2 enrollment codes and
the agent's hostname; v3 tickets, ticket_events and the outbox (see
:mod:`collector.store.tickets`); v4 drops the records' (site, event time) index for
a per-site record counter; v5 the operations centre's users and sessions and the
sites' GNSS position. AUTOINCREMENT keeps ticket and outbox ids from ever
being reused, which the outbox's per-ticket order relies on.
"""

from __future__ import annotations

from collector.store.schema import (
    SQLITE,
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

_V1 = v1_ingest(SQLITE)

_V2 = v2_enrollment(SQLITE)

_V3 = v3_tickets(SQLITE)

# v4: no (site, event time) index on records: a second b-tree insert per record cost
# about 30% of the ingest's SQLite CPU. A site's window is read through the primary
# key instead (its agents' newest seqs first, see SqliteStore.site_window), and the
# record count per site is kept in site_state.
_V4 = """
DROP INDEX IF EXISTS records_by_site_time;
ALTER TABLE site_state ADD COLUMN records INTEGER NOT NULL DEFAULT 0;
INSERT OR IGNORE INTO site_state (site_code, last_seen_ns)
    SELECT site_code, MAX(received_ns) FROM records GROUP BY site_code;
UPDATE site_state SET records = (
    SELECT COUNT(*) FROM records r WHERE r.site_code = site_state.site_code
);
"""

# v5: the operations centre: accounts, their server-side sessions, and the kit's GNSS
# position in the site's live state; agents by site (a site's kits: the sites list and
# its windows, which scanned every agent per site).
_V5 = v5_accounts(SQLITE)

# v6 is PostgreSQL's per-site record counter, which SQLite has had since v4: empty here
# (the numbers stay in step).
_V6 = "SELECT 1"

#: Schema migrations, applied in order; PRAGMA user_version counts those applied.
#: Never edit one that has shipped: add the next.
# v7: every network a site has been seen on, kept at ingest (see schema.v7_site_networks):
# a site's network was its latest reading's, which has none while the modem searches.
_V7 = v7_site_networks(SQLITE)

# v8: incidents, their member tickets, silences; the outbox names a ticket or an incident
# (see schema.v8_incidents).
_V8 = v8_incidents(SQLITE)

#: PostgreSQL's records partitioned by day: nothing here (one file has no partitions;
#: its retention deletes rows), so the numbers stay in step.
NO_PARTITIONS = "SELECT 1"

#: Per-site rollups kept at ingest (collector.store.rollups); they begin empty: windows
#: before them are read from the records.
ROLLUPS = (
    rollups_table(SQLITE)
    + """;
INSERT INTO rollups_start
    VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000);
"""
)

#: PostgreSQL's replica leases (collector.replicas): one SQLite collector judges every
#: site, so nothing here (the numbers stay in step).
REPLICA_LEASES = "SELECT 1"

# the SMS lifeline: kits' highest accepted counters and the received-SMS log
# (see schema.sms_lifeline).
_SMS_LIFELINE = sms_lifeline(SQLITE)

# incidents acknowledged and escalated by hand, and their history
# (see schema.incidents_by_hand).
_INCIDENTS_BY_HAND = incidents_by_hand(SQLITE)

# what the open streams' re-checks read first (see schema.credential_epoch)
_CREDENTIAL_EPOCH = credential_epoch(SQLITE)


MIGRATIONS = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _V7,
    _V8,
    NO_PARTITIONS,
    ROLLUPS,
    REPLICA_LEASES,
    _SMS_LIFELINE,
    _INCIDENTS_BY_HAND,
    _CREDENTIAL_EPOCH,
)
SCHEMA_VERSION = len(MIGRATIONS)
