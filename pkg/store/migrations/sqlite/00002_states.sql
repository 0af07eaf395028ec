-- Version 2: the states this release's features need: consent 'implied'
-- (a candidate who texted first), the new consent sources, and the message
-- statuses 'scheduled', 'canceled' and 'unknown'.
--
-- SQLite cannot alter a CHECK constraint, so each of the three tables is
-- rebuilt the way SQLite documents (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"): with foreign keys off, in one
-- transaction, create the new table, copy every row, drop the old one, rename,
-- and create the indexes again. Foreign keys cannot be switched inside a
-- transaction, so goose must not open one.

-- +goose NO TRANSACTION
-- +goose Up
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE contacts_new (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    external_id     TEXT,                                  -- the host ATS's id
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,                         -- E.164
    email           TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL CHECK (kind IN ('candidate', 'hire')),
    consent         TEXT NOT NULL CHECK (consent IN ('opted_in', 'opted_out', 'unknown', 'implied')),
    consent_source  TEXT NOT NULL DEFAULT '',
    consent_at      DATETIME,
    last_message_at DATETIME,                           -- any message on any number: the icon is green
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    UNIQUE (company_id, phone),
    UNIQUE (company_id, external_id)
);
INSERT INTO contacts_new SELECT * FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
CREATE INDEX contacts_company ON contacts (company_id, id);

CREATE TABLE consent_changes_new (
    id         INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('application', 'ats', 'keyword', 'admin', 'api', 'phone_changed', 'inbound', 'carrier', 'review', 'request', 'expired', 'erasure')),
    keyword    TEXT NOT NULL DEFAULT '',
    user_id    BIGINT REFERENCES users (id),
    message_id BIGINT,
    created_at DATETIME NOT NULL
);
INSERT INTO consent_changes_new SELECT * FROM consent_changes;
DROP TABLE consent_changes;
ALTER TABLE consent_changes_new RENAME TO consent_changes;
CREATE INDEX consent_changes_contact ON consent_changes (contact_id, id);

CREATE TABLE messages_new (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    thread_id       BIGINT NOT NULL REFERENCES threads (id),
    number_id       BIGINT NOT NULL REFERENCES numbers (id),   -- copied from the thread for the report
    contact_id      BIGINT NOT NULL REFERENCES contacts (id),  -- copied from the thread for the report
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'scheduled', 'canceled', 'unknown')),
    error_code      TEXT NOT NULL DEFAULT '',
    error_reason    TEXT NOT NULL DEFAULT '',
    segments        INTEGER NOT NULL,
    encoding        TEXT NOT NULL,
    sent_by         BIGINT REFERENCES users (id),
    plivo_uuid      TEXT UNIQUE,                           -- a repeated webhook stores nothing new
    idempotency_key TEXT,
    request_hash    TEXT NOT NULL DEFAULT '',              -- what the Idempotency-Key was first used for
    media_urls      TEXT NOT NULL DEFAULT '',              -- JSON array, MMS only
    flagged         BOOLEAN NOT NULL DEFAULT FALSE,
    -- The durable send queue (outbound only): pending → sending → done, or
    -- unknown when a send may have reached Plivo (never re-sent blindly).
    send_state      TEXT NOT NULL DEFAULT 'none' CHECK (send_state IN ('none', 'pending', 'sending', 'done', 'unknown', 'canceled')),
    send_attempts   INTEGER NOT NULL DEFAULT 0,
    send_after      DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    UNIQUE (sent_by, idempotency_key)
);
INSERT INTO messages_new SELECT * FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_company_time ON messages (company_id, created_at, id);
CREATE INDEX messages_send_queue ON messages (send_after, id) WHERE send_state = 'pending';
CREATE INDEX messages_sending ON messages (updated_at) WHERE send_state = 'sending';
CREATE INDEX messages_send_unknown ON messages (updated_at) WHERE send_state = 'unknown';
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments);
CREATE INDEX messages_report_contact ON messages (company_id, contact_id, created_at, id);
CREATE INDEX messages_report_status ON messages (company_id, status, created_at, id);

COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE contacts_old (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    external_id     TEXT,                                  -- the host ATS's id
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,                         -- E.164
    email           TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL CHECK (kind IN ('candidate', 'hire')),
    consent         TEXT NOT NULL CHECK (consent IN ('opted_in', 'opted_out', 'unknown')),
    consent_source  TEXT NOT NULL DEFAULT '',
    consent_at      DATETIME,
    last_message_at DATETIME,                           -- any message on any number: the icon is green
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    UNIQUE (company_id, phone),
    UNIQUE (company_id, external_id)
);
INSERT INTO contacts_old SELECT * FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_old RENAME TO contacts;
CREATE INDEX contacts_company ON contacts (company_id, id);

CREATE TABLE consent_changes_old (
    id         INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('application', 'ats', 'keyword', 'admin')),
    keyword    TEXT NOT NULL DEFAULT '',
    user_id    BIGINT REFERENCES users (id),
    message_id BIGINT,
    created_at DATETIME NOT NULL
);
INSERT INTO consent_changes_old SELECT * FROM consent_changes;
DROP TABLE consent_changes;
ALTER TABLE consent_changes_old RENAME TO consent_changes;
CREATE INDEX consent_changes_contact ON consent_changes (contact_id, id);

CREATE TABLE messages_old (
    id              INTEGER PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    thread_id       BIGINT NOT NULL REFERENCES threads (id),
    number_id       BIGINT NOT NULL REFERENCES numbers (id),   -- copied from the thread for the report
    contact_id      BIGINT NOT NULL REFERENCES contacts (id),  -- copied from the thread for the report
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'undelivered', 'failed')),
    error_code      TEXT NOT NULL DEFAULT '',
    error_reason    TEXT NOT NULL DEFAULT '',
    segments        INTEGER NOT NULL,
    encoding        TEXT NOT NULL,
    sent_by         BIGINT REFERENCES users (id),
    plivo_uuid      TEXT UNIQUE,                           -- a repeated webhook stores nothing new
    idempotency_key TEXT,
    request_hash    TEXT NOT NULL DEFAULT '',              -- what the Idempotency-Key was first used for
    media_urls      TEXT NOT NULL DEFAULT '',              -- JSON array, MMS only
    flagged         BOOLEAN NOT NULL DEFAULT FALSE,
    -- The durable send queue (outbound only): pending → sending → done, or
    -- unknown when a send may have reached Plivo (never re-sent blindly).
    send_state      TEXT NOT NULL DEFAULT 'none' CHECK (send_state IN ('none', 'pending', 'sending', 'done', 'unknown')),
    send_attempts   INTEGER NOT NULL DEFAULT 0,
    send_after      DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    UNIQUE (sent_by, idempotency_key)
);
INSERT INTO messages_old SELECT * FROM messages;
DROP TABLE messages;
ALTER TABLE messages_old RENAME TO messages;
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_company_time ON messages (company_id, created_at, id);
CREATE INDEX messages_send_queue ON messages (send_after, id) WHERE send_state = 'pending';
CREATE INDEX messages_sending ON messages (updated_at) WHERE send_state = 'sending';
CREATE INDEX messages_send_unknown ON messages (updated_at) WHERE send_state = 'unknown';
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments);
CREATE INDEX messages_report_contact ON messages (company_id, contact_id, created_at, id);
CREATE INDEX messages_report_status ON messages (company_id, status, created_at, id);

COMMIT;
PRAGMA foreign_keys = ON;
