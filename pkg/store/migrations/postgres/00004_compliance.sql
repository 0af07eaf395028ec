-- Version 4: consent and quiet hours. The company's opt-in confirmation,
-- consent request text and quiet hours; a contact's time zone, possible
-- opt-out under review and last consent request; the consent ledger's note
-- and hash chain; and on each outbound message the consent entry that
-- allowed it, why it was sent (a user's text, a keyword's confirmation, a
-- consent request) and why it is held.
--
-- Ledger rows written before this version have no hash: the server chains
-- them once at start, in id order (inbox.Service.ChainConsentLedger).

-- +goose Up
ALTER TABLE companies
    ADD COLUMN optin_reply TEXT NOT NULL DEFAULT 'You''re subscribed to texts from {company}. Reply STOP to opt out.',
    ADD COLUMN consent_request TEXT NOT NULL DEFAULT '{company} would like to text you about jobs. Reply YES to agree or STOP to opt out.',
    ADD COLUMN quiet_hours TEXT DEFAULT '21:00-08:00';   -- start-end in the contact's local time; NULL: none
ALTER TABLE contacts
    ADD COLUMN time_zone TEXT NOT NULL DEFAULT '',       -- IANA; empty: the zones of the phone number
    ADD COLUMN consent_review BOOLEAN NOT NULL DEFAULT FALSE, -- a possible opt-out waits for a person
    ADD COLUMN consent_requested_at TIMESTAMPTZ;         -- the last consent request sent
ALTER TABLE consent_changes
    ADD COLUMN note TEXT NOT NULL DEFAULT '',
    ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '',
    ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE messages
    ADD COLUMN consent_entry_id BIGINT,                  -- the ledger entry that allowed an outbound text
    ADD COLUMN purpose TEXT NOT NULL DEFAULT '',         -- '', 'confirmation' or 'consent_request'
    ADD COLUMN hold_note TEXT NOT NULL DEFAULT '';       -- why a scheduled text waits

-- +goose Down
ALTER TABLE messages DROP COLUMN hold_note, DROP COLUMN purpose, DROP COLUMN consent_entry_id;
ALTER TABLE consent_changes DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN note;
ALTER TABLE contacts DROP COLUMN consent_requested_at, DROP COLUMN consent_review, DROP COLUMN time_zone;
ALTER TABLE companies DROP COLUMN quiet_hours, DROP COLUMN consent_request, DROP COLUMN optin_reply;
