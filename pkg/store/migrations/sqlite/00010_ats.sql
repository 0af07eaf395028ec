-- Version 10: the host ATS (the PostgreSQL migration of the same version
-- says what each change is for).

-- +goose Up
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id      INTEGER NOT NULL REFERENCES companies (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    delivered_seq   INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME,
    failing_since   DATETIME,
    last_error      TEXT NOT NULL DEFAULT '',
    disabled_at     DATETIME,
    created_at      DATETIME NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, id);
CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id  INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    first_seq    INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    attempted_at DATETIME NOT NULL,
    status_code  INTEGER NOT NULL,
    error        TEXT NOT NULL,
    latency_ms   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
ALTER TABLE companies ADD COLUMN sso_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN sso_jwks_url TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN sso_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN sso_provision BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE companies ADD COLUMN retention_days INTEGER CHECK (retention_days > 0);
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX companies_sso_issuer ON companies (sso_issuer) WHERE sso_issuer <> '';
CREATE UNIQUE INDEX users_external ON users (company_id, external_id) WHERE external_id IS NOT NULL;
CREATE TABLE sso_tokens (
    company_id INTEGER NOT NULL REFERENCES companies (id),
    jti        TEXT NOT NULL,
    expires_at DATETIME NOT NULL,
    PRIMARY KEY (company_id, jti)
);
ALTER TABLE contacts ADD COLUMN erased_at DATETIME;
ALTER TABLE events ADD COLUMN contact_id INTEGER;
CREATE INDEX events_contact ON events (contact_id) WHERE contact_id IS NOT NULL;

-- +goose Down
DROP INDEX events_contact;
ALTER TABLE events DROP COLUMN contact_id;
ALTER TABLE contacts DROP COLUMN erased_at;
DROP TABLE sso_tokens;
DROP INDEX users_external;
DROP INDEX companies_sso_issuer;
ALTER TABLE users DROP COLUMN external_id;
ALTER TABLE companies DROP COLUMN retention_days;
ALTER TABLE companies DROP COLUMN sso_provision;
ALTER TABLE companies DROP COLUMN sso_issuer;
ALTER TABLE companies DROP COLUMN sso_jwks_url;
ALTER TABLE companies DROP COLUMN sso_secret;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DELETE FROM events WHERE topic LIKE 'feed:%';
DELETE FROM topic_seqs WHERE topic LIKE 'feed:%';
