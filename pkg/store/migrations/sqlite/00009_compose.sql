-- Version 9: composing — templates, scheduled and bulk sends, resends (the
-- PostgreSQL migration of the same version says what each change is for).

-- +goose Up
CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    shared     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX templates_company ON templates (company_id, id);
CREATE TABLE bulk_sends (
    id          INTEGER PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    number_id   BIGINT NOT NULL REFERENCES numbers (id),
    total       INTEGER NOT NULL,
    skipped     TEXT NOT NULL DEFAULT '[]',
    progress    TEXT NOT NULL DEFAULT '',
    finished    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  DATETIME NOT NULL,
    canceled_at DATETIME
);
CREATE INDEX bulk_sends_unfinished ON bulk_sends (id) WHERE NOT finished;
ALTER TABLE messages ADD COLUMN bulk_id BIGINT REFERENCES bulk_sends (id);
ALTER TABLE messages ADD COLUMN resend_of BIGINT REFERENCES messages (id);
CREATE INDEX messages_bulk ON messages (bulk_id, status) WHERE bulk_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_bulk;
ALTER TABLE messages DROP COLUMN resend_of;
ALTER TABLE messages DROP COLUMN bulk_id;
DROP TABLE bulk_sends;
DROP TABLE templates;
