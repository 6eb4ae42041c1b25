-- Answers from paid AWS APIs (Cost Explorer costs $0.01 a request), kept
-- across restarts, keyed by the exact query.
CREATE TABLE aws_cache (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

-- Every paid request made, to count and show what the bot spends on AWS.
CREATE TABLE aws_requests (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    at    TEXT    NOT NULL,
    api   TEXT    NOT NULL,
    pages INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX aws_requests_by_api ON aws_requests (api, at);
