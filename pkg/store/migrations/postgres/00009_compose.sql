-- Version 9: composing — templates, scheduled and bulk sends, resends.
--
-- * templates: a company's saved texts with merge fields ({{contact.first_name|there}});
--   a shared one is the company's (admins change it), others their author's.
-- * bulk_sends: one text to many contacts at once. Each contact gets its own
--   message (messages.bulk_id), queued when the bulk send is made, so that
--   the outbox paces them by the number's send lane and a restart loses
--   none and sends none twice. skipped keeps the contacts the send gate
--   refused, with its reasons (JSON); progress the counts last pushed to the
--   sender (JSON), so that one instance pushes each change once.
-- * messages.resend_of: the failed text a resend repeats.

-- +goose Up
CREATE TABLE templates (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    shared     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX templates_company ON templates (company_id, id);
CREATE TABLE bulk_sends (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    number_id   BIGINT NOT NULL REFERENCES numbers (id),
    total       INTEGER NOT NULL,
    skipped     TEXT NOT NULL DEFAULT '[]',
    progress    TEXT NOT NULL DEFAULT '',
    finished    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    canceled_at TIMESTAMPTZ
);
CREATE INDEX bulk_sends_unfinished ON bulk_sends (id) WHERE NOT finished;
ALTER TABLE messages ADD COLUMN bulk_id BIGINT REFERENCES bulk_sends (id),
    ADD COLUMN resend_of BIGINT REFERENCES messages (id);
CREATE INDEX messages_bulk ON messages (bulk_id, status) WHERE bulk_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_bulk;
ALTER TABLE messages DROP COLUMN resend_of, DROP COLUMN bulk_id;
DROP TABLE bulk_sends;
DROP TABLE templates;
