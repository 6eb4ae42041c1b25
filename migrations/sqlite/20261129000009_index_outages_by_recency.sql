-- The posting loop asks every few seconds for outages that are open, ended
-- recently, or shown somewhere at an older revision: each part reads an
-- index instead of the whole history.
CREATE INDEX outages_by_recency ON outages (coalesce(ended_at, last_updated));
CREATE INDEX outage_posts_by_outage ON outage_posts (outage_id, posted_revision);
