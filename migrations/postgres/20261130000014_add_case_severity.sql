-- The severity the ticket's AWS case was opened at, when the account's
-- support plan did not offer the ticket's own (NULL: the ticket's). The
-- ticket keeps the severity asked for: the provider's own urgency, and its
-- critical announcements, follow it.
ALTER TABLE tickets ADD COLUMN case_severity TEXT;
