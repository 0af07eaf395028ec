-- smsinbox schema for PostgreSQL: the whole current schema in one file, to
-- read. It is not applied: the server builds and upgrades its database with
-- the versioned migrations in pkg/store/migrations/postgres (and their SQLite
-- twins in pkg/store/migrations/sqlite). A test checks that migrating an empty
-- database gives exactly this schema, so when you add a migration, change this
-- file to match (docs/OPERATIONS.md, "Adding a migration").
--
-- Timestamps are written by the application in UTC, so both engines agree.

CREATE TABLE companies (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    sms_enabled  BOOLEAN NOT NULL DEFAULT TRUE,
    optout_reply TEXT NOT NULL DEFAULT '',                 -- sent once on STOP
    help_reply   TEXT NOT NULL DEFAULT '',                 -- sent on HELP
    created_at   TIMESTAMPTZ NOT NULL,
    optin_reply  TEXT NOT NULL DEFAULT 'You''re subscribed to texts from {company}. Reply STOP to opt out.',
    consent_request TEXT NOT NULL DEFAULT '{company} would like to text you about jobs. Reply YES to agree or STOP to opt out.',
    quiet_hours  TEXT DEFAULT '21:00-08:00',               -- start-end in the contact's local time; NULL: none
    claim_on_read BOOLEAN NOT NULL DEFAULT TRUE,           -- the read that clears every bell claims the thread
    claim_minutes INTEGER NOT NULL DEFAULT 10 CHECK (claim_minutes BETWEEN 1 AND 1440), -- a claim lapses after
    default_region TEXT NOT NULL DEFAULT '',              -- ISO 3166 alpha-2 for national-format numbers; '' = the server's
    sso_secret    TEXT NOT NULL DEFAULT '',                -- HS256 secret of the ATS's sign-in tokens
    sso_jwks_url  TEXT NOT NULL DEFAULT '',                -- or the JWKS of its RS256/ES256 keys
    sso_issuer    TEXT NOT NULL DEFAULT '',                -- the tokens' iss
    sso_provision BOOLEAN NOT NULL DEFAULT FALSE,          -- an unknown user is created as a recruiter
    retention_days INTEGER CHECK (retention_days > 0)      -- message words older than this are erased; NULL: kept
);
CREATE UNIQUE INDEX companies_sso_issuer ON companies (sso_issuer) WHERE sso_issuer <> '';

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    company_id    BIGINT NOT NULL REFERENCES companies (id),
    email         TEXT NOT NULL UNIQUE,                    -- stored lower-case; login is by email alone
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'recruiter')),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,           -- a deactivated user cannot sign in
    external_id   TEXT                                     -- the ATS's id of a user signed in through SSO
);
CREATE INDEX users_company ON users (company_id, id);
CREATE UNIQUE INDEX users_external ON users (company_id, external_id) WHERE external_id IS NOT NULL;

-- Sessions, API tokens and websocket tickets keep only a SHA-256 of the secret.
-- A session's expires_at is its idle deadline, moved on by its requests but
-- never past created_at + the absolute lifetime.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    company_id   BIGINT NOT NULL REFERENCES companies (id),
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- the admin it acts as
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,                              -- NULL: never (tokens of 0.1.0)
    last_used_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_company ON api_tokens (company_id, id);

-- Unlogged: a ticket lives 30 s, so losing them in a crash costs a reconnect,
-- and their commits need not wait for the WAL flush.
CREATE UNLOGGED TABLE ws_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    session_hash TEXT,                                     -- the session that minted it
    token_id    BIGINT                                     -- or the API token
);
CREATE INDEX ws_tickets_expires ON ws_tickets (expires_at);

CREATE TABLE numbers (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    e164       TEXT NOT NULL UNIQUE,                       -- inbound webhooks find the number by it
    label      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX numbers_company ON numbers (company_id, id);

CREATE TABLE number_assignees (
    number_id BIGINT NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (number_id, user_id)
);
CREATE INDEX number_assignees_user ON number_assignees (user_id, number_id);

CREATE TABLE contacts (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    external_id     TEXT,                                  -- the host ATS's id
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,                         -- E.164
    email           TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL CHECK (kind IN ('candidate', 'hire')),
    consent         TEXT NOT NULL CHECK (consent IN ('opted_in', 'opted_out', 'unknown', 'implied')),
    consent_source  TEXT NOT NULL DEFAULT '',
    consent_at      TIMESTAMPTZ,
    last_message_at TIMESTAMPTZ,                           -- any message on any number: the icon is green
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    time_zone       TEXT NOT NULL DEFAULT '',              -- IANA; empty: the zones of the phone number
    consent_review  BOOLEAN NOT NULL DEFAULT FALSE,        -- a possible opt-out waits for a person
    consent_requested_at TIMESTAMPTZ,                      -- the last consent request sent
    consent_review_reason TEXT NOT NULL DEFAULT '',        -- why under review: '' (a text asked to stop) or 'missed'
    erased_at       TIMESTAMPTZ,                           -- the personal data was erased (DELETE /api/contacts/{id})
    UNIQUE (company_id, phone),
    UNIQUE (company_id, external_id)
);
CREATE INDEX contacts_company ON contacts (company_id, id);
-- Search finds contacts by the words of their name and email.
CREATE INDEX contacts_search ON contacts USING gin (to_tsvector('simple', name || ' ' || translate(email, '@.', '  ')));

-- The consent ledger: every change of a contact's consent, never updated.
CREATE TABLE consent_changes (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('application', 'ats', 'keyword', 'admin', 'api', 'phone_changed', 'inbound', 'carrier', 'review', 'request', 'expired', 'erasure')),
    keyword    TEXT NOT NULL DEFAULT '',
    user_id    BIGINT REFERENCES users (id),
    message_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    -- A hash chain per contact: hash = SHA-256 of prev_hash and the entry's
    -- canonical JSON (docs/COMPLIANCE.md), so an altered entry shows.
    note       TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL DEFAULT '',
    hash       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consent_changes_contact ON consent_changes (contact_id, id);

CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies (id),
    external_id TEXT,
    title       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, external_id)
);
CREATE INDEX jobs_company ON jobs (company_id, id);

CREATE TABLE applicants (
    job_id     BIGINT NOT NULL REFERENCES jobs (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, contact_id)
);
CREATE INDEX applicants_contact ON applicants (contact_id);

-- A thread is one number and one contact; its read state is shared by every
-- assignee of the number.
CREATE TABLE threads (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    number_id       BIGINT NOT NULL REFERENCES numbers (id),
    contact_id      BIGINT NOT NULL REFERENCES contacts (id),
    unread_count    INTEGER NOT NULL DEFAULT 0,
    read_by         BIGINT REFERENCES users (id),
    read_at         TIMESTAMPTZ,
    replied_by      BIGINT REFERENCES users (id),          -- sender of the latest outbound message
    last_message_id BIGINT,
    last_message_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    awaiting_since   TIMESTAMPTZ,                          -- the first inbound text after the last outbound one
    claimed_by       BIGINT REFERENCES users (id),         -- who is handling the thread, until claim_expires_at
    claimed_at       TIMESTAMPTZ,
    claim_expires_at TIMESTAMPTZ,
    UNIQUE (number_id, contact_id)
);
CREATE INDEX threads_contact ON threads (contact_id);
-- The inbox's order (unread first, then the most recent) as one index per
-- read state, so that each page of either is a short range read per number;
-- the filters' columns (mine, awaiting) ride along, so that a filtered page
-- is read from the index alone.
CREATE INDEX threads_inbox_unread ON threads (number_id, last_message_at, id, replied_by, claimed_by, awaiting_since) WHERE unread_count > 0;
CREATE INDEX threads_inbox_read ON threads (number_id, last_message_at, id, replied_by, claimed_by, awaiting_since) WHERE unread_count = 0;
-- The claims that lapse next.
CREATE INDEX threads_claims ON threads (claim_expires_at) WHERE claim_expires_at IS NOT NULL;

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
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
    send_after      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    consent_entry_id BIGINT,                               -- the ledger entry that allowed an outbound text
    purpose         TEXT NOT NULL DEFAULT '',              -- '', 'confirmation' or 'consent_request'
    hold_note       TEXT NOT NULL DEFAULT '',              -- why a scheduled text waits
    search_vector   TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', body)) STORED, -- the words search matches
    -- What Plivo charged, from its status callbacks: exact decimals.
    units           INTEGER,
    total_rate      NUMERIC,
    total_amount    NUMERIC,
    -- A text Plivo's records show we never stored: no words until a late
    -- webhook fills them in.
    missed          BOOLEAN NOT NULL DEFAULT FALSE,
    send_began_at   TIMESTAMPTZ,                           -- when the latest attempt to send began
    bulk_id         BIGINT,                                -- the bulk send it is part of (see bulk_sends)
    resend_of       BIGINT REFERENCES messages (id),       -- the failed text it repeats
    UNIQUE (sent_by, idempotency_key)
);
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_company_time ON messages (company_id, created_at, id);
CREATE INDEX messages_send_queue ON messages (send_after, id) WHERE send_state = 'pending';
CREATE INDEX messages_sending ON messages (updated_at) WHERE send_state = 'sending';
CREATE INDEX messages_send_unknown ON messages (updated_at) WHERE send_state = 'unknown';
-- Search: full text of every message, its words stored beside it.
CREATE INDEX messages_search ON messages USING gin (search_vector);
CREATE INDEX messages_missed ON messages (contact_id) WHERE missed;

-- One lane per sending number: next_at is when it may send again, so each
-- number sends at most at its rate across every process.
CREATE TABLE number_lanes (
    number_id BIGINT PRIMARY KEY REFERENCES numbers (id) ON DELETE CASCADE,
    next_at   TIMESTAMPTZ NOT NULL
);

-- Status callbacks we could not match to a message yet (they may overtake the
-- send call); applied when the send records its MessageUUID.
CREATE TABLE pending_statuses (
    id          BIGSERIAL PRIMARY KEY,
    plivo_uuid  TEXT NOT NULL,
    status      TEXT NOT NULL,
    error_code  TEXT NOT NULL DEFAULT '',
    error_reason TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    units       INTEGER,
    total_rate  NUMERIC,
    total_amount NUMERIC,
    opted_out   BOOLEAN NOT NULL DEFAULT FALSE  -- the error code was the carrier's opt-out
);
CREATE INDEX pending_statuses_uuid ON pending_statuses (plivo_uuid);

-- Events pushed to browsers. Each topic's seq is gapless: it comes from
-- topic_seqs inside the writing transaction, so seq order is commit order.
CREATE TABLE topic_seqs (
    topic TEXT PRIMARY KEY,
    seq   BIGINT NOT NULL
);

CREATE TABLE events (
    topic      TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    type       TEXT NOT NULL,
    payload    JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    contact_id BIGINT,                                     -- the contact the event is about: erasure scrubs it
    PRIMARY KEY (topic, seq)
);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_contact ON events (contact_id) WHERE contact_id IS NOT NULL;

-- Who read the SMS Activity report, when, and with which filters.
CREATE TABLE report_audit (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    filters    TEXT NOT NULL,
    format     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_audit_company ON report_audit (company_id, id);

-- The SMS Activity report (admins only). Each filter has an index that leads
-- with the company and goes on in the report's order (created_at, id), so the
-- first page of any filter is a short range read newest first, never a scan
-- of the month for rows that match rarely (a quiet contact, a status nobody
-- has); with no filter, messages_company_time serves. The number and sender
-- indexes also hold every column the totals count, so that a number's or a
-- user's totals are read from the index alone (PostgreSQL's index-only scan)
-- instead of from rows scattered over the whole table.
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments, units, total_amount);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments, units, total_amount);
CREATE INDEX messages_report_contact ON messages (company_id, contact_id, created_at, id);
CREATE INDEX messages_report_status ON messages (company_id, status, created_at, id);

-- The nonce of every Plivo V2 webhook accepted in the last week, with a
-- SHA-256 of the URL and the sorted form it came with: V2 signs only the URL
-- and the nonce, so a nonce seen again is accepted only with the same form
-- (Plivo's retry), never with another one (a forgery).
CREATE TABLE webhook_nonces (
    nonce      TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_nonces_created ON webhook_nonces (created_at);

-- The report's totals, kept as messages are written: counts and Plivo's
-- charge per day (UTC), number, sender (0 for inbound texts and automatic
-- replies), direction and status. A trigger appends each change as a delta
-- (a charge set after the insert too); the janitor folds the deltas into
-- message_rollups. Readers add both.
CREATE TABLE message_rollups (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    day        TIMESTAMPTZ NOT NULL,                       -- midnight UTC
    number_id  BIGINT NOT NULL REFERENCES numbers (id),
    sender_id  BIGINT NOT NULL,                            -- 0: inbound, or an automatic reply
    direction  TEXT NOT NULL,
    status     TEXT NOT NULL,
    messages   BIGINT NOT NULL,
    segments   BIGINT NOT NULL,
    units      BIGINT NOT NULL DEFAULT 0,                  -- parts Plivo charged
    amount     NUMERIC NOT NULL DEFAULT 0,                 -- what it charged, exactly
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
    segments   BIGINT NOT NULL,
    units      BIGINT NOT NULL DEFAULT 0,
    amount     NUMERIC NOT NULL DEFAULT 0
);
CREATE INDEX message_rollup_deltas_day ON message_rollup_deltas (company_id, day);

-- The report's response times: one row per answered inbound text, with the
-- time to the next outbound text of its thread.
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

CREATE FUNCTION messages_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
        VALUES (OLD.company_id, date_trunc('day', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', OLD.number_id,
            COALESCE(OLD.sent_by, 0), OLD.direction, OLD.status, -1, -OLD.segments,
            -COALESCE(OLD.units, 0), -COALESCE(OLD.total_amount, 0));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
        VALUES (NEW.company_id, date_trunc('day', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', NEW.number_id,
            COALESCE(NEW.sent_by, 0), NEW.direction, NEW.status, 1, NEW.segments,
            COALESCE(NEW.units, 0), COALESCE(NEW.total_amount, 0));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_rollup_write AFTER INSERT OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_rollup();
CREATE TRIGGER messages_rollup_update AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.segments IS DISTINCT FROM NEW.segments
        OR OLD.number_id IS DISTINCT FROM NEW.number_id OR OLD.sent_by IS DISTINCT FROM NEW.sent_by
        OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.units IS DISTINCT FROM NEW.units OR OLD.total_amount IS DISTINCT FROM NEW.total_amount)
    EXECUTE FUNCTION messages_rollup();

-- An outbound text answers every inbound text of its thread since the
-- outbound one before it.
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

CREATE TRIGGER messages_response AFTER INSERT ON messages FOR EACH ROW
    WHEN (NEW.direction = 'outbound') EXECUTE FUNCTION messages_response();
-- One instance at a time runs a job (the backfill from Plivo's records): it
-- holds the job's lease until expires_at and renews it while it works, so
-- that the lease of an instance that died lapses.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- When each backfill last ran to its end: the next one lists Plivo's records
-- from there, less an overlap.
CREATE TABLE backfill_runs (
    name         TEXT PRIMARY KEY,
    succeeded_at TIMESTAMPTZ NOT NULL
);

-- Saved texts with merge fields ({{contact.first_name|there}}): a shared one
-- is the company's (admins change it), others their author's.
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

-- One text to many contacts: each gets its own message (messages.bulk_id),
-- queued at once and paced by the number's send lane. skipped: the contacts
-- the send gate refused, with reasons (JSON); progress: the counts last
-- pushed to the sender (JSON), so that one instance pushes each change once.
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
ALTER TABLE messages ADD CONSTRAINT messages_bulk_id_fkey FOREIGN KEY (bulk_id) REFERENCES bulk_sends (id);
CREATE INDEX messages_bulk ON messages (bulk_id, status) WHERE bulk_id IS NOT NULL;
-- The host ATS's webhook endpoints. The company's feed (the events of topic
-- 'feed:<company>', with a gapless company-wide seq) is the durable outbox:
-- delivered_seq is how far an endpoint has acknowledged it. A failing
-- endpoint is retried at next_attempt_at; after 72 hours of failures
-- (failing_since) it is disabled.
CREATE TABLE webhook_endpoints (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,                         -- JSON array of event types; ["*"]: every type
    secret          TEXT NOT NULL,                         -- signs every delivery (HMAC-SHA256)
    delivered_seq   BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,            -- failed attempts in a row
    next_attempt_at TIMESTAMPTZ,
    failing_since   TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, id);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_deliveries (
    id           BIGSERIAL PRIMARY KEY,
    endpoint_id  BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    first_seq    BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    events       INTEGER NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    status_code  INTEGER NOT NULL,                         -- 0: no answer
    error        TEXT NOT NULL,
    latency_ms   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The id (jti) of every SSO token used, until it expires: a token works once.
CREATE TABLE sso_tokens (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    jti        TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, jti)
);
