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

from collector.store.schema import (
    POSTGRES,
    sms_lifeline,
    v1_ingest,
    v2_enrollment,
    v3_tickets,
    v5_accounts,
    v7_site_networks,
)

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

# the SMS lifeline: kits' highest accepted counters and the received-SMS log
# (see schema.sms_lifeline).
_SMS_LIFELINE = sms_lifeline(POSTGRES)

MIGRATIONS = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _SMS_LIFELINE)
SCHEMA_VERSION = len(MIGRATIONS)
