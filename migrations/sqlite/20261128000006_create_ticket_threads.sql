-- The Discord thread that follows each ticket, and the last ticket event
-- posted there.
CREATE TABLE ticket_threads (
    ticket_id     INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    thread_id     TEXT    NOT NULL,
    last_event_id INTEGER NOT NULL DEFAULT 0
);
