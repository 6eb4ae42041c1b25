-- Escalation tickets (PostgreSQL; the SQLite schema in ../sqlite has the
-- same tables, columns and constraints). A row is committed before any AWS
-- call is made, so a ticket that was accepted is never lost; the AWS
-- Support case follows it through case_state.
--
-- Both backends keep timestamps as fixed-width RFC 3339 UTC text with
-- milliseconds ('2026-11-28T07:05:03.500Z'), which sorts as time does, and
-- flags as integers (0 or 1), so that every query means the same on both.
CREATE TABLE tickets (
    id                   BIGSERIAL PRIMARY KEY,
    subject              TEXT    NOT NULL CHECK (length(subject) > 0),
    description          TEXT    NOT NULL,
    severity             TEXT    NOT NULL CHECK (severity IN ('low', 'normal', 'high', 'urgent', 'critical')),
    status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    -- The customer (as named in the configuration) the ticket belongs to;
    -- NULL for an engineer's own ticket.
    customer             TEXT,
    account_id           TEXT    CHECK (account_id IS NULL OR account_id ~ '^[0-9]{12}$'),
    aws_service          TEXT,
    opened_by_id         TEXT    NOT NULL,
    opened_by_name       TEXT    NOT NULL,
    opened_by_role       TEXT    NOT NULL CHECK (opened_by_role IN ('customer', 'engineer')),
    guild_id             TEXT,
    channel_id           TEXT,
    -- not_requested: no AWS case wanted; awaiting_approval: a customer's
    -- ticket waiting for an engineer; pending: to be created (retried with
    -- backoff); created: aws_case_id is set; failed: AWS refused for good.
    case_state           TEXT    NOT NULL DEFAULT 'not_requested'
                                 CHECK (case_state IN ('not_requested', 'awaiting_approval', 'pending', 'created', 'failed')),
    aws_case_id          TEXT    UNIQUE,
    aws_display_id       TEXT,
    aws_case_status      TEXT,
    case_attempts        BIGINT  NOT NULL DEFAULT 0,
    case_last_error      TEXT,
    case_next_attempt_at TEXT,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL
);

CREATE INDEX tickets_by_status ON tickets (status, id);
CREATE INDEX tickets_by_customer ON tickets (customer, status, id);
CREATE INDEX tickets_by_opener ON tickets (opened_by_id, status, id);
CREATE INDEX tickets_with_pending_cases ON tickets (case_next_attempt_at) WHERE case_state = 'pending';
