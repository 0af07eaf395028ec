-- Version 3: what running safely needs. A user can be deactivated; API tokens
-- expire and record when they were last used; a websocket ticket remembers
-- the session or API token that minted it, so that ending one ends the
-- sockets opened with it; a user's sessions are found by user (a password
-- change or a deactivation ends them all); and the nonce of each Plivo V2
-- webhook is kept with a digest of what it signed, since V2 does not sign
-- the form.

-- +goose Up
ALTER TABLE users ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

CREATE INDEX sessions_user ON sessions (user_id);

ALTER TABLE api_tokens ADD COLUMN expires_at DATETIME;      -- NULL: never (tokens of 0.1.0)
ALTER TABLE api_tokens ADD COLUMN last_used_at DATETIME;
CREATE INDEX api_tokens_company ON api_tokens (company_id, id);

ALTER TABLE ws_tickets ADD COLUMN session_hash TEXT;        -- the session that minted it
ALTER TABLE ws_tickets ADD COLUMN token_id BIGINT;          -- or the API token

CREATE TABLE webhook_nonces (
    nonce      TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,                               -- SHA-256 of the URL and the sorted form
    created_at DATETIME NOT NULL
);
CREATE INDEX webhook_nonces_created ON webhook_nonces (created_at);

-- +goose Down
-- The previous release knows no deactivated user: it would let one sign in
-- again. Refuse while there is one (reactivate or delete them first).
CREATE TEMPORARY TABLE rollback_guard (
    inactive_users BIGINT CONSTRAINT deactivated_users_exist CHECK (inactive_users = 0)
);
INSERT INTO rollback_guard SELECT COUNT(*) FROM users WHERE NOT active;
DROP TABLE rollback_guard;

DROP TABLE webhook_nonces;
ALTER TABLE ws_tickets DROP COLUMN session_hash;
ALTER TABLE ws_tickets DROP COLUMN token_id;
-- The previous release knows no expiry: expired tokens would work again.
DELETE FROM api_tokens WHERE expires_at <= strftime('%Y-%m-%d %H:%M:%f', 'now');
DROP INDEX api_tokens_company;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE api_tokens DROP COLUMN last_used_at;
DROP INDEX sessions_user;
ALTER TABLE users DROP COLUMN active;
