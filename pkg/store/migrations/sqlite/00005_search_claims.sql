-- Version 5: finding and owning threads (see the PostgreSQL twin for what
-- each part is for). The differences:
--
-- * Search runs on FTS5 tables over the messages' and contacts' own rows
--   (external content), kept in step by triggers; their names are the
--   PostgreSQL GIN indexes' names.
-- * The rollup trigger adds to message_rollups directly: SQLite has one
--   writer, so no two transactions ever wait on a rollup row, and
--   message_rollup_deltas stays empty.
-- * threads.claimed_by has no REFERENCES clause: SQLite cannot drop a column
--   that is part of a foreign key, and Down must drop it.
--
-- A later migration that rebuilds the messages or contacts table (as
-- 00002_states.sql does) drops their triggers with them: it must create
-- them again.

-- +goose Up
ALTER TABLE companies ADD COLUMN claim_on_read BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE companies ADD COLUMN claim_minutes INTEGER NOT NULL DEFAULT 10 CHECK (claim_minutes BETWEEN 1 AND 1440);

ALTER TABLE threads ADD COLUMN awaiting_since DATETIME;
ALTER TABLE threads ADD COLUMN claimed_by BIGINT;
ALTER TABLE threads ADD COLUMN claimed_at DATETIME;
ALTER TABLE threads ADD COLUMN claim_expires_at DATETIME;

UPDATE threads SET awaiting_since = (
    SELECT min(i.created_at) FROM messages i
    WHERE i.thread_id = threads.id AND i.direction = 'inbound'
    AND i.id > COALESCE((SELECT max(o.id) FROM messages o WHERE o.thread_id = threads.id AND o.direction = 'outbound'), 0));

DROP INDEX threads_number_recent;
CREATE INDEX threads_inbox_unread ON threads (number_id, last_message_at, id, replied_by, claimed_by, awaiting_since) WHERE unread_count > 0;
CREATE INDEX threads_inbox_read ON threads (number_id, last_message_at, id, replied_by, claimed_by, awaiting_since) WHERE unread_count = 0;
CREATE INDEX threads_claims ON threads (claim_expires_at) WHERE claim_expires_at IS NOT NULL;

CREATE VIRTUAL TABLE messages_search USING fts5 (body, content = 'messages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2');
INSERT INTO messages_search (messages_search) VALUES ('rebuild');
-- +goose StatementBegin
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_search (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_search (messages_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_search (messages_search, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_search (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd

CREATE VIRTUAL TABLE contacts_search USING fts5 (name, email, content = 'contacts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');
-- +goose StatementBegin
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
    INSERT INTO contacts_search (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
-- +goose StatementEnd

CREATE TABLE message_rollups (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    day        DATETIME NOT NULL,                          -- midnight UTC
    number_id  BIGINT NOT NULL REFERENCES numbers (id),
    sender_id  BIGINT NOT NULL,                            -- 0: inbound, or an automatic reply
    direction  TEXT NOT NULL,
    status     TEXT NOT NULL,
    messages   BIGINT NOT NULL,
    segments   BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, number_id, sender_id, direction, status)
);

CREATE TABLE message_rollup_deltas (
    id         INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    day        DATETIME NOT NULL,
    number_id  BIGINT NOT NULL,
    sender_id  BIGINT NOT NULL,
    direction  TEXT NOT NULL,
    status     TEXT NOT NULL,
    messages   BIGINT NOT NULL,
    segments   BIGINT NOT NULL
);
CREATE INDEX message_rollup_deltas_day ON message_rollup_deltas (company_id, day);

CREATE TABLE responses (
    inbound_id   INTEGER PRIMARY KEY REFERENCES messages (id),
    reply_id     BIGINT NOT NULL REFERENCES messages (id),
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    number_id    BIGINT NOT NULL REFERENCES numbers (id),
    contact_id   BIGINT NOT NULL REFERENCES contacts (id),
    responder_id BIGINT REFERENCES users (id),             -- NULL: an automatic reply
    inbound_at   DATETIME NOT NULL,
    seconds      BIGINT NOT NULL
);
CREATE INDEX responses_time ON responses (company_id, inbound_at, number_id, responder_id, seconds);
CREATE INDEX responses_contact ON responses (company_id, contact_id, inbound_at);

-- Stored times are UTC text ("2026-01-02 15:04:05.123456789+00:00"): a day
-- is the date part at midnight, written the way the driver writes times.
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (new.company_id, substr(new.created_at, 1, 10) || ' 00:00:00+00:00', new.number_id, COALESCE(new.sent_by, 0),
        new.direction, new.status, 1, new.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (old.company_id, substr(old.created_at, 1, 10) || ' 00:00:00+00:00', old.number_id, COALESCE(old.sent_by, 0),
        old.direction, old.status, -1, -old.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_update AFTER UPDATE OF status, segments, number_id, sent_by, direction, created_at ON messages
WHEN old.status IS NOT new.status OR old.segments IS NOT new.segments OR old.number_id IS NOT new.number_id
    OR old.sent_by IS NOT new.sent_by OR old.direction IS NOT new.direction OR old.created_at IS NOT new.created_at
BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (old.company_id, substr(old.created_at, 1, 10) || ' 00:00:00+00:00', old.number_id, COALESCE(old.sent_by, 0),
        old.direction, old.status, -1, -old.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (new.company_id, substr(new.created_at, 1, 10) || ' 00:00:00+00:00', new.number_id, COALESCE(new.sent_by, 0),
        new.direction, new.status, 1, new.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
END;
-- +goose StatementEnd

-- Seconds between two stored times, truncated: through whole milliseconds,
-- so that the floating point of unixepoch() cannot turn 60 s into 59.
-- +goose StatementBegin
CREATE TRIGGER messages_response AFTER INSERT ON messages WHEN new.direction = 'outbound' BEGIN
    INSERT INTO responses (inbound_id, reply_id, company_id, number_id, contact_id, responder_id, inbound_at, seconds)
    SELECT i.id, new.id, new.company_id, new.number_id, new.contact_id, new.sent_by, i.created_at,
        MAX(0, CAST(round((unixepoch(new.created_at, 'subsec') - unixepoch(i.created_at, 'subsec')) * 1000) AS INTEGER) / 1000)
    FROM messages i
    WHERE i.thread_id = new.thread_id AND i.direction = 'inbound' AND i.id < new.id
    AND i.id > COALESCE((SELECT max(o.id) FROM messages o
        WHERE o.thread_id = new.thread_id AND o.direction = 'outbound' AND o.id < new.id), 0)
    ON CONFLICT (inbound_id) DO NOTHING;
END;
-- +goose StatementEnd

INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
SELECT company_id, substr(created_at, 1, 10) || ' 00:00:00+00:00', number_id, COALESCE(sent_by, 0),
    direction, status, count(*), sum(segments)
FROM messages GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO responses (inbound_id, reply_id, company_id, number_id, contact_id, responder_id, inbound_at, seconds)
SELECT i.id, o.id, i.company_id, i.number_id, i.contact_id, o.sent_by, i.created_at,
    MAX(0, CAST(round((unixepoch(o.created_at, 'subsec') - unixepoch(i.created_at, 'subsec')) * 1000) AS INTEGER) / 1000)
FROM messages i
JOIN messages o ON o.id = (SELECT min(o2.id) FROM messages o2
    WHERE o2.thread_id = i.thread_id AND o2.direction = 'outbound' AND o2.id > i.id)
WHERE i.direction = 'inbound';

-- +goose Down
DROP TRIGGER messages_response;
DROP TRIGGER messages_rollup_update;
DROP TRIGGER messages_rollup_delete;
DROP TRIGGER messages_rollup_insert;
DROP TABLE responses;
DROP TABLE message_rollup_deltas;
DROP TABLE message_rollups;
DROP TRIGGER contacts_search_update;
DROP TRIGGER contacts_search_delete;
DROP TRIGGER contacts_search_insert;
DROP TABLE contacts_search;
DROP TRIGGER messages_search_update;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_insert;
DROP TABLE messages_search;
DROP INDEX threads_claims;
DROP INDEX threads_inbox_read;
DROP INDEX threads_inbox_unread;
CREATE INDEX threads_number_recent ON threads (number_id, last_message_at);
ALTER TABLE threads DROP COLUMN claim_expires_at;
ALTER TABLE threads DROP COLUMN claimed_at;
ALTER TABLE threads DROP COLUMN claimed_by;
ALTER TABLE threads DROP COLUMN awaiting_since;
ALTER TABLE companies DROP COLUMN claim_minutes;
ALTER TABLE companies DROP COLUMN claim_on_read;
