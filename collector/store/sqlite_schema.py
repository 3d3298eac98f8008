"""The SQLite schema: versioned migrations, counted by ``PRAGMA user_version``.

v1 ingest (sites, agents, records, boot_anchors, site_state); v2 enrollment codes and
the agent's hostname; v3 tickets, ticket_events and the outbox (see
:mod:`collector.store.tickets`); v4 drops the records' (site, event time) index for
a per-site record counter; v5 the operations centre's users and sessions and the
sites' GNSS position. AUTOINCREMENT keeps ticket and outbox ids from ever
being reused, which the outbox's per-ticket order relies on.
"""

from __future__ import annotations

_V1 = """
CREATE TABLE IF NOT EXISTS sites (
    site_code   TEXT PRIMARY KEY,
    created_ns  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    agent_id      TEXT PRIMARY KEY,
    site_code     TEXT NOT NULL REFERENCES sites (site_code),
    secret_hash   TEXT NOT NULL,
    created_ns    INTEGER NOT NULL,
    revoked_ns    INTEGER,
    acked_through INTEGER NOT NULL DEFAULT 0,
    last_seen_ns  INTEGER
);
CREATE TABLE IF NOT EXISTS records (
    agent_id      TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    site_code     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    event_ns      INTEGER NOT NULL,
    agent_wall_ns INTEGER NOT NULL,
    time_quality  TEXT    NOT NULL,
    received_ns   INTEGER NOT NULL,
    payload       BLOB    NOT NULL,
    PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_site_time ON records (site_code, event_ns);
CREATE TABLE IF NOT EXISTS boot_anchors (
    agent_id     TEXT    NOT NULL,
    boot_id      TEXT    NOT NULL,
    monotonic_ns INTEGER NOT NULL,
    collector_ns INTEGER NOT NULL,
    PRIMARY KEY (agent_id, boot_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_state (
    site_code     TEXT PRIMARY KEY,
    last_seen_ns  INTEGER NOT NULL,
    signal_ns     INTEGER,
    rat           TEXT,
    reg_state     TEXT,
    mcc           TEXT,
    mnc           TEXT,
    operator_name TEXT,
    cell_id       INTEGER,
    rsrp_dbm      REAL,
    rsrq_db       REAL,
    sinr_db       REAL,
    rssi_dbm      REAL,
    ping_ns       INTEGER,
    ping_target   TEXT,
    ping_method   TEXT,
    ping_median_ms REAL,
    ping_loss_ratio REAL
);
"""

_V2 = """
CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY,
    site_code   TEXT    NOT NULL,
    agent_id    TEXT    NOT NULL,
    created_ns  INTEGER NOT NULL,
    expires_ns  INTEGER NOT NULL,
    used_ns     INTEGER
);
ALTER TABLE agents ADD COLUMN hostname TEXT;
"""

_V3 = """
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site_code     TEXT    NOT NULL,
    operator      TEXT    NOT NULL,
    problem       TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    route         TEXT    NOT NULL,
    first_bad_ns  INTEGER NOT NULL,
    last_bad_ns   INTEGER NOT NULL,
    opened_ns     INTEGER NOT NULL,
    updated_ns    INTEGER NOT NULL,
    resolved_ns   INTEGER,
    historical    INTEGER NOT NULL DEFAULT 0 CHECK (historical IN (0, 1)),
    escalated_ns  INTEGER,
    reopen_count  INTEGER NOT NULL DEFAULT 0,
    reopened_ns   INTEGER,
    evidence      TEXT    NOT NULL DEFAULT '{}',
    resolved_by   TEXT
);
CREATE UNIQUE INDEX tickets_one_open ON tickets (site_code, operator, problem)
    WHERE state <> 'resolved';
CREATE INDEX tickets_by_key ON tickets (site_code, operator, problem, resolved_ns);
CREATE INDEX tickets_by_state ON tickets (state, opened_ns);
CREATE TABLE ticket_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    at_ns     INTEGER NOT NULL,
    action    TEXT    NOT NULL CHECK (action IN
        ('opened', 'updated', 'acknowledged', 'resolved', 'reopened', 'escalated')),
    actor     TEXT    NOT NULL,
    note      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, at_ns);
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id),
    dedup_key       TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN
        ('trigger', 'acknowledge', 'resolve', 'escalate')),
    route           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_ns      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ns INTEGER NOT NULL,
    delivered_ns    INTEGER,
    last_error      TEXT,
    claimed_by      TEXT,
    claim_until_ns  INTEGER
);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_ns IS NULL;
CREATE INDEX outbox_undelivered_by_ticket ON outbox (ticket_id, id) WHERE delivered_ns IS NULL;
"""

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
_V5 = """
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    operator      TEXT,
    created_ns    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    username     TEXT    NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_ns   INTEGER NOT NULL,
    last_used_ns INTEGER NOT NULL,
    expires_ns   INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);
CREATE INDEX IF NOT EXISTS agents_by_site ON agents (site_code);
ALTER TABLE site_state ADD COLUMN lat REAL;
ALTER TABLE site_state ADD COLUMN lon REAL
"""

# v6 is PostgreSQL's per-site record counter, which SQLite has had since v4: empty here
# (the numbers stay in step).
_V6 = "SELECT 1"

#: Schema migrations, applied in order; PRAGMA user_version counts those applied.
#: Never edit one that has shipped: add the next.
MIGRATIONS = (_V1, _V2, _V3, _V4, _V5, _V6)
SCHEMA_VERSION = len(MIGRATIONS)
