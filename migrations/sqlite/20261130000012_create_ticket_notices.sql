-- Notices to the person who opened a ticket (AWS replied on its case),
-- each committed with its nonce before it is sent, so that a resend (after
-- a crash or a lost response) returns the message already made; where it
-- went and its id are recorded after. A notice that keeps failing backs off
-- and is given up after a few attempts (logged).
CREATE TABLE ticket_notices (
    event_id        INTEGER NOT NULL PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    nonce           TEXT NOT NULL,
    channel_id      TEXT,
    message_id      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL
);

-- The events of one kind in order (the notices' scan for AWS replies).
CREATE INDEX ticket_events_by_kind ON ticket_events (kind, id);
