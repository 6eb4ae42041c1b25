-- Discord interaction ids already handled, so a redelivered interaction is
-- acted on once.
CREATE TABLE seen_interactions (
    interaction_id TEXT PRIMARY KEY,
    seen_at        TEXT NOT NULL
) WITHOUT ROWID;
