-- Version 8: texts recovered from Plivo's message records, and sends in
-- doubt settled with them.
--
-- A text Plivo received while the server could not store it is backfilled
-- from Plivo's records, which keep no words: it is stored with an empty body
-- and missed set until a late webhook fills its words in, and the contact it
-- came from is under review meanwhile with the reason 'missed' (the lost
-- text may have been STOP). send_began_at is when the latest attempt to send
-- an outbound text began: a send in doubt is settled with Plivo's records
-- since then. leases lets one instance at a time run a job (the backfill):
-- a row with an expiry, so that a killed instance's lease lapses.
-- backfill_runs keeps when each backfill last ran to its end: the next one
-- lists from there, less an overlap.

-- +goose Up
ALTER TABLE messages ADD COLUMN missed BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN send_began_at TIMESTAMPTZ;
ALTER TABLE contacts ADD COLUMN consent_review_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_missed ON messages (contact_id) WHERE missed;
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE backfill_runs (
    name         TEXT PRIMARY KEY,
    succeeded_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
-- The previous release knows no missed text and would show an empty one:
-- its body says what it is instead.
UPDATE messages SET body = '(A text missed while the server was down; Plivo keeps no copy of its words.)' WHERE missed;
DROP TABLE backfill_runs;
DROP TABLE leases;
DROP INDEX messages_missed;
ALTER TABLE contacts DROP COLUMN consent_review_reason;
ALTER TABLE messages DROP COLUMN missed, DROP COLUMN send_began_at;
