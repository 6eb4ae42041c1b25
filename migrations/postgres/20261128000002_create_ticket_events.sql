-- Every change to a ticket: who, when, what. Append-only.
CREATE TABLE ticket_events (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at         TEXT   NOT NULL,
    actor_id   TEXT   NOT NULL,
    actor_name TEXT   NOT NULL,
    -- opened, note, approved, case_attempt, case_created, case_failed,
    -- case_status, resolved, reopened
    kind       TEXT   NOT NULL,
    detail     TEXT   NOT NULL DEFAULT ''
);

CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);
