-- Version 5: finding and owning threads.
--
-- * Claims: who is handling a thread and until when (threads.claimed_*), and
--   the company settings claim_on_read and claim_minutes.
-- * Awaiting: when the contact's unanswered texts began (threads.awaiting_since).
-- * The inbox's keyset pages: one index per read state, in the inbox's order.
-- * Search: full-text GIN indexes on message bodies and contact names.
-- * The report's rollups: message counts per day, number, sender, direction
--   and status, kept by a trigger as appended deltas that the janitor folds
--   into message_rollups (no row is updated by two transactions at once, so
--   message writes never wait on one another for them); and one row per
--   answered inbound text with its response time (responses), kept by a
--   trigger too. Triggers see every write of every release, whatever path
--   changed a message.
--
-- The messages table is rewritten (search_vector) and its GIN index built
-- inside the migration's transaction: writes to messages wait until both are
-- done (minutes per million messages on a small machine).

-- +goose Up
ALTER TABLE companies
    ADD COLUMN claim_on_read BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN claim_minutes INTEGER NOT NULL DEFAULT 10 CHECK (claim_minutes BETWEEN 1 AND 1440);

ALTER TABLE threads
    ADD COLUMN awaiting_since   TIMESTAMPTZ,
    ADD COLUMN claimed_by       BIGINT REFERENCES users (id),
    ADD COLUMN claimed_at       TIMESTAMPTZ,
    ADD COLUMN claim_expires_at TIMESTAMPTZ;

-- A thread awaits a reply since its first inbound text after its last
-- outbound one.
UPDATE threads t SET awaiting_since = (
    SELECT min(i.created_at) FROM messages i
    WHERE i.thread_id = t.id AND i.direction = 'inbound'
    AND i.id > COALESCE((SELECT max(o.id) FROM messages o WHERE o.thread_id = t.id AND o.direction = 'outbound'), 0));

DROP INDEX threads_number_recent;
CREATE INDEX threads_inbox_unread ON threads (number_id, last_message_at, id, replied_by, claimed_by, awaiting_since) WHERE unread_count > 0;
CREATE INDEX threads_inbox_read ON threads (number_id, last_message_at, id, replied_by, claimed_by, awaiting_since) WHERE unread_count = 0;
CREATE INDEX threads_claims ON threads (claim_expires_at) WHERE claim_expires_at IS NOT NULL;

-- The text's search words are stored with it (a generated column: every
-- writer keeps it right), so that ranking and matching read them instead of
-- parsing each text again. Adding it rewrites the table once.
ALTER TABLE messages ADD COLUMN search_vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', body)) STORED;
CREATE INDEX messages_search ON messages USING gin (search_vector);
CREATE INDEX contacts_search ON contacts USING gin (to_tsvector('simple', name || ' ' || translate(email, '@.', '  ')));

CREATE TABLE message_rollups (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    day        TIMESTAMPTZ NOT NULL,                       -- midnight UTC
    number_id  BIGINT NOT NULL REFERENCES numbers (id),
    sender_id  BIGINT NOT NULL,                            -- 0: inbound, or an automatic reply
    direction  TEXT NOT NULL,
    status     TEXT NOT NULL,
    messages   BIGINT NOT NULL,
    segments   BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, number_id, sender_id, direction, status)
);

CREATE TABLE message_rollup_deltas (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL,
    day        TIMESTAMPTZ NOT NULL,
    number_id  BIGINT NOT NULL,
    sender_id  BIGINT NOT NULL,
    direction  TEXT NOT NULL,
    status     TEXT NOT NULL,
    messages   BIGINT NOT NULL,
    segments   BIGINT NOT NULL
);
CREATE INDEX message_rollup_deltas_day ON message_rollup_deltas (company_id, day);

CREATE TABLE responses (
    inbound_id   BIGINT PRIMARY KEY REFERENCES messages (id),
    reply_id     BIGINT NOT NULL REFERENCES messages (id),
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    number_id    BIGINT NOT NULL REFERENCES numbers (id),
    contact_id   BIGINT NOT NULL REFERENCES contacts (id),
    responder_id BIGINT REFERENCES users (id),             -- NULL: an automatic reply
    inbound_at   TIMESTAMPTZ NOT NULL,
    seconds      BIGINT NOT NULL
);
CREATE INDEX responses_time ON responses (company_id, inbound_at, number_id, responder_id, seconds);
CREATE INDEX responses_contact ON responses (company_id, contact_id, inbound_at);

-- +goose StatementBegin
CREATE FUNCTION messages_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments)
        VALUES (OLD.company_id, date_trunc('day', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', OLD.number_id,
            COALESCE(OLD.sent_by, 0), OLD.direction, OLD.status, -1, -OLD.segments);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments)
        VALUES (NEW.company_id, date_trunc('day', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', NEW.number_id,
            COALESCE(NEW.sent_by, 0), NEW.direction, NEW.status, 1, NEW.segments);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER messages_rollup_write AFTER INSERT OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_rollup();
CREATE TRIGGER messages_rollup_update AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.segments IS DISTINCT FROM NEW.segments
        OR OLD.number_id IS DISTINCT FROM NEW.number_id OR OLD.sent_by IS DISTINCT FROM NEW.sent_by
        OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION messages_rollup();

-- An outbound text answers every inbound text of its thread since the
-- outbound one before it.
-- +goose StatementBegin
CREATE FUNCTION messages_response() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO responses (inbound_id, reply_id, company_id, number_id, contact_id, responder_id, inbound_at, seconds)
    SELECT i.id, NEW.id, NEW.company_id, NEW.number_id, NEW.contact_id, NEW.sent_by, i.created_at,
        GREATEST(0, floor(extract(epoch FROM NEW.created_at - i.created_at)))::bigint
    FROM messages i
    WHERE i.thread_id = NEW.thread_id AND i.direction = 'inbound' AND i.id < NEW.id
    AND i.id > COALESCE((SELECT max(o.id) FROM messages o
        WHERE o.thread_id = NEW.thread_id AND o.direction = 'outbound' AND o.id < NEW.id), 0)
    ON CONFLICT (inbound_id) DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER messages_response AFTER INSERT ON messages FOR EACH ROW
    WHEN (NEW.direction = 'outbound') EXECUTE FUNCTION messages_response();

-- What is stored already.
INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
SELECT company_id, date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', number_id, COALESCE(sent_by, 0),
    direction, status, count(*), sum(segments)
FROM messages GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO responses (inbound_id, reply_id, company_id, number_id, contact_id, responder_id, inbound_at, seconds)
SELECT i.id, o.id, i.company_id, i.number_id, i.contact_id, o.sent_by, i.created_at,
    GREATEST(0, floor(extract(epoch FROM o.created_at - i.created_at)))::bigint
FROM messages i
JOIN messages o ON o.id = (SELECT min(o2.id) FROM messages o2
    WHERE o2.thread_id = i.thread_id AND o2.direction = 'outbound' AND o2.id > i.id)
WHERE i.direction = 'inbound';

-- +goose Down
DROP TRIGGER messages_response ON messages;
DROP FUNCTION messages_response();
DROP TRIGGER messages_rollup_update ON messages;
DROP TRIGGER messages_rollup_write ON messages;
DROP FUNCTION messages_rollup();
DROP TABLE responses;
DROP TABLE message_rollup_deltas;
DROP TABLE message_rollups;
DROP INDEX contacts_search;
DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search_vector;
DROP INDEX threads_claims;
DROP INDEX threads_inbox_read;
DROP INDEX threads_inbox_unread;
CREATE INDEX threads_number_recent ON threads (number_id, last_message_at);
ALTER TABLE threads
    DROP COLUMN claim_expires_at,
    DROP COLUMN claimed_at,
    DROP COLUMN claimed_by,
    DROP COLUMN awaiting_since;
ALTER TABLE companies
    DROP COLUMN claim_minutes,
    DROP COLUMN claim_on_read;
