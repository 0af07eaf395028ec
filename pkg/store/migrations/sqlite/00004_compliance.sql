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
ALTER TABLE companies ADD COLUMN optin_reply TEXT NOT NULL DEFAULT 'You''re subscribed to texts from {company}. Reply STOP to opt out.';
ALTER TABLE companies ADD COLUMN consent_request TEXT NOT NULL DEFAULT '{company} would like to text you about jobs. Reply YES to agree or STOP to opt out.';
ALTER TABLE companies ADD COLUMN quiet_hours TEXT DEFAULT '21:00-08:00';
ALTER TABLE contacts ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN consent_review BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE contacts ADD COLUMN consent_requested_at DATETIME;
ALTER TABLE consent_changes ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_changes ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_changes ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN consent_entry_id BIGINT;
ALTER TABLE messages ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN hold_note TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN hold_note;
ALTER TABLE messages DROP COLUMN purpose;
ALTER TABLE messages DROP COLUMN consent_entry_id;
ALTER TABLE consent_changes DROP COLUMN hash;
ALTER TABLE consent_changes DROP COLUMN prev_hash;
ALTER TABLE consent_changes DROP COLUMN note;
ALTER TABLE contacts DROP COLUMN consent_requested_at;
ALTER TABLE contacts DROP COLUMN consent_review;
ALTER TABLE contacts DROP COLUMN time_zone;
ALTER TABLE companies DROP COLUMN quiet_hours;
ALTER TABLE companies DROP COLUMN consent_request;
ALTER TABLE companies DROP COLUMN optin_reply;
