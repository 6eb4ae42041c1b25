-- A customer's reply to AWS waits for an engineer's approval when the
-- configuration asks for it (escalations.approve_customer_replies): held
-- (1) until an engineer approves it, then passed on like any other.
ALTER TABLE case_actions ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
