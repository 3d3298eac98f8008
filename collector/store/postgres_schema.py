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

#: (class id, …) of the advisory lock: "pant" in ASCII; the second key is the schema.
ADVISORY_LOCK_CLASS = 0x70616E74

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_ns BIGINT  NOT NULL
)
"""

_V1 = """
CREATE TABLE sites (
    site_code   TEXT PRIMARY KEY,
    created_ns  BIGINT NOT NULL
);
CREATE TABLE agents (
    agent_id      TEXT PRIMARY KEY,
    site_code     TEXT   NOT NULL REFERENCES sites (site_code),
    secret_hash   TEXT   NOT NULL,
    created_ns    BIGINT NOT NULL,
    revoked_ns    BIGINT,
    acked_through BIGINT NOT NULL DEFAULT 0,
    last_seen_ns  BIGINT
);
CREATE TABLE records (
    agent_id      TEXT   NOT NULL,
    seq           BIGINT NOT NULL,
    site_code     TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    event_ns      BIGINT NOT NULL,
    agent_wall_ns BIGINT NOT NULL,
    time_quality  TEXT   NOT NULL,
    received_ns   BIGINT NOT NULL,
    payload       BYTEA  NOT NULL,
    PRIMARY KEY (agent_id, seq)
);
CREATE INDEX records_by_site_time ON records (site_code, event_ns);
CREATE TABLE boot_anchors (
    agent_id     TEXT   NOT NULL,
    boot_id      TEXT   NOT NULL,
    monotonic_ns BIGINT NOT NULL,
    collector_ns BIGINT NOT NULL,
    PRIMARY KEY (agent_id, boot_id)
);
CREATE TABLE site_state (
    site_code       TEXT PRIMARY KEY,
    last_seen_ns    BIGINT NOT NULL,
    signal_ns       BIGINT,
    rat             TEXT,
    reg_state       TEXT,
    mcc             TEXT,
    mnc             TEXT,
    operator_name   TEXT,
    cell_id         BIGINT,
    rsrp_dbm        DOUBLE PRECISION,
    rsrq_db         DOUBLE PRECISION,
    sinr_db         DOUBLE PRECISION,
    rssi_dbm        DOUBLE PRECISION,
    ping_ns         BIGINT,
    ping_target     TEXT,
    ping_method     TEXT,
    ping_median_ms  DOUBLE PRECISION,
    ping_loss_ratio DOUBLE PRECISION
);
"""

_V2 = """
CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY,
    site_code   TEXT   NOT NULL,
    agent_id    TEXT   NOT NULL,
    created_ns  BIGINT NOT NULL,
    expires_ns  BIGINT NOT NULL,
    used_ns     BIGINT
);
ALTER TABLE agents ADD COLUMN hostname TEXT;
"""

_V3 = """
CREATE TABLE tickets (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_code     TEXT    NOT NULL,
    operator      TEXT    NOT NULL,
    problem       TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    route         TEXT    NOT NULL,
    first_bad_ns  BIGINT  NOT NULL,
    last_bad_ns   BIGINT  NOT NULL,
    opened_ns     BIGINT  NOT NULL,
    updated_ns    BIGINT  NOT NULL,
    resolved_ns   BIGINT,
    historical    BOOLEAN NOT NULL DEFAULT FALSE,
    escalated_ns  BIGINT,
    reopen_count  INTEGER NOT NULL DEFAULT 0,
    reopened_ns   BIGINT,
    evidence      TEXT    NOT NULL DEFAULT '{}',
    resolved_by   TEXT
);
CREATE UNIQUE INDEX tickets_one_open ON tickets (site_code, operator, problem)
    WHERE state <> 'resolved';
CREATE INDEX tickets_by_key ON tickets (site_code, operator, problem, resolved_ns);
CREATE INDEX tickets_by_state ON tickets (state, opened_ns);
CREATE TABLE ticket_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    at_ns     BIGINT NOT NULL,
    action    TEXT   NOT NULL CHECK (action IN
        ('opened', 'updated', 'acknowledged', 'resolved', 'reopened', 'escalated')),
    actor     TEXT   NOT NULL,
    note      TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, at_ns);
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id       BIGINT  NOT NULL REFERENCES tickets (id),
    dedup_key       TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN
        ('trigger', 'acknowledge', 'resolve', 'escalate')),
    route           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_ns      BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ns BIGINT  NOT NULL,
    delivered_ns    BIGINT,
    last_error      TEXT,
    claimed_by      TEXT,
    claim_until_ns  BIGINT
);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_ns IS NULL;
CREATE INDEX outbox_undelivered_by_ticket ON outbox (ticket_id, id) WHERE delivered_ns IS NULL;
"""

# v4 is SQLite's per-site record counter; PostgreSQL keeps its (site, time) index and
# counts, so its v4 is empty (the numbers stay in step).
_V4 = "SELECT 1"

# v5: the operations centre: accounts, their server-side sessions, and the kit's GNSS
# position in the site's live state; agents by site (a site's kits: the sites list and
# its windows, which scanned every agent per site).
_V5 = """
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    operator      TEXT,
    created_ns    BIGINT  NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    username     TEXT   NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token   TEXT   NOT NULL,
    created_ns   BIGINT NOT NULL,
    last_used_ns BIGINT NOT NULL,
    expires_ns   BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);
CREATE INDEX IF NOT EXISTS agents_by_site ON agents (site_code);
ALTER TABLE site_state ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE site_state ADD COLUMN lon DOUBLE PRECISION;
"""

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
MIGRATIONS = (_V1, _V2, _V3, _V4, _V5, _V6)
SCHEMA_VERSION = len(MIGRATIONS)
