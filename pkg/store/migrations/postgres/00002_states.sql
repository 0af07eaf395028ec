-- Version 2: the states this release's features need: consent 'implied'
-- (a candidate who texted first), the new consent sources, and the message
-- statuses 'scheduled', 'canceled' and 'unknown'.

-- +goose Up
ALTER TABLE contacts DROP CONSTRAINT contacts_consent_check,
    ADD CONSTRAINT contacts_consent_check CHECK (consent IN ('opted_in', 'opted_out', 'unknown', 'implied'));
ALTER TABLE consent_changes DROP CONSTRAINT consent_changes_source_check,
    ADD CONSTRAINT consent_changes_source_check CHECK (source IN ('application', 'ats', 'keyword', 'admin', 'api', 'phone_changed', 'inbound', 'carrier', 'review', 'request', 'expired', 'erasure'));
ALTER TABLE messages DROP CONSTRAINT messages_status_check,
    ADD CONSTRAINT messages_status_check CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'scheduled', 'canceled', 'unknown')),
    DROP CONSTRAINT messages_send_state_check,
    ADD CONSTRAINT messages_send_state_check CHECK (send_state IN ('none', 'pending', 'sending', 'done', 'unknown', 'canceled'));

-- +goose Down
ALTER TABLE contacts DROP CONSTRAINT contacts_consent_check,
    ADD CONSTRAINT contacts_consent_check CHECK (consent IN ('opted_in', 'opted_out', 'unknown'));
ALTER TABLE consent_changes DROP CONSTRAINT consent_changes_source_check,
    ADD CONSTRAINT consent_changes_source_check CHECK (source IN ('application', 'ats', 'keyword', 'admin'));
ALTER TABLE messages DROP CONSTRAINT messages_status_check,
    ADD CONSTRAINT messages_status_check CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'undelivered', 'failed')),
    DROP CONSTRAINT messages_send_state_check,
    ADD CONSTRAINT messages_send_state_check CHECK (send_state IN ('none', 'pending', 'sending', 'done', 'unknown'));
