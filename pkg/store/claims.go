package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// Claims are three columns of a thread (claimed_by, claimed_at,
// claim_expires_at); every change is one conditional UPDATE, so that two
// processes racing for a thread agree on who won.

func (t *tx) ClaimThread(ctx context.Context, threadID, userID int64, at, expires time.Time, takeOver bool) (bool, error) {
	query := `UPDATE threads SET claimed_by = ?, claimed_at = ?, claim_expires_at = ? WHERE id = ?`
	args := []any{userID, at.UTC(), expires.UTC(), threadID}
	if !takeOver {
		query += ` AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at <= ?)`
		args = append(args, userID, at.UTC())
	}
	n, err := t.execCount(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("claim thread %d: %w", threadID, err)
	}
	return n > 0, nil
}

// clearClaim is the part of an UPDATE that ends a claim; handBack adds the
// part that makes the thread unread for every assignee, as a new text would
// (at least one unread message, no reader).
const (
	clearClaim = `claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL`
	handBack   = `unread_count = CASE WHEN unread_count > 0 THEN unread_count ELSE 1 END, read_by = NULL, read_at = NULL`
)

func (t *tx) EndClaim(ctx context.Context, threadID, userID int64, hand bool) (bool, error) {
	set := clearClaim
	if hand {
		set += `, ` + handBack
	}
	n, err := t.execCount(ctx, `UPDATE threads SET `+set+` WHERE id = ? AND claimed_by = ?`, threadID, userID)
	if err != nil {
		return false, fmt.Errorf("end claim on thread %d: %w", threadID, err)
	}
	return n > 0, nil
}

// repliedSince is true when a person sent a text on thread t since its
// claim began: then the claim was answered, and ends without handing back.
const repliedSince = `EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.direction = 'outbound'
	AND m.sent_by IS NOT NULL AND m.created_at >= t.claimed_at)`

// LapseClaims ends expired claims, each by one process only (lapseClaims in
// postgres.go and sqlite.go).
func (t *tx) LapseClaims(ctx context.Context, now time.Time, limit int) ([]inbox.LapsedClaim, error) {
	rows, err := t.dialect.lapseClaims(ctx, t, now.UTC(), limit)
	if err != nil {
		return nil, err
	}
	lapsed := make([]inbox.LapsedClaim, len(rows))
	for i, r := range rows {
		lapsed[i] = inbox.LapsedClaim{ThreadID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, Replied: r.Replied}
	}
	return lapsed, nil
}

// lapsedRow is a claim a lapse ended.
type lapsedRow struct {
	ID        int64 `db:"id"`
	CompanyID int64 `db:"company_id"`
	UserID    int64 `db:"claimed_by"`
	Replied   bool  `db:"replied"`
}

func (q queries) NextClaimExpiry(ctx context.Context) (*time.Time, error) {
	// ORDER BY … LIMIT 1 rather than min(): SQLite hands an aggregate back
	// as text, a column as the time it is declared.
	var next []time.Time
	if err := q.sel(ctx, &next, `SELECT claim_expires_at FROM threads WHERE claim_expires_at IS NOT NULL
		ORDER BY claim_expires_at LIMIT 1`); err != nil {
		return nil, fmt.Errorf("next claim expiry: %w", err)
	}
	if len(next) == 0 {
		return nil, nil
	}
	at := next[0].UTC()
	return &at, nil
}
