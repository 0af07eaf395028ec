package store

import (
	"context"
	"fmt"

	"smsinbox/pkg/inbox"
)

const companyColumns = `id, name, sms_enabled, optout_reply, help_reply, created_at, default_region`

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
	err := t.get(ctx, &c.ID, `INSERT INTO companies (name, sms_enabled, optout_reply, help_reply, created_at, default_region)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, c.Name, c.SMSEnabled, c.OptoutReply, c.HelpReply, c.CreatedAt, c.DefaultRegion)
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "company_taken", "a company named %q exists already", c.Name)
	}
	if err != nil {
		return fmt.Errorf("create company: %w", err)
	}
	return nil
}

func (t *tx) UpdateCompany(ctx context.Context, c inbox.Company) error {
	n, err := t.execCount(ctx, `UPDATE companies SET sms_enabled = ?, optout_reply = ?, help_reply = ?, default_region = ? WHERE id = ?`,
		c.SMSEnabled, c.OptoutReply, c.HelpReply, c.DefaultRegion, c.ID)
	if err != nil {
		return fmt.Errorf("update company %d: %w", c.ID, err)
	}
	if n == 0 {
		return inbox.NotFound("company")
	}
	return nil
}
