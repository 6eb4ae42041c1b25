-- A reference unique to each ticket, written into its AWS case's subject, so
-- that the case can be found again after a crash between CreateCase and the
-- commit that records its id.
ALTER TABLE tickets ADD COLUMN case_reference TEXT;
CREATE UNIQUE INDEX tickets_by_case_reference ON tickets (case_reference);

-- Notes and resolutions to pass on to a ticket's AWS case. A row stays until
-- AWS has taken it, so nothing is lost while AWS is away.
CREATE TABLE case_actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('communicate', 'resolve')),
    body            TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    done_at         TEXT
);

CREATE INDEX case_actions_waiting ON case_actions (ticket_id, id) WHERE done_at IS NULL;
