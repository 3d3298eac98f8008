"""The tables both backends share, written once and rendered in each dialect.

:mod:`collector.store.sqlite_schema` and :mod:`collector.store.postgres_schema` take
the migrations the two have in common (v1 ingest, v2 enrollment, v3 tickets, v5
accounts, v7 the sites' networks) from here, rendered with their :class:`Dialect`,
and keep only what is theirs (SQLite's v4 record counter, PostgreSQL's v6). The
rendered text is the text each backend has always run, up to layout: a migration
that has shipped is never edited, here or there; add the next.
"""

# ruff: noqa: S608 - the SQL is built from constants; no value from outside is in it.

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    """The type names and clauses a backend spells its own way."""

    int64: str  # a time in ns, a seq, a counter that can grow past 2**31
    real: str
    blob: str
    serial_id: str  # an id column that is never reused
    true_false: str  # a flag column's type and default (the column name is {name})
    v1_if_not_exists: str  # v1 created tables "IF NOT EXISTS" on SQLite
    without_rowid: str  # SQLite's clustered tables (primary key order)
    network_pattern: str  # the condition "{column} is an MCC-MNC" (not a queue's name)

    def flag(self, name: str) -> str:
        return self.true_false.format(name=name)

    def is_network(self, column: str) -> str:
        return "(" + self.network_pattern.format(column=column) + ")"


#: Each Dialect field, as SQLite and as PostgreSQL spell it.
_SPELLINGS = {
    "int64": ("INTEGER", "BIGINT"),
    "real": ("REAL", "DOUBLE PRECISION"),
    "blob": ("BLOB", "BYTEA"),
    "serial_id": (
        "INTEGER PRIMARY KEY AUTOINCREMENT",
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    ),
    "true_false": (
        "INTEGER NOT NULL DEFAULT 0 CHECK ({name} IN (0, 1))",
        "BOOLEAN NOT NULL DEFAULT FALSE",
    ),
    "v1_if_not_exists": ("IF NOT EXISTS ", ""),
    "without_rowid": (" WITHOUT ROWID", ""),
    "network_pattern": (
        "{column} GLOB '[0-9][0-9][0-9]-[0-9][0-9]' "
        "OR {column} GLOB '[0-9][0-9][0-9]-[0-9][0-9][0-9]'",
        "{column} ~ '^[0-9]{{3}}-[0-9]{{2,3}}$'",
    ),
}
SQLITE = Dialect(**{field: spelt[0] for field, spelt in _SPELLINGS.items()})
POSTGRES = Dialect(**{field: spelt[1] for field, spelt in _SPELLINGS.items()})


def v1_ingest(d: Dialect) -> str:
    """Sites, agents, records, boot anchors and the sites' live state."""
    big, real, maybe = d.int64, d.real, d.v1_if_not_exists
    return f"""
CREATE TABLE {maybe}sites (
    site_code   TEXT PRIMARY KEY,
    created_ns  {big} NOT NULL
);
CREATE TABLE {maybe}agents (
    agent_id      TEXT PRIMARY KEY,
    site_code     TEXT NOT NULL REFERENCES sites (site_code),
    secret_hash   TEXT NOT NULL,
    created_ns    {big} NOT NULL,
    revoked_ns    {big},
    acked_through {big} NOT NULL DEFAULT 0,
    last_seen_ns  {big}
);
CREATE TABLE {maybe}records (
    agent_id      TEXT NOT NULL,
    seq           {big} NOT NULL,
    site_code     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    event_ns      {big} NOT NULL,
    agent_wall_ns {big} NOT NULL,
    time_quality  TEXT NOT NULL,
    received_ns   {big} NOT NULL,
    payload       {d.blob} NOT NULL,
    PRIMARY KEY (agent_id, seq)
){d.without_rowid};
CREATE INDEX {maybe}records_by_site_time ON records (site_code, event_ns);
CREATE TABLE {maybe}boot_anchors (
    agent_id     TEXT NOT NULL,
    boot_id      TEXT NOT NULL,
    monotonic_ns {big} NOT NULL,
    collector_ns {big} NOT NULL,
    PRIMARY KEY (agent_id, boot_id)
){d.without_rowid};
CREATE TABLE {maybe}site_state (
    site_code       TEXT PRIMARY KEY,
    last_seen_ns    {big} NOT NULL,
    signal_ns       {big},
    rat             TEXT,
    reg_state       TEXT,
    mcc             TEXT,
    mnc             TEXT,
    operator_name   TEXT,
    cell_id         {big},
    rsrp_dbm        {real},
    rsrq_db         {real},
    sinr_db         {real},
    rssi_dbm        {real},
    ping_ns         {big},
    ping_target     TEXT,
    ping_method     TEXT,
    ping_median_ms  {real},
    ping_loss_ratio {real}
);
"""


def v2_enrollment(d: Dialect) -> str:
    """One-time enrollment codes and the agent's hostname."""
    big = d.int64
    return f"""
CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY,
    site_code   TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    created_ns  {big} NOT NULL,
    expires_ns  {big} NOT NULL,
    used_ns     {big}
);
ALTER TABLE agents ADD COLUMN hostname TEXT;
"""


def v3_tickets(d: Dialect) -> str:
    """Tickets (one unresolved per key), their history and the outbox."""
    big = d.int64
    return f"""
CREATE TABLE tickets (
    id            {d.serial_id},
    site_code     TEXT    NOT NULL,
    operator      TEXT    NOT NULL,
    problem       TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    route         TEXT    NOT NULL,
    first_bad_ns  {big} NOT NULL,
    last_bad_ns   {big} NOT NULL,
    opened_ns     {big} NOT NULL,
    updated_ns    {big} NOT NULL,
    resolved_ns   {big},
    historical    {d.flag("historical")},
    escalated_ns  {big},
    reopen_count  INTEGER NOT NULL DEFAULT 0,
    reopened_ns   {big},
    evidence      TEXT    NOT NULL DEFAULT '{{}}',
    resolved_by   TEXT
);
CREATE UNIQUE INDEX tickets_one_open ON tickets (site_code, operator, problem)
    WHERE state <> 'resolved';
CREATE INDEX tickets_by_key ON tickets (site_code, operator, problem, resolved_ns);
CREATE INDEX tickets_by_state ON tickets (state, opened_ns);
CREATE TABLE ticket_events (
    id        {d.serial_id},
    ticket_id {big} NOT NULL REFERENCES tickets (id),
    at_ns     {big} NOT NULL,
    action    TEXT NOT NULL CHECK (action IN
        ('opened', 'updated', 'acknowledged', 'resolved', 'reopened', 'escalated')),
    actor     TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, at_ns);
CREATE TABLE outbox (
    id              {d.serial_id},
    ticket_id       {big} NOT NULL REFERENCES tickets (id),
    dedup_key       TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN
        ('trigger', 'acknowledge', 'resolve', 'escalate')),
    route           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_ns      {big} NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ns {big} NOT NULL,
    delivered_ns    {big},
    last_error      TEXT,
    claimed_by      TEXT,
    claim_until_ns  {big}
);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_ns IS NULL;
CREATE INDEX outbox_undelivered_by_ticket ON outbox (ticket_id, id) WHERE delivered_ns IS NULL;
"""


def v5_accounts(d: Dialect) -> str:
    """The operations centre: accounts, their server-side sessions, and the kit's GNSS
    position in the site's live state; agents by site (a site's kits: the sites list
    and its windows, which scanned every agent per site)."""
    big = d.int64
    return f"""
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    operator      TEXT,
    created_ns    {big} NOT NULL,
    disabled      {d.flag("disabled")}
);
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    username     TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_ns   {big} NOT NULL,
    last_used_ns {big} NOT NULL,
    expires_ns   {big} NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);
CREATE INDEX IF NOT EXISTS agents_by_site ON agents (site_code);
ALTER TABLE site_state ADD COLUMN lat {d.real};
ALTER TABLE site_state ADD COLUMN lon {d.real};
"""


#: A site's network, as the latest reading spells it: MCC-MNC with a three-digit MNC's
#: leading zero dropped (``pantau.core.operators.mcc_mnc``).
_LATEST_NETWORK = (
    "st.mcc || '-' || CASE WHEN length(st.mnc) = 3 AND substr(st.mnc, 1, 1) = '0' "
    "THEN substr(st.mnc, 2) ELSE st.mnc END"
)


def v7_site_networks(d: Dialect) -> str:
    """Every network a site has been seen on (``site_operators``): kept at ingest in the
    commit that stores the readings naming it, so a site keeps its networks while the
    modem searches (no operator in the latest reading). Backfilled from each site's
    latest reading and from its tickets about a network (not a queue's)."""
    return f"""
CREATE TABLE site_operators (
    site_code     TEXT NOT NULL,
    operator      TEXT NOT NULL,
    first_seen_ns {d.int64} NOT NULL,
    PRIMARY KEY (site_code, operator)
){d.without_rowid};
INSERT INTO site_operators (site_code, operator, first_seen_ns)
    SELECT site_code, network, MIN(seen) FROM (
        SELECT st.site_code AS site_code, {_LATEST_NETWORK} AS network,
            COALESCE(st.signal_ns, st.last_seen_ns) AS seen
        FROM site_state st WHERE st.mcc IS NOT NULL AND st.mnc IS NOT NULL
        UNION ALL
        SELECT site_code, operator, first_bad_ns FROM tickets WHERE {d.is_network("operator")}
    ) AS known
    WHERE {d.is_network("network")}
    GROUP BY site_code, network
"""


_OUTBOX_V8 = """
    id              {serial},
    ticket_id       {big} REFERENCES tickets (id),
    incident_id     {big},
    dedup_key       TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN
        ('trigger', 'acknowledge', 'resolve', 'escalate', 'update')),
    route           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_ns      {big} NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ns {big} NOT NULL,
    delivered_ns    {big},
    last_error      TEXT,
    claimed_by      TEXT,
    claim_until_ns  {big},
    CHECK (ticket_id IS NOT NULL OR incident_id IS NOT NULL)
"""

_OUTBOX_COPIED = (
    "id, ticket_id, dedup_key, action, route, payload, created_ns, attempts, next_attempt_ns, "
    "delivered_ns, last_error, claimed_by, claim_until_ns"
)


def v8_incidents(d: Dialect) -> str:
    """Incidents (one unresolved per key), which tickets are their members, silences,
    and the outbox carrying incident notifications: a row names a ticket or an incident
    (delivered in order per ticket or per incident) and may be an 'update'."""
    big = d.int64
    if d is SQLITE:  # a column's NOT NULL and CHECK change only with a new table
        outbox = f"""
CREATE TABLE outbox_v8 ({_OUTBOX_V8.format(serial=d.serial_id, big=big)});
INSERT INTO outbox_v8 ({_OUTBOX_COPIED}) SELECT {_OUTBOX_COPIED} FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_v8';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_v8', seq FROM sqlite_sequence
    WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_v8 RENAME TO outbox;
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_ns IS NULL;
CREATE INDEX outbox_undelivered_by_ticket ON outbox (ticket_id, id) WHERE delivered_ns IS NULL;
"""
    else:
        outbox = """
ALTER TABLE outbox ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN incident_id BIGINT;
ALTER TABLE outbox DROP CONSTRAINT outbox_action_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_action_check CHECK (action IN
    ('trigger', 'acknowledge', 'resolve', 'escalate', 'update'));
ALTER TABLE outbox ADD CONSTRAINT outbox_names_one
    CHECK (ticket_id IS NOT NULL OR incident_id IS NOT NULL);
"""
    return f"""{outbox}
CREATE INDEX outbox_undelivered_by_incident ON outbox (incident_id, id)
    WHERE delivered_ns IS NULL;
CREATE TABLE incidents (
    id             {d.serial_id},
    key            TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('site', 'cell', 'area', 'field')),
    operator       TEXT    NOT NULL,
    family         TEXT    NOT NULL CHECK (family IN ('coverage', 'network', 'kit')),
    problem        TEXT    NOT NULL,
    cell           TEXT,
    kabupaten      TEXT,
    province       TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    parent_id      {big},
    route          TEXT    NOT NULL,
    opened_ns      {big} NOT NULL,
    updated_ns     {big} NOT NULL,
    resolved_ns    {big},
    quiet_since_ns {big},
    counted_ns     {big},
    paged          TEXT    NOT NULL CHECK (paged IN ('no', 'triggered', 'resolved')),
    paged_affected INTEGER NOT NULL DEFAULT 0,
    paged_ns       {big},
    silenced_by    {big},
    affected       INTEGER NOT NULL DEFAULT 0,
    sites          TEXT    NOT NULL DEFAULT '[]',
    others_fine    TEXT    NOT NULL DEFAULT '{{}}'
);
CREATE UNIQUE INDEX incidents_one_open ON incidents (key) WHERE state <> 'resolved';
CREATE INDEX incidents_open_by_group ON incidents (operator, family, province)
    WHERE state <> 'resolved';
CREATE INDEX incidents_by_resolved ON incidents (resolved_ns) WHERE state = 'resolved';
CREATE TABLE incident_tickets (
    incident_id {big} NOT NULL REFERENCES incidents (id),
    ticket_id   {big} NOT NULL REFERENCES tickets (id),
    joined_ns   {big} NOT NULL,
    PRIMARY KEY (incident_id, ticket_id)
);
CREATE INDEX incident_tickets_by_ticket ON incident_tickets (ticket_id);
CREATE TABLE silences (
    id         {d.serial_id},
    operator   TEXT    NOT NULL,
    cell       TEXT,
    kabupaten  TEXT,
    province   TEXT,
    family     TEXT CHECK (family IS NULL OR family IN ('coverage', 'network', 'kit')),
    start_ns   {big} NOT NULL,
    end_ns     {big} NOT NULL,
    created_by TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    created_ns {big} NOT NULL,
    CHECK (end_ns > start_ns)
);
CREATE INDEX silences_by_operator ON silences (operator, end_ns);
"""


def incidents_by_hand(d: Dialect) -> str:
    """Incidents acknowledged and escalated by hand (collector.incidents.acknowledge,
    escalate): who acknowledged, when and why, the level escalated to and when; and
    the incidents' history of what people did (as ticket_events is the tickets')."""
    big = d.int64
    return f"""
ALTER TABLE incidents ADD COLUMN acked_by TEXT;
ALTER TABLE incidents ADD COLUMN acked_ns {big};
ALTER TABLE incidents ADD COLUMN ack_note TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN escalation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalated_ns {big};
CREATE TABLE incident_events (
    id          {d.serial_id},
    incident_id {big} NOT NULL REFERENCES incidents (id),
    at_ns       {big} NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('acknowledged', 'escalated')),
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    level       INTEGER
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, at_ns);
"""


def rollups_table(d: Dialect, *, partitioned_by: str = "") -> str:
    """Per-site rollups (see :mod:`collector.store.rollups`): one row per (site,
    5-minute bucket, network, kind) with the bucket's record count and, per figure,
    its count, minimum, maximum, sum and kept values; and when the rollups begin (a
    window that starts earlier is read from the records)."""
    figures = ("rsrp_dbm", "rsrq_db", "sinr_db", "rtt_ms", "loss_ratio")
    columns = "".join(
        f"    {f}_n {d.int64} NOT NULL DEFAULT 0,\n"
        f"    {f}_min {d.real},\n"
        f"    {f}_max {d.real},\n"
        f"    {f}_sum {d.real} NOT NULL DEFAULT 0,\n"
        f"    {f}_values TEXT NOT NULL DEFAULT '',\n"
        for f in figures
    )
    return f"""
CREATE TABLE site_rollups (
    site_code TEXT NOT NULL,
    bucket_ns {d.int64} NOT NULL,
    network   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    records   {d.int64} NOT NULL DEFAULT 0,
{columns}    PRIMARY KEY (site_code, bucket_ns, network, kind)
){partitioned_by or d.without_rowid};
CREATE TABLE rollups_start (
    since_ns {d.int64} NOT NULL
)"""


def sms_lifeline(d: Dialect) -> str:
    """The SMS lifeline (collector.lifeline): per kit, the highest counter accepted (a
    replayed SMS is at or below it) and when its last authentic SMS came, with the
    status it carried (JSON); and every SMS received, refused ones too, for the log."""
    return f"""
CREATE TABLE sms_kits (
    agent_id        TEXT PRIMARY KEY,
    site_code       TEXT NOT NULL,
    highest_counter {d.int64} NOT NULL,
    last_sms_ns     {d.int64} NOT NULL,
    last_status     TEXT NOT NULL
);
CREATE INDEX sms_kits_by_site ON sms_kits (site_code);
CREATE TABLE sms_received (
    id          {d.serial_id},
    received_ns {d.int64} NOT NULL,
    sender      TEXT NOT NULL,
    via         TEXT NOT NULL,
    agent_id    TEXT,
    verdict     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX sms_received_by_time ON sms_received (received_ns);
"""


def credential_epoch(d: Dialect) -> str:
    """One row counting the changes to agents' credentials (collector.revocation):
    every revocation and every enrollment raises it in its own transaction, so a
    replica re-reads its open streams' agents only when it moved."""
    return f"""
CREATE TABLE credential_epoch (
    epoch {d.int64} NOT NULL
);
INSERT INTO credential_epoch (epoch) VALUES (0)
"""
