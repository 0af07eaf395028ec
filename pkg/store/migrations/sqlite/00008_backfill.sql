-- Version 8: texts recovered from Plivo's message records, and sends in
-- doubt settled with them (the PostgreSQL migration of the same version
-- says what each change is for).

-- +goose Up
ALTER TABLE messages ADD COLUMN missed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN send_began_at DATETIME;
ALTER TABLE contacts ADD COLUMN consent_review_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_missed ON messages (contact_id) WHERE missed;
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE TABLE backfill_runs (
    name         TEXT PRIMARY KEY,
    succeeded_at DATETIME NOT NULL
);

-- +goose Down
-- The previous release knows no missed text and would show an empty one:
-- its body says what it is instead.
UPDATE messages SET body = '(A text missed while the server was down; Plivo keeps no copy of its words.)' WHERE missed;
DROP TABLE backfill_runs;
DROP TABLE leases;
DROP INDEX messages_missed;
ALTER TABLE contacts DROP COLUMN consent_review_reason;
ALTER TABLE messages DROP COLUMN send_began_at;
ALTER TABLE messages DROP COLUMN missed;
