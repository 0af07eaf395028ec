package store

import (
	"context"
	"fmt"
	"strings"

	"smsinbox/pkg/inbox"
)

const contactColumns = `c.id, c.company_id, c.external_id, c.name, c.phone, c.email, c.kind, c.consent,
	c.consent_source, c.consent_at, c.last_message_at, c.created_at, co.sms_enabled`

const contactFrom = ` FROM contacts c JOIN companies co ON co.id = c.company_id `

func (q queries) Contact(ctx context.Context, companyID, id int64) (inbox.Contact, error) {
	var c inbox.Contact
	err := q.get(ctx, &c, `SELECT `+contactColumns+contactFrom+`WHERE c.company_id = ? AND c.id = ?`, companyID, id)
	if err != nil {
		return c, notFound("contact", err)
	}
	return c, nil
}

func (q queries) ContactByPhone(ctx context.Context, companyID int64, phone string) (inbox.Contact, error) {
	var c inbox.Contact
	err := q.get(ctx, &c, `SELECT `+contactColumns+contactFrom+`WHERE c.company_id = ? AND c.phone = ?`, companyID, phone)
	if err != nil {
		return c, notFound("contact", err)
	}
	return c, nil
}

func (q queries) ContactsByPhone(ctx context.Context, companyID int64, phones []string) ([]inbox.Contact, error) {
	contacts := []inbox.Contact{}
	if len(phones) == 0 {
		return contacts, nil
	}
	query, args, err := q.in(`SELECT `+contactColumns+contactFrom+`WHERE c.company_id = ? AND c.phone IN (?)`, companyID, phones)
	if err != nil {
		return nil, fmt.Errorf("find contacts: %w", err)
	}
	if err := q.sel(ctx, &contacts, query, args...); err != nil {
		return nil, fmt.Errorf("find contacts: %w", err)
	}
	return contacts, nil
}

func (q queries) ContactByExternalID(ctx context.Context, companyID int64, externalID string) (inbox.Contact, error) {
	var c inbox.Contact
	err := q.get(ctx, &c, `SELECT `+contactColumns+contactFrom+`WHERE c.company_id = ? AND c.external_id = ?`, companyID, externalID)
	if err != nil {
		return c, notFound("contact", err)
	}
	return c, nil
}

// Contacts lists a company's contacts, newest first, Limit at a time after
// the keyset cursor After (an id).
func (q queries) Contacts(ctx context.Context, companyID int64, f inbox.ContactFilter) ([]inbox.Contact, error) {
	query := `SELECT ` + contactColumns + contactFrom
	args := []any{}
	if f.JobID != 0 {
		query += `JOIN applicants a ON a.contact_id = c.id AND a.job_id = ? `
		args = append(args, f.JobID)
	}
	query += `WHERE c.company_id = ?`
	args = append(args, companyID)
	if f.After > 0 {
		query += ` AND c.id < ?`
		args = append(args, f.After)
	}
	if term := strings.TrimSpace(f.Q); term != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(term)) + "%"
		query += ` AND (lower(c.name) LIKE ? ESCAPE '\' OR c.phone LIKE ? ESCAPE '\' OR lower(c.email) LIKE ? ESCAPE '\' OR c.phone = ?)`
		args = append(args, pattern, pattern, pattern, f.Phone)
	}
	query += ` ORDER BY c.id DESC LIMIT ?`
	args = append(args, f.Limit)
	contacts := []inbox.Contact{}
	if err := q.sel(ctx, &contacts, query, args...); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return contacts, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (q queries) ConsentChanges(ctx context.Context, companyID, contactID int64) ([]inbox.ConsentChange, error) {
	changes := []inbox.ConsentChange{}
	if err := q.sel(ctx, &changes, `SELECT id, contact_id, from_state, to_state, source, keyword, user_id, message_id, created_at
		FROM consent_changes WHERE company_id = ? AND contact_id = ? ORDER BY id`, companyID, contactID); err != nil {
		return nil, fmt.Errorf("list consent changes of contact %d: %w", contactID, err)
	}
	return changes, nil
}

func (t *tx) CreateContact(ctx context.Context, c *inbox.Contact) error {
	now := t.now()
	c.CreatedAt = now
	err := t.get(ctx, &c.ID, `INSERT INTO contacts (company_id, external_id, name, phone, email, kind, consent,
		consent_source, consent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.CompanyID, c.ExternalID, c.Name, c.Phone, c.Email, c.Kind, c.Consent, c.ConsentSource, c.ConsentAt, now, now)
	if err != nil {
		return contactConflict(err, *c)
	}
	return nil
}

func (t *tx) EnsureContact(ctx context.Context, c *inbox.Contact) error {
	now := t.now()
	var ids []int64
	err := t.sel(ctx, &ids, `INSERT INTO contacts (company_id, external_id, name, phone, email, kind, consent,
		consent_source, consent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (company_id, phone) DO NOTHING RETURNING id`,
		c.CompanyID, c.ExternalID, c.Name, c.Phone, c.Email, c.Kind, c.Consent, c.ConsentSource, c.ConsentAt, now, now)
	if err != nil {
		return contactConflict(err, *c)
	}
	if len(ids) == 1 {
		c.ID, c.CreatedAt = ids[0], now
		return nil
	}
	// Another transaction created it meanwhile; PostgreSQL waited for its
	// commit, and this statement sees it.
	if err := t.get(ctx, &c.ID, `SELECT id FROM contacts WHERE company_id = ? AND phone = ?`, c.CompanyID, c.Phone); err != nil {
		return fmt.Errorf("find contact %s: %w", c.Phone, err)
	}
	return nil
}

func (t *tx) UpdateContact(ctx context.Context, c inbox.Contact) error {
	n, err := t.execCount(ctx, `UPDATE contacts SET external_id = ?, name = ?, phone = ?, email = ?, kind = ?, updated_at = ?
		WHERE company_id = ? AND id = ?`, c.ExternalID, c.Name, c.Phone, c.Email, c.Kind, t.now(), c.CompanyID, c.ID)
	if err != nil {
		return contactConflict(err, c)
	}
	if n == 0 {
		return inbox.NotFound("contact")
	}
	return nil
}

func contactConflict(err error, c inbox.Contact) error {
	if which, dup := isUniqueViolation(err); dup {
		if strings.Contains(which, "external_id") {
			return inbox.Errorf(inbox.KindConflict, "external_id_taken", "another contact has the external id %q", *c.ExternalID)
		}
		return inbox.Errorf(inbox.KindConflict, "phone_taken", "another contact has the phone number %s", c.Phone)
	}
	return fmt.Errorf("save contact: %w", err)
}

func (t *tx) SetConsent(ctx context.Context, ch inbox.ConsentChange) error {
	if ch.CreatedAt.IsZero() {
		ch.CreatedAt = t.now()
	}
	var companyID int64
	err := t.get(ctx, &companyID, `UPDATE contacts SET consent = ?, consent_source = ?, consent_at = ?, updated_at = ?
		WHERE id = ? RETURNING company_id`, ch.To, ch.Source, ch.CreatedAt, ch.CreatedAt, ch.ContactID)
	if err != nil {
		return notFound("contact", err)
	}
	if err := t.exec(ctx, `INSERT INTO consent_changes (company_id, contact_id, from_state, to_state, source, keyword,
		user_id, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		companyID, ch.ContactID, ch.From, ch.To, ch.Source, ch.Keyword, ch.UserID, ch.MessageID, ch.CreatedAt); err != nil {
		return fmt.Errorf("record consent change of contact %d: %w", ch.ContactID, err)
	}
	return nil
}
