-- Files sent with a note to AWS, kept with the note until AWS has them, so
-- that an accepted note and its files are on disk before anything is sent
-- (AWS accepts at most three files of 5 MB each a set). The attachment set
-- AWS made for them (AddAttachmentsToSet) is remembered until it expires
-- (an hour after it was made), so that a note resent after a lost answer
-- sends the same set instead of uploading the files again.
CREATE TABLE case_action_files (
    action_id INTEGER  NOT NULL REFERENCES case_actions (id) ON DELETE CASCADE,
    position  INTEGER  NOT NULL,
    name      TEXT  NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (action_id, position)
);

ALTER TABLE case_actions ADD COLUMN attachment_set_id TEXT;
ALTER TABLE case_actions ADD COLUMN attachment_set_expires_at TEXT;
