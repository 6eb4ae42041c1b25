-- Outages: AWS Health events and provider-declared outages, the channels
-- subscribed to them, and what was posted where.

CREATE TABLE outages (
    id             INTEGER PRIMARY KEY,
    -- 'aws' (a Health event), 'provider' (declared by an engineer) or
    -- 'escalation' (a critical ticket, announced to the same channels).
    source         TEXT    NOT NULL CHECK (source IN ('aws', 'provider', 'escalation')),
    -- The Health event ARN, 'provider/<random>' or 'ticket/<id>'.
    key            TEXT    NOT NULL UNIQUE,
    title          TEXT    NOT NULL,
    service        TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    -- 'open', 'upcoming' or 'closed'.
    status         TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    -- 1: concerns everyone in the region (a public service event, or a
    -- provider outage naming no customer).
    public         INTEGER NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    started_at     TEXT,
    ended_at       TEXT,
    -- AWS's lastUpdatedTime (or the declaring engineer's), the dedupe key
    -- with the ARN.
    last_updated   TEXT    NOT NULL,
    -- Bumped only when something a reader sees changed (status,
    -- description, affected accounts or customers); posts follow it.
    revision       INTEGER NOT NULL DEFAULT 1,
    first_seen     TEXT    NOT NULL,
    declared_by    TEXT
);
CREATE INDEX outages_by_status ON outages (status);

-- The AWS accounts an outage affects.
CREATE TABLE outage_accounts (
    outage_id  INTEGER NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
    account_id TEXT    NOT NULL,
    PRIMARY KEY (outage_id, account_id)
);

-- The customers a provider outage names (none: everyone).
CREATE TABLE outage_customers (
    outage_id INTEGER NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
    customer  TEXT    NOT NULL,
    PRIMARY KEY (outage_id, customer)
);

-- A channel's subscription and its filters (empty list: any).
CREATE TABLE outage_subscriptions (
    channel_id   TEXT PRIMARY KEY,
    guild_id     TEXT,
    services     TEXT NOT NULL DEFAULT '[]',
    regions      TEXT NOT NULL DEFAULT '[]',
    customers    TEXT NOT NULL DEFAULT '[]',
    muted_types  TEXT NOT NULL DEFAULT '[]',
    min_severity TEXT NOT NULL DEFAULT 'low',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- One message per outage and channel. The row (with its nonce) is written
-- before the message is sent; Discord dedupes a resent nonce, so a crash
-- between the send and the commit of message_id cannot post twice.
CREATE TABLE outage_posts (
    outage_id       INTEGER NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
    channel_id      TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    message_id      TEXT,
    posted_revision INTEGER NOT NULL DEFAULT 0,
    -- 1 once the on-call role was pinged about this outage here.
    pinged          INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (outage_id, channel_id)
);

-- The state of the Health poller (one row).
CREATE TABLE health_polls (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_attempt    TEXT,
    last_success    TEXT,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0
);

-- Critical tickets are announced like outages; the poster reconciles them
-- with their announcements on every pass.
CREATE INDEX tickets_critical ON tickets (id) WHERE severity = 'critical';
