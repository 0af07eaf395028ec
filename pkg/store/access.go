package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// Sessions, API tokens, websocket tickets and what ends them.

func (q queries) Session(ctx context.Context, tokenHash string, now time.Time) (inbox.StoredSession, error) {
	var row struct {
		inbox.User
		CreatedAt time.Time `db:"created_at"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := q.get(ctx, &row, `SELECT `+userColumns+`, s.created_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND u.active`, tokenHash, now)
	if err != nil {
		return inbox.StoredSession{}, notFound("session", err)
	}
	return inbox.StoredSession{User: row.User, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt}, nil
}

const tokenColumns = `t.id, t.company_id, t.name, t.created_at, t.expires_at, t.last_used_at,
	u.id AS "u.id", u.company_id AS "u.company_id", u.email AS "u.email", u.name AS "u.name", u.role AS "u.role"`

func (q queries) APIToken(ctx context.Context, tokenHash string, now time.Time) (inbox.APIToken, error) {
	var t inbox.APIToken
	err := q.get(ctx, &t, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.active`, tokenHash, now)
	if err != nil {
		return t, notFound("token", err)
	}
	return t, nil
}

func (q queries) APITokens(ctx context.Context, companyID int64) ([]inbox.APIToken, error) {
	tokens := []inbox.APIToken{}
	if err := q.sel(ctx, &tokens, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.company_id = ? ORDER BY t.id`, companyID); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return tokens, nil
}

func (t *tx) CreateSession(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	if err := t.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, userID, t.now(), expires.UTC()); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// DeleteSession ends a session and the tickets it minted.
func (t *tx) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := t.exec(ctx, `DELETE FROM ws_tickets WHERE session_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete tickets of a session: %w", err)
	}
	if err := t.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user but except (a token
// hash; empty for none), and the tickets they minted.
func (t *tx) DeleteUserSessions(ctx context.Context, userID int64, except string) error {
	if err := t.exec(ctx, `DELETE FROM ws_tickets WHERE user_id = ? AND session_hash IS NOT NULL AND session_hash <> ?`,
		userID, except); err != nil {
		return fmt.Errorf("delete tickets of the sessions of user %d: %w", userID, err)
	}
	if err := t.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, except); err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// EndUserAccess ends every session, API token and ticket of a user.
func (t *tx) EndUserAccess(ctx context.Context, userID int64) error {
	for _, s := range []struct{ what, query string }{
		{"tickets", `DELETE FROM ws_tickets WHERE user_id = ?`},
		{"sessions", `DELETE FROM sessions WHERE user_id = ?`},
		{"api tokens", `DELETE FROM api_tokens WHERE user_id = ?`},
	} {
		if err := t.exec(ctx, s.query, userID); err != nil {
			return fmt.Errorf("delete %s of user %d: %w", s.what, userID, err)
		}
	}
	return nil
}

func (t *tx) CreateAPIToken(ctx context.Context, tok *inbox.APIToken, tokenHash string) error {
	tok.CreatedAt = t.now()
	var expires any
	if tok.ExpiresAt != nil {
		e := tok.ExpiresAt.UTC()
		tok.ExpiresAt, expires = &e, e
	}
	if err := t.get(ctx, &tok.ID, `INSERT INTO api_tokens (company_id, user_id, name, token_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, tok.CompanyID, tok.User.ID, tok.Name, tokenHash, tok.CreatedAt, expires); err != nil {
		return fmt.Errorf("create api token: %w", err)
	}
	return nil
}

// DeleteAPIToken revokes a token of the company, and the tickets it
// minted; it returns the user the token acted as.
func (t *tx) DeleteAPIToken(ctx context.Context, companyID, id int64) (int64, error) {
	var userID int64
	err := t.get(ctx, &userID, `DELETE FROM api_tokens WHERE company_id = ? AND id = ? RETURNING user_id`, companyID, id)
	if err != nil {
		return 0, notFound("token", err)
	}
	if err := t.exec(ctx, `DELETE FROM ws_tickets WHERE token_id = ?`, id); err != nil {
		return 0, fmt.Errorf("delete tickets of token %d: %w", id, err)
	}
	return userID, nil
}

func (t *tx) DeleteWebhookNonces(ctx context.Context, before time.Time) error {
	if err := t.exec(ctx, `DELETE FROM webhook_nonces WHERE created_at < ?`, before); err != nil {
		return fmt.Errorf("prune webhook nonces: %w", err)
	}
	return nil
}

func (t *tx) DeleteExpired(ctx context.Context, now time.Time) error {
	if err := t.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	if err := t.exec(ctx, `DELETE FROM ws_tickets WHERE expires_at <= ?`, now); err != nil {
		return fmt.Errorf("delete expired tickets: %w", err)
	}
	return nil
}

// TouchSession moves a session's idle deadline; one statement, outside any
// transaction, since requests renew their session as they come.
func (db *DB) TouchSession(ctx context.Context, tokenHash string, expires time.Time) error {
	if err := db.writer().exec(ctx, `UPDATE sessions SET expires_at = ? WHERE token_hash = ?`, expires.UTC(), tokenHash); err != nil {
		return unavailable("renew session", err)
	}
	return nil
}

// TouchToken records when an API token was last used.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	if err := db.writer().exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at.UTC(), id); err != nil {
		return unavailable("record the use of an api token", err)
	}
	return nil
}

func (db *DB) CreateTicket(ctx context.Context, ticketHash string, a inbox.Auth, expires time.Time) error {
	var session, token any
	if a.Session != "" {
		session = a.Session
	}
	if a.TokenID != 0 {
		token = a.TokenID
	}
	if err := db.writer().exec(ctx, `INSERT INTO ws_tickets (ticket_hash, user_id, expires_at, session_hash, token_id) VALUES (?, ?, ?, ?, ?)`,
		ticketHash, a.User.ID, expires.UTC(), session, token); err != nil {
		return unavailable("create ticket", err)
	}
	return nil
}

// RedeemTicket deletes a live ticket and returns who it opens a socket for,
// in as few statements as the dialect allows: a ticket is redeemed on every
// websocket connection. A ticket whose user was deactivated, or whose
// session or token ended, is not_found.
func (db *DB) RedeemTicket(ctx context.Context, ticketHash string, now time.Time) (inbox.Auth, error) {
	return db.dialect.redeemTicket(ctx, db.writer(), ticketHash, now)
}

// ticketAuth is what redeeming a ticket reads.
type ticketAuth struct {
	inbox.User
	Session string `db:"session_hash"`
	TokenID int64  `db:"token_id"`
}

func (r ticketAuth) auth() inbox.Auth {
	return inbox.Auth{User: r.User, Session: r.Session, TokenID: r.TokenID}
}

// liveBatch bounds the ids of one LiveAuths query (SQLite allows a few
// thousand parameters).
const liveBatch = 512

// LiveAuths reports, for each of auths, whether it still authenticates at
// now: its user is active and its session or API token, if any, is live.
// It costs one query per kind of credential per batch of liveBatch,
// whatever the number of sockets that share them.
func (db *DB) LiveAuths(ctx context.Context, auths []inbox.Auth, now time.Time) ([]bool, error) {
	var sessions []string
	var tokens, users []int64
	for _, a := range auths {
		switch {
		case a.Session != "":
			sessions = append(sessions, a.Session)
		case a.TokenID != 0:
			tokens = append(tokens, a.TokenID)
		default:
			users = append(users, a.User.ID)
		}
	}
	liveSessions, err := liveKeys(ctx, db.queries, sessions, `SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash IN (?) AND s.expires_at > ? AND u.active`, now)
	if err != nil {
		return nil, err
	}
	liveTokens, err := liveKeys(ctx, db.queries, tokens, `SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.id IN (?) AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.active`, now)
	if err != nil {
		return nil, err
	}
	activeUsers, err := liveKeys(ctx, db.queries, users, `SELECT id FROM users WHERE id IN (?) AND active`)
	if err != nil {
		return nil, err
	}
	live := make([]bool, len(auths))
	for i, a := range auths {
		switch {
		case a.Session != "":
			live[i] = liveSessions[a.Session]
		case a.TokenID != 0:
			live[i] = liveTokens[a.TokenID]
		default:
			live[i] = activeUsers[a.User.ID]
		}
	}
	return live, nil
}

// liveKeys runs query, whose IN list takes keys and whose other parameters
// are args, in batches, and returns the keys it found.
func liveKeys[K comparable](ctx context.Context, q queries, keys []K, query string, args ...any) (map[K]bool, error) {
	found := make(map[K]bool, len(keys))
	for start := 0; start < len(keys); start += liveBatch {
		batch := padded(keys[start:min(start+liveBatch, len(keys))])
		expanded, params, err := q.in(query, append([]any{batch}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("check credentials: %w", err)
		}
		var rows []K
		if err := q.sel(ctx, &rows, expanded, params...); err != nil {
			return nil, unavailable("check credentials", err)
		}
		for _, k := range rows {
			found[k] = true
		}
	}
	return found, nil
}

// padded repeats the last key until the list's length is a power of two:
// every statement is prepared and kept (stmts.go), so IN lists come in a few
// lengths rather than one per number of sockets.
func padded[K any](keys []K) []K {
	n := 1
	for n < len(keys) {
		n *= 2
	}
	out := make([]K, n)
	copy(out, keys)
	for i := len(keys); i < n; i++ {
		out[i] = keys[len(keys)-1]
	}
	return out
}

// ClaimNonce records that a Plivo V2 nonce came with a request whose URL
// and form have digest, unless the nonce is known; it reports whether the
// nonce stands for this digest now: true for a new nonce or the same request
// again, false for a nonce that came with another one. One statement.
func (db *DB) ClaimNonce(ctx context.Context, nonce, digest string) (bool, error) {
	var stored string
	err := db.writer().get(ctx, &stored, `INSERT INTO webhook_nonces (nonce, digest, created_at) VALUES (?, ?, ?)
		ON CONFLICT (nonce) DO UPDATE SET nonce = excluded.nonce RETURNING digest`, nonce, digest, db.now())
	if err != nil {
		return false, unavailable("record a webhook nonce", err)
	}
	return stored == digest, nil
}
