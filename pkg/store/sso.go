package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// Single sign-on from the host ATS (inbox.SSOStore).

func (db *DB) CompanyBySSOIssuer(ctx context.Context, iss string) (inbox.Company, error) {
	var r companyRow
	err := db.get(ctx, &r, `SELECT `+companyColumns+` FROM companies WHERE sso_issuer = ? AND sso_issuer <> ''`, iss)
	if err != nil {
		return r.Company, notFound("company", err)
	}
	return r.company()
}

func (db *DB) UseSSOToken(ctx context.Context, companyID int64, jti string, expires time.Time) (bool, error) {
	var got []string
	err := db.writer().sel(ctx, &got, `INSERT INTO sso_tokens (company_id, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (company_id, jti) DO NOTHING RETURNING jti`, companyID, jti, expires.UTC())
	if err != nil {
		return false, fmt.Errorf("record sso token: %w", err)
	}
	return len(got) == 1, nil
}

func (db *DB) PruneSSOTokens(ctx context.Context, now time.Time) error {
	if err := db.writer().exec(ctx, `DELETE FROM sso_tokens WHERE expires_at < ?`, now.UTC()); err != nil {
		return fmt.Errorf("prune sso tokens: %w", err)
	}
	return nil
}

func (db *DB) UserByExternalID(ctx context.Context, companyID int64, externalID string) (inbox.Account, error) {
	var a inbox.Account
	err := db.get(ctx, &a, `SELECT `+userColumns+`, u.active FROM users u WHERE u.company_id = ? AND u.external_id = ?`,
		companyID, externalID)
	if err != nil {
		return a, notFound("user", err)
	}
	return a, nil
}

func (db *DB) SetUserExternalID(ctx context.Context, userID int64, externalID string) error {
	return db.writer().setUserExternalID(ctx, userID, externalID)
}

func (t *tx) SetUserExternalID(ctx context.Context, userID int64, externalID string) error {
	return t.queries.setUserExternalID(ctx, userID, externalID)
}

func (q queries) setUserExternalID(ctx context.Context, userID int64, externalID string) error {
	if err := q.exec(ctx, `UPDATE users SET external_id = ? WHERE id = ?`, externalID, userID); err != nil {
		if _, dup := isUniqueViolation(err); dup {
			return inbox.Errorf(inbox.KindConflict, "external_id_taken", "another user has this ATS id")
		}
		return fmt.Errorf("link user %d: %w", userID, err)
	}
	return nil
}
