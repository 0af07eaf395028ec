package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

const contactColumns = `c.id, c.company_id, c.external_id, c.name, c.phone, c.email, c.kind, c.consent,
	c.consent_source, c.consent_at, c.last_message_at, c.created_at, co.sms_enabled,
	c.time_zone, c.consent_review, c.consent_requested_at, c.consent_review_reason, c.erased_at`

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

const consentColumns = `id, company_id, contact_id, from_state, to_state, source, keyword, user_id, message_id,
	created_at, note, prev_hash, hash`

func (q queries) ConsentChanges(ctx context.Context, companyID, contactID int64) ([]inbox.ConsentChange, error) {
	changes := []inbox.ConsentChange{}
	if err := q.sel(ctx, &changes, `SELECT `+consentColumns+`
		FROM consent_changes WHERE company_id = ? AND contact_id = ? ORDER BY id`, companyID, contactID); err != nil {
		return nil, fmt.Errorf("list consent changes of contact %d: %w", contactID, err)
	}
	return changes, nil
}

// ConsentLedgerPage reads the whole ledger, every company's, in id order:
// for `inboxd consent verify`.
func (q queries) ConsentLedgerPage(ctx context.Context, afterID int64, limit int) ([]inbox.ConsentChange, error) {
	changes := []inbox.ConsentChange{}
	if err := q.sel(ctx, &changes, `SELECT `+consentColumns+` FROM consent_changes WHERE id > ? ORDER BY id LIMIT ?`,
		afterID, limit); err != nil {
		return nil, fmt.Errorf("read the consent ledger: %w", err)
	}
	return changes, nil
}

func (q queries) LatestConsentChange(ctx context.Context, contactID int64) (inbox.ConsentChange, error) {
	var ch inbox.ConsentChange
	err := q.get(ctx, &ch, `SELECT `+consentColumns+` FROM consent_changes WHERE contact_id = ? ORDER BY id DESC LIMIT 1`, contactID)
	if err != nil {
		return ch, notFound("consent change", err)
	}
	return ch, nil
}

func (q queries) ConsentSends(ctx context.Context, companyID, contactID int64) ([]inbox.ConsentSend, error) {
	sends := []inbox.ConsentSend{}
	if err := q.sel(ctx, &sends, `SELECT id, consent_entry_id FROM messages
		WHERE company_id = ? AND contact_id = ? AND direction = 'outbound' ORDER BY id`, companyID, contactID); err != nil {
		return nil, fmt.Errorf("list sends of contact %d: %w", contactID, err)
	}
	return sends, nil
}

func (q queries) LastInbound(ctx context.Context, companyID, contactID, numberID int64) (*time.Time, error) {
	query := `SELECT max(created_at) FROM messages WHERE company_id = ? AND contact_id = ? AND direction = 'inbound'`
	args := []any{companyID, contactID}
	if numberID != 0 {
		query += ` AND number_id = ?`
		args = append(args, numberID)
	}
	var at []nullTime
	if err := q.sel(ctx, &at, query, args...); err != nil {
		return nil, fmt.Errorf("find the last text from contact %d: %w", contactID, err)
	}
	if len(at) == 0 || !at[0].Valid {
		return nil, nil
	}
	t := at[0].Time.UTC()
	return &t, nil
}

func (t *tx) UnchainedConsentChanges(ctx context.Context) ([]inbox.ConsentChange, error) {
	changes := []inbox.ConsentChange{}
	if err := t.sel(ctx, &changes, `SELECT `+consentColumns+` FROM consent_changes WHERE hash = '' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("find unchained consent changes: %w", err)
	}
	return changes, nil
}

func (t *tx) ConsentHashBefore(ctx context.Context, contactID, id int64) (string, error) {
	var hashes []string
	if err := t.sel(ctx, &hashes, `SELECT hash FROM consent_changes WHERE contact_id = ? AND id < ? ORDER BY id DESC LIMIT 1`,
		contactID, id); err != nil {
		return "", fmt.Errorf("find the hash before consent change %d: %w", id, err)
	}
	if len(hashes) == 0 {
		return "", nil
	}
	return hashes[0], nil
}

func (t *tx) SetConsentHash(ctx context.Context, id int64, prev, hash string) error {
	if err := t.exec(ctx, `UPDATE consent_changes SET prev_hash = ?, hash = ? WHERE id = ? AND hash = ''`, prev, hash, id); err != nil {
		return fmt.Errorf("chain consent change %d: %w", id, err)
	}
	return nil
}

// SetConsentReview marks or clears a possible opt-out; either way the
// reason is the default one (a text asked to stop), or none.
func (t *tx) SetConsentReview(ctx context.Context, contactID int64, review bool) error {
	if err := t.exec(ctx, `UPDATE contacts SET consent_review = ?, consent_review_reason = '', updated_at = ? WHERE id = ?`,
		review, t.now(), contactID); err != nil {
		return fmt.Errorf("set consent review of contact %d: %w", contactID, err)
	}
	return nil
}

func (t *tx) SetConsentReviewReason(ctx context.Context, contactID int64, reason string) error {
	if err := t.exec(ctx, `UPDATE contacts SET consent_review = TRUE, consent_review_reason = ?, updated_at = ? WHERE id = ?`,
		reason, t.now(), contactID); err != nil {
		return fmt.Errorf("put contact %d under review: %w", contactID, err)
	}
	return nil
}

func (t *tx) SetConsentRequested(ctx context.Context, contactID int64, at time.Time) error {
	var v any // the zero time clears it
	if !at.IsZero() {
		v = at.UTC()
	}
	if err := t.exec(ctx, `UPDATE contacts SET consent_requested_at = ?, updated_at = ? WHERE id = ?`, v, t.now(), contactID); err != nil {
		return fmt.Errorf("record consent request to contact %d: %w", contactID, err)
	}
	return nil
}

func (t *tx) CreateContact(ctx context.Context, c *inbox.Contact) error {
	now := t.now()
	c.CreatedAt = now
	err := t.get(ctx, &c.ID, `INSERT INTO contacts (company_id, external_id, name, phone, email, kind, consent,
		consent_source, consent_at, created_at, updated_at, time_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.CompanyID, c.ExternalID, c.Name, c.Phone, c.Email, c.Kind, c.Consent, c.ConsentSource, c.ConsentAt, now, now, c.TimeZone)
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
	n, err := t.execCount(ctx, `UPDATE contacts SET external_id = ?, name = ?, phone = ?, email = ?, kind = ?, time_zone = ?,
		updated_at = ? WHERE company_id = ? AND id = ?`, c.ExternalID, c.Name, c.Phone, c.Email, c.Kind, c.TimeZone, t.now(),
		c.CompanyID, c.ID)
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

// SetConsent appends ch to the contact's ledger, chained to the entry
// before it, and, when ch changes the state (From != To), sets the
// contact's consent. The contact's row is written first in either case: it
// stays locked until commit, so two changes of one contact never chain to
// the same entry.
func (t *tx) SetConsent(ctx context.Context, ch inbox.ConsentChange) (inbox.ConsentChange, error) {
	if ch.CreatedAt.IsZero() {
		ch.CreatedAt = t.now()
	}
	ch.CreatedAt = inbox.LedgerTime(ch.CreatedAt)
	query := `UPDATE contacts SET updated_at = ? WHERE id = ? RETURNING company_id`
	args := []any{ch.CreatedAt, ch.ContactID}
	if ch.From != ch.To {
		query = `UPDATE contacts SET consent = ?, consent_source = ?, consent_at = ?, updated_at = ?
			WHERE id = ? RETURNING company_id`
		args = []any{ch.To, ch.Source, ch.CreatedAt, ch.CreatedAt, ch.ContactID}
	}
	if err := t.get(ctx, &ch.CompanyID, query, args...); err != nil {
		return ch, notFound("contact", err)
	}
	var prev []string
	if err := t.sel(ctx, &prev, `SELECT hash FROM consent_changes WHERE contact_id = ? ORDER BY id DESC LIMIT 1`,
		ch.ContactID); err != nil {
		return ch, fmt.Errorf("find the last consent change of contact %d: %w", ch.ContactID, err)
	}
	if len(prev) == 1 {
		ch.PrevHash = prev[0]
	}
	ch.Hash = ch.EntryHash(ch.PrevHash)
	if err := t.get(ctx, &ch.ID, `INSERT INTO consent_changes (company_id, contact_id, from_state, to_state, source, keyword,
		user_id, message_id, created_at, note, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ch.CompanyID, ch.ContactID, ch.From, ch.To, ch.Source, ch.Keyword, ch.UserID, ch.MessageID, ch.CreatedAt,
		ch.Note, ch.PrevHash, ch.Hash); err != nil {
		return ch, fmt.Errorf("record consent change of contact %d: %w", ch.ContactID, err)
	}
	return ch, nil
}

// nullTime scans an aggregate time that may be NULL; SQLite returns max()
// of a DATETIME column as text, which database/sql's NullTime cannot read.
type nullTime struct {
	Time  time.Time
	Valid bool
}

func (n *nullTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		n.Valid = false
		return nil
	case time.Time:
		n.Time, n.Valid = x, true
		return nil
	case string:
		return n.parse(x)
	case []byte:
		return n.parse(string(x))
	}
	var t sql.NullTime
	if err := t.Scan(v); err != nil {
		return err
	}
	n.Time, n.Valid = t.Time, t.Valid
	return nil
}

func (n *nullTime) parse(s string) error {
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			n.Time, n.Valid = t, true
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", s)
}

// sqliteTimeLayouts are the forms modernc.org/sqlite writes times in.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
}
