-- The conversation on each ticket's AWS case, as DescribeCommunications
-- lists it: AWS's replies, what the customer's side sent through AWS's own
-- console, and the desk's own messages (the case body, notes), each
-- recorded once (its fingerprint: when AWS recorded it, who sent it and
-- what it says). The full text lives here; the ticket's events carry a
-- clipped copy of each reply for its thread.
CREATE TABLE case_messages (
    ticket_id    BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    fingerprint  TEXT NOT NULL,
    origin       TEXT NOT NULL CHECK (origin IN ('aws', 'customer', 'desk')),
    submitted_by TEXT NOT NULL,
    time_created TEXT NOT NULL,
    body         TEXT NOT NULL,
    -- The names of the attached files, as a JSON array.
    attachments  TEXT NOT NULL DEFAULT '[]',
    recorded_at  TEXT NOT NULL,
    -- The ticket event that shows it (AWS's and the customer side's).
    event_id     BIGINT,
    PRIMARY KEY (ticket_id, fingerprint)
);

CREATE INDEX case_messages_by_time ON case_messages (ticket_id, time_created);
CREATE INDEX case_messages_by_event ON case_messages (event_id);

-- Who the ticket waits on: 'customer' once AWS has replied, until the
-- customer's side answers; NULL otherwise.
ALTER TABLE tickets ADD COLUMN waiting_on TEXT;
