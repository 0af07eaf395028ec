-- Version 10: the host ATS.
--
-- webhook_endpoints are the URLs an admin registered to receive the
-- company's events; delivered_seq is how far along the company's feed
-- (the events of topic 'feed:<company>') each has acknowledged, so the
-- feed itself is the durable outbox of deliveries: an instance that dies
-- mid-delivery leaves the cursor where the last 2xx put it. attempts,
-- next_attempt_at and failing_since drive the retries; disabled_at is set
-- when an endpoint has failed for 72 hours. webhook_deliveries is the
-- delivery log: one row per attempt.
--
-- Companies gain the single sign-on settings and retention_days (message
-- words older than it are erased). users.external_id is the ATS's id of a
-- user signed in through SSO; sso_tokens remembers each token id (jti)
-- until it expires, so that a token works once. contacts.erased_at marks a
-- contact whose personal data was erased; events.contact_id names the
-- contact an event is about, so that erasure finds the events to scrub.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id              BIGSERIAL PRIMARY KEY,
    company_id      BIGINT NOT NULL REFERENCES companies (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    delivered_seq   BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    failing_since   TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, id);
CREATE TABLE webhook_deliveries (
    id           BIGSERIAL PRIMARY KEY,
    endpoint_id  BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    first_seq    BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    events       INTEGER NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    status_code  INTEGER NOT NULL,
    error        TEXT NOT NULL,
    latency_ms   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
ALTER TABLE companies ADD COLUMN sso_secret TEXT NOT NULL DEFAULT '',
    ADD COLUMN sso_jwks_url TEXT NOT NULL DEFAULT '',
    ADD COLUMN sso_issuer TEXT NOT NULL DEFAULT '',
    ADD COLUMN sso_provision BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN retention_days INTEGER CHECK (retention_days > 0);
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX companies_sso_issuer ON companies (sso_issuer) WHERE sso_issuer <> '';
CREATE UNIQUE INDEX users_external ON users (company_id, external_id) WHERE external_id IS NOT NULL;
CREATE TABLE sso_tokens (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    jti        TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, jti)
);
ALTER TABLE contacts ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE events ADD COLUMN contact_id BIGINT;
CREATE INDEX events_contact ON events (contact_id) WHERE contact_id IS NOT NULL;

-- +goose Down
DROP INDEX events_contact;
ALTER TABLE events DROP COLUMN contact_id;
ALTER TABLE contacts DROP COLUMN erased_at;
DROP TABLE sso_tokens;
DROP INDEX users_external;
DROP INDEX companies_sso_issuer;
ALTER TABLE users DROP COLUMN external_id;
ALTER TABLE companies DROP COLUMN sso_secret, DROP COLUMN sso_jwks_url, DROP COLUMN sso_issuer,
    DROP COLUMN sso_provision, DROP COLUMN retention_days;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DELETE FROM events WHERE topic LIKE 'feed:%';
DELETE FROM topic_seqs WHERE topic LIKE 'feed:%';
