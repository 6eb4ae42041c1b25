-- The Discord thread that follows each ticket, and the last ticket event
-- posted there.
CREATE TABLE ticket_threads (
    ticket_id     BIGINT PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    thread_id     TEXT   NOT NULL,
    last_event_id BIGINT NOT NULL DEFAULT 0
);
