-- Leases: which instance holds a duty (the Health poll, the case worker,
-- the posting loops, a Cost Explorer query being fetched) and until when.
-- Times are the database's clock in milliseconds since 1970, so instances
-- on hosts whose clocks disagree still agree on who holds what.
CREATE TABLE leases (
    name        TEXT   PRIMARY KEY,
    holder      TEXT   NOT NULL,
    expires_ms  BIGINT NOT NULL,
    acquired_ms BIGINT NOT NULL
);
