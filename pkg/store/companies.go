package store

import (
	"context"
	"fmt"

	"smsinbox/pkg/inbox"
)

const companyColumns = `id, name, sms_enabled, optout_reply, help_reply, created_at`

func (q queries) Company(ctx context.Context, id int64) (inbox.Company, error) {
	var c inbox.Company
	err := q.get(ctx, &c, `SELECT `+companyColumns+` FROM companies WHERE id = ?`, id)
	if err != nil {
		return c, notFound("company", err)
	}
	return c, nil
}

func (q queries) CompanyByName(ctx context.Context, name string) (inbox.Company, error) {
	var c inbox.Company
	err := q.get(ctx, &c, `SELECT `+companyColumns+` FROM companies WHERE name = ?`, name)
	if err != nil {
		return c, notFound("company", err)
	}
	return c, nil
}

func (t *tx) CreateCompany(ctx context.Context, c *inbox.Company) error {
	c.CreatedAt = t.now()
	err := t.get(ctx, &c.ID, `INSERT INTO companies (name, sms_enabled, optout_reply, help_reply, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, c.Name, c.SMSEnabled, c.OptoutReply, c.HelpReply, c.CreatedAt)
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "company_taken", "a company named %q exists already", c.Name)
	}
	if err != nil {
		return fmt.Errorf("create company: %w", err)
	}
	return nil
}

func (t *tx) UpdateCompany(ctx context.Context, c inbox.Company) error {
	n, err := t.execCount(ctx, `UPDATE companies SET sms_enabled = ?, optout_reply = ?, help_reply = ? WHERE id = ?`,
		c.SMSEnabled, c.OptoutReply, c.HelpReply, c.ID)
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
