-- Each message the bot posts in a ticket's thread, committed with its nonce
-- before it is sent, so that a resend (after a crash or a lost response)
-- returns the message already made. Event 0 is the message the thread is
-- started from (a thread started from a message takes the message's id, so
-- creating it again finds the same thread). Failed sends back off; after a
-- few failures an event is set aside (logged) so it never blocks the thread.
CREATE TABLE thread_posts (
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL,
    nonce           TEXT    NOT NULL,
    message_id      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    PRIMARY KEY (ticket_id, event_id)
);
