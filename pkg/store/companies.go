package store

import (
	"context"
	"fmt"

	"smsinbox/pkg/inbox"
)

const companyColumns = `id, name, sms_enabled, optout_reply, help_reply, created_at, optin_reply, consent_request, quiet_hours,
	claim_on_read, claim_minutes, default_region, sso_issuer, sso_secret, sso_jwks_url, sso_provision, retention_days`

// companyRow is a company as stored: quiet hours as "HH:MM-HH:MM", NULL for none.
type companyRow struct {
	inbox.Company
	Quiet *string `db:"quiet_hours"`
}

func (r companyRow) company() (inbox.Company, error) {
	c := r.Company
	c.SSOSecretSet = c.SSOSecret != ""
	if r.Quiet != nil {
		q, err := inbox.ParseQuietHours(*r.Quiet)
		if err != nil {
			return c, fmt.Errorf("company %d: %w", c.ID, err)
		}
		c.QuietHours = q
	}
	return c, nil
}

func quietColumn(q *inbox.QuietHours) *string {
	if q == nil {
		return nil
	}
	s := q.String()
	return &s
}

func (q queries) Company(ctx context.Context, id int64) (inbox.Company, error) {
	var r companyRow
	err := q.get(ctx, &r, `SELECT `+companyColumns+` FROM companies WHERE id = ?`, id)
	if err != nil {
		return r.Company, notFound("company", err)
	}
	return r.company()
}

func (q queries) CompanyByName(ctx context.Context, name string) (inbox.Company, error) {
	var r companyRow
	err := q.get(ctx, &r, `SELECT `+companyColumns+` FROM companies WHERE name = ?`, name)
	if err != nil {
		return r.Company, notFound("company", err)
	}
	return r.company()
}

func (t *tx) CreateCompany(ctx context.Context, c *inbox.Company) error {
	c.CreatedAt = t.now()
	// The claim settings take the schema's defaults.
	var row struct {
		ID           int64 `db:"id"`
		ClaimOnRead  bool  `db:"claim_on_read"`
		ClaimMinutes int   `db:"claim_minutes"`
	}
	err := t.get(ctx, &row, `INSERT INTO companies (name, sms_enabled, optout_reply, help_reply, created_at,
		optin_reply, consent_request, quiet_hours, default_region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id, claim_on_read, claim_minutes`,
		c.Name, c.SMSEnabled, c.OptoutReply, c.HelpReply, c.CreatedAt, c.OptinReply, c.ConsentRequest, quietColumn(c.QuietHours),
		c.DefaultRegion)
	c.ID, c.ClaimOnRead, c.ClaimMinutes = row.ID, row.ClaimOnRead, row.ClaimMinutes
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "company_taken", "a company named %q exists already", c.Name)
	}
	if err != nil {
		return fmt.Errorf("create company: %w", err)
	}
	return nil
}

func (t *tx) UpdateCompany(ctx context.Context, c inbox.Company) error {
	n, err := t.execCount(ctx, `UPDATE companies SET sms_enabled = ?, optout_reply = ?, help_reply = ?,
		optin_reply = ?, consent_request = ?, quiet_hours = ?, claim_on_read = ?, claim_minutes = ?, default_region = ?,
		sso_issuer = ?, sso_secret = ?, sso_jwks_url = ?, sso_provision = ?, retention_days = ?
		WHERE id = ?`,
		c.SMSEnabled, c.OptoutReply, c.HelpReply, c.OptinReply, c.ConsentRequest, quietColumn(c.QuietHours),
		c.ClaimOnRead, c.ClaimMinutes, c.DefaultRegion, c.SSOIssuer, c.SSOSecret, c.SSOJWKSURL, c.SSOProvision,
		c.RetentionDays, c.ID)
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "sso_issuer_taken", "another company trusts this sso_issuer")
	}
	if err != nil {
		return fmt.Errorf("update company %d: %w", c.ID, err)
	}
	if n == 0 {
		return inbox.NotFound("company")
	}
	return nil
}

// CompanyNames lists the name of every company in the store, for the
// start-up decision whether to seed the demo company.
func (db *DB) CompanyNames(ctx context.Context) ([]string, error) {
	names := []string{}
	if err := db.sel(ctx, &names, `SELECT name FROM companies ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list companies: %w", err)
	}
	return names, nil
}
