package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

const userColumns = `u.id, u.company_id, u.email, u.name, u.role`

func (q queries) User(ctx context.Context, companyID, id int64) (inbox.User, error) {
	var u inbox.User
	err := q.get(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.company_id = ? AND u.id = ?`, companyID, id)
	if err != nil {
		return u, notFound("user", err)
	}
	return u, nil
}

func (q queries) UserByEmail(ctx context.Context, email string) (inbox.User, string, error) {
	var row struct {
		inbox.User
		PasswordHash string `db:"password_hash"`
	}
	err := q.get(ctx, &row, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.email = ?`,
		strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return inbox.User{}, "", notFound("user", err)
	}
	return row.User, row.PasswordHash, nil
}

func (q queries) Users(ctx context.Context, companyID int64) ([]inbox.User, error) {
	users := []inbox.User{}
	if err := q.sel(ctx, &users, `SELECT `+userColumns+` FROM users u WHERE u.company_id = ? ORDER BY u.id`, companyID); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

func (q queries) SessionUser(ctx context.Context, tokenHash string, now time.Time) (inbox.User, error) {
	var u inbox.User
	err := q.get(ctx, &u, `SELECT `+userColumns+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, now)
	if err != nil {
		return u, notFound("session", err)
	}
	return u, nil
}

func (q queries) TokenUser(ctx context.Context, tokenHash string) (inbox.User, error) {
	var u inbox.User
	err := q.get(ctx, &u, `SELECT `+userColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ?`, tokenHash)
	if err != nil {
		return u, notFound("token", err)
	}
	return u, nil
}

func (t *tx) CreateUser(ctx context.Context, u *inbox.User, passwordHash string) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	err := t.get(ctx, &u.ID, `INSERT INTO users (company_id, email, name, role, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, u.CompanyID, u.Email, u.Name, u.Role, passwordHash, t.now())
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "email_taken", "a user with the email %s exists already", u.Email)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func (t *tx) CreateSession(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	if err := t.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, userID, t.now(), expires.UTC()); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (t *tx) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := t.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (t *tx) CreateAPIToken(ctx context.Context, companyID, userID int64, name, tokenHash string) error {
	if err := t.exec(ctx, `INSERT INTO api_tokens (company_id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		companyID, userID, name, tokenHash, t.now()); err != nil {
		return fmt.Errorf("create api token: %w", err)
	}
	return nil
}

func (db *DB) CreateTicket(ctx context.Context, ticketHash string, userID int64, expires time.Time) error {
	if err := db.writer().exec(ctx, `INSERT INTO ws_tickets (ticket_hash, user_id, expires_at) VALUES (?, ?, ?)`,
		ticketHash, userID, expires.UTC()); err != nil {
		return unavailable("create ticket", err)
	}
	return nil
}

// RedeemTicket deletes a live ticket and returns its user, in as few
// statements as the dialect allows: a ticket is redeemed on every websocket
// connection.
func (db *DB) RedeemTicket(ctx context.Context, ticketHash string, now time.Time) (inbox.User, error) {
	return db.dialect.redeemTicket(ctx, db.writer(), ticketHash, now)
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
