package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// Templates, scheduled texts and bulk sends.

const templateSelect = `SELECT t.id, t.company_id, t.name, t.body, t.shared, t.created_at, t.updated_at,
	u.id AS "author.id", u.company_id AS "author.company_id", u.email AS "author.email", u.name AS "author.name",
	u.role AS "author.role"
	FROM templates t JOIN users u ON u.id = t.user_id `

func (q queries) Templates(ctx context.Context, companyID, userID int64) ([]inbox.Template, error) {
	out := []inbox.Template{}
	if err := q.sel(ctx, &out, templateSelect+`WHERE t.company_id = ? AND (t.shared OR t.user_id = ?)
		ORDER BY lower(t.name), t.id`, companyID, userID); err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	for i := range out {
		out[i].CreatedAt, out[i].UpdatedAt = out[i].CreatedAt.UTC(), out[i].UpdatedAt.UTC()
	}
	return out, nil
}

func (q queries) Template(ctx context.Context, companyID, id int64) (inbox.Template, error) {
	var t inbox.Template
	if err := q.get(ctx, &t, templateSelect+`WHERE t.company_id = ? AND t.id = ?`, companyID, id); err != nil {
		return t, notFound("template", err)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, nil
}

func (t *tx) CreateTemplate(ctx context.Context, tm *inbox.Template) error {
	err := t.get(ctx, &tm.ID, `INSERT INTO templates (company_id, user_id, name, body, shared, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, tm.CompanyID, tm.Author.ID, tm.Name, tm.Body, tm.Shared,
		tm.CreatedAt.UTC(), tm.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	return nil
}

func (t *tx) UpdateTemplate(ctx context.Context, tm inbox.Template) error {
	if err := t.exec(ctx, `UPDATE templates SET name = ?, body = ?, shared = ?, updated_at = ? WHERE company_id = ? AND id = ?`,
		tm.Name, tm.Body, tm.Shared, tm.UpdatedAt.UTC(), tm.CompanyID, tm.ID); err != nil {
		return fmt.Errorf("update template %d: %w", tm.ID, err)
	}
	return nil
}

func (t *tx) DeleteTemplate(ctx context.Context, companyID, id int64) error {
	if err := t.exec(ctx, `DELETE FROM templates WHERE company_id = ? AND id = ?`, companyID, id); err != nil {
		return fmt.Errorf("delete template %d: %w", id, err)
	}
	return nil
}

// inChunk bounds the IN list of one query.
const inChunk = 500

func chunks(ids []int64) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		n := min(len(ids), inChunk)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

func (q queries) ContactsByID(ctx context.Context, companyID int64, ids []int64) ([]inbox.Contact, error) {
	out := []inbox.Contact{}
	for _, part := range chunks(ids) {
		query, args, err := q.in(`SELECT `+contactColumns+contactFrom+`WHERE c.company_id = ? AND c.id IN (?) ORDER BY c.id`,
			companyID, part)
		if err != nil {
			return nil, fmt.Errorf("load contacts: %w", err)
		}
		var found []inbox.Contact
		if err := q.sel(ctx, &found, query, args...); err != nil {
			return nil, fmt.Errorf("load contacts: %w", err)
		}
		out = append(out, found...)
	}
	return out, nil
}

func (q queries) GateFacts(ctx context.Context, companyID, numberID int64, contactIDs []int64) (map[int64]inbox.ConsentChange, map[[2]int64]time.Time, error) {
	latest := map[int64]inbox.ConsentChange{}
	inbound := map[[2]int64]time.Time{}
	for _, part := range chunks(contactIDs) {
		query, args, err := q.in(`SELECT `+consentColumns+` FROM consent_changes WHERE id IN
			(SELECT max(id) FROM consent_changes WHERE company_id = ? AND contact_id IN (?) GROUP BY contact_id)`, companyID, part)
		if err != nil {
			return nil, nil, fmt.Errorf("read consent of contacts: %w", err)
		}
		var changes []inbox.ConsentChange
		if err := q.sel(ctx, &changes, query, args...); err != nil {
			return nil, nil, fmt.Errorf("read consent of contacts: %w", err)
		}
		for _, ch := range changes {
			latest[ch.ContactID] = ch
		}
		query, args, err = q.in(`SELECT contact_id, number_id, max(created_at) AS at FROM messages
			WHERE company_id = ? AND direction = 'inbound' AND contact_id IN (?) GROUP BY contact_id, number_id`, companyID, part)
		if err != nil {
			return nil, nil, fmt.Errorf("read last texts of contacts: %w", err)
		}
		var rows []struct {
			ContactID int64    `db:"contact_id"`
			NumberID  int64    `db:"number_id"`
			At        nullTime `db:"at"`
		}
		if err := q.sel(ctx, &rows, query, args...); err != nil {
			return nil, nil, fmt.Errorf("read last texts of contacts: %w", err)
		}
		for _, r := range rows {
			if !r.At.Valid {
				continue
			}
			at := r.At.Time.UTC()
			if r.NumberID == numberID {
				inbound[[2]int64{r.ContactID, numberID}] = at
			}
			if any, ok := inbound[[2]int64{r.ContactID, 0}]; !ok || at.After(any) {
				inbound[[2]int64{r.ContactID, 0}] = at
			}
		}
	}
	return latest, inbound, nil
}

func (t *tx) EditScheduled(ctx context.Context, m inbox.Message) (bool, error) {
	var sendAfter any
	if m.SendAt != nil {
		sendAfter = m.SendAt.UTC()
	}
	n, err := t.execCount(ctx, `UPDATE messages SET body = ?, segments = ?, encoding = ?, send_after = COALESCE(?, send_after),
		hold_note = ?, consent_entry_id = ?, updated_at = ?
		WHERE id = ? AND company_id = ? AND status = 'scheduled' AND send_state = 'pending'`,
		m.Body, m.Segments, m.Encoding, sendAfter, m.HoldNote, m.ConsentEntryID, t.now(), m.ID, m.CompanyID)
	if err != nil {
		return false, fmt.Errorf("edit scheduled message %d: %w", m.ID, err)
	}
	return n > 0, nil
}

func (t *tx) CancelPending(ctx context.Context, f inbox.CancelFilter, reason string) ([]int64, error) {
	where := `bulk_id = ?`
	arg := f.BulkID
	if f.MessageID != 0 {
		where, arg = `id = ?`, f.MessageID
	}
	if f.OnlyScheduled {
		where += ` AND status = 'scheduled'`
	}
	var ids []int64
	if err := t.sel(ctx, &ids, `UPDATE messages SET status = 'canceled', send_state = 'canceled', error_code = '',
		error_reason = ?, updated_at = ? WHERE `+where+` AND send_state = 'pending' RETURNING id`, reason, t.now(), arg); err != nil {
		return nil, fmt.Errorf("cancel unsent texts: %w", err)
	}
	return ids, nil
}

type bulkRow struct {
	ID         int64      `db:"id"`
	CompanyID  int64      `db:"company_id"`
	UserID     int64      `db:"user_id"`
	NumberID   int64      `db:"number_id"`
	Total      int        `db:"total"`
	Skipped    string     `db:"skipped"`
	CreatedAt  time.Time  `db:"created_at"`
	CanceledAt *time.Time `db:"canceled_at"`
}

func (r bulkRow) bulk() (inbox.BulkSend, error) {
	b := inbox.BulkSend{ID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, NumberID: r.NumberID, Total: r.Total,
		CreatedAt: r.CreatedAt.UTC(), CanceledAt: utc(r.CanceledAt), Skipped: []inbox.BulkSkip{}}
	if err := json.Unmarshal([]byte(r.Skipped), &b.Skipped); err != nil {
		return b, fmt.Errorf("decode skips of bulk send %d: %w", r.ID, err)
	}
	return b, nil
}

const bulkColumns = `id, company_id, user_id, number_id, total, skipped, created_at, canceled_at`

func (t *tx) CreateBulkSend(ctx context.Context, b *inbox.BulkSend) error {
	skipped, err := json.Marshal(b.Skipped)
	if err != nil {
		return fmt.Errorf("encode skips: %w", err)
	}
	if err := t.get(ctx, &b.ID, `INSERT INTO bulk_sends (company_id, user_id, number_id, total, skipped, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, b.CompanyID, b.UserID, b.NumberID, b.Total, string(skipped),
		b.CreatedAt.UTC()); err != nil {
		return fmt.Errorf("create bulk send: %w", err)
	}
	return nil
}

func (t *tx) SetBulkCanceled(ctx context.Context, id int64, at time.Time) error {
	if err := t.exec(ctx, `UPDATE bulk_sends SET canceled_at = ? WHERE id = ? AND canceled_at IS NULL`, at.UTC(), id); err != nil {
		return fmt.Errorf("cancel bulk send %d: %w", id, err)
	}
	return nil
}

func (t *tx) SetBulkProgress(ctx context.Context, id int64, progress string, finished bool) (bool, error) {
	n, err := t.execCount(ctx, `UPDATE bulk_sends SET progress = ?, finished = ? WHERE id = ? AND (progress <> ? OR finished <> ?)`,
		progress, finished, id, progress, finished)
	if err != nil {
		return false, fmt.Errorf("record progress of bulk send %d: %w", id, err)
	}
	return n > 0, nil
}

func (q queries) BulkSend(ctx context.Context, companyID, id int64) (inbox.BulkSend, error) {
	var r bulkRow
	if err := q.get(ctx, &r, `SELECT `+bulkColumns+` FROM bulk_sends WHERE company_id = ? AND id = ?`, companyID, id); err != nil {
		return inbox.BulkSend{}, notFound("bulk send", err)
	}
	return r.bulk()
}

func (q queries) UnfinishedBulkSends(ctx context.Context) ([]inbox.BulkSend, error) {
	var rows []bulkRow
	if err := q.sel(ctx, &rows, `SELECT `+bulkColumns+` FROM bulk_sends WHERE NOT finished ORDER BY id LIMIT 100`); err != nil {
		return nil, fmt.Errorf("list running bulk sends: %w", err)
	}
	out := make([]inbox.BulkSend, len(rows))
	for i, r := range rows {
		b, err := r.bulk()
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (q queries) BulkCounts(ctx context.Context, id int64) (inbox.BulkCounts, error) {
	var rows []struct {
		Status    inbox.Status `db:"status"`
		SendState string       `db:"send_state"`
		N         int          `db:"n"`
	}
	if err := q.sel(ctx, &rows, `SELECT status, send_state, count(*) AS n FROM messages WHERE bulk_id = ?
		GROUP BY status, send_state`, id); err != nil {
		return inbox.BulkCounts{}, fmt.Errorf("count texts of bulk send %d: %w", id, err)
	}
	var c inbox.BulkCounts
	for _, r := range rows {
		switch r.Status {
		case inbox.StatusQueued, inbox.StatusScheduled:
			// Handed to the provider (done) or maybe (unknown): sent, though
			// its status report has not come yet.
			if r.SendState == "done" || r.SendState == "unknown" {
				c.Sent += r.N
			} else {
				c.Queued += r.N
			}
		case inbox.StatusSent, inbox.StatusUnknown:
			c.Sent += r.N
		case inbox.StatusDelivered:
			c.Delivered += r.N
		case inbox.StatusFailed, inbox.StatusUndelivered:
			c.Failed += r.N
		case inbox.StatusCanceled:
			c.Canceled += r.N
		}
	}
	return c, nil
}

// bulkChunk is how many messages one multi-row INSERT of a bulk send
// writes (18 parameters each).
const bulkChunk = 200

// InsertBulkMessages stores a bulk send's texts set-based, a few
// statements per chunk of 200 rather than three per text: the threads of
// the number and each contact (made when missing), the messages (queued on
// the send queue), then every thread's last message and every contact's
// last_message_at in one UPDATE each. Each message's ID and ThreadID are
// set.
func (t *tx) InsertBulkMessages(ctx context.Context, bulkID, companyID, numberID int64, msgs []inbox.Message) error {
	now := t.now()
	threadOf := make(map[int64]int64, len(msgs))
	for start := 0; start < len(msgs); start += bulkChunk {
		part := msgs[start:min(start+bulkChunk, len(msgs))]
		contacts := make([]int64, len(part))
		rows := make([]string, len(part))
		args := []any{companyID, numberID, now}
		for i, m := range part {
			contacts[i], rows[i] = m.ContactID, "(?)"
			args = append(args, m.ContactID)
		}
		if err := t.exec(ctx, `INSERT INTO threads (company_id, number_id, contact_id, created_at)
			SELECT ?, ?, CAST(v.column1 AS BIGINT), ? FROM (VALUES `+strings.Join(rows, ", ")+`) AS v
			WHERE true ON CONFLICT (number_id, contact_id) DO NOTHING`, args...); err != nil {
			return fmt.Errorf("make threads of bulk send %d: %w", bulkID, err)
		}
		query, qargs, err := t.in(`SELECT id, contact_id FROM threads WHERE number_id = ? AND contact_id IN (?)`, numberID, contacts)
		if err != nil {
			return fmt.Errorf("find threads of bulk send %d: %w", bulkID, err)
		}
		var found []struct {
			ID        int64 `db:"id"`
			ContactID int64 `db:"contact_id"`
		}
		if err := t.sel(ctx, &found, query, qargs...); err != nil {
			return fmt.Errorf("find threads of bulk send %d: %w", bulkID, err)
		}
		for _, th := range found {
			threadOf[th.ContactID] = th.ID
		}

		args = args[:0]
		for i := range part {
			m := &part[i]
			m.ThreadID, m.CompanyID, m.NumberID, m.BulkID = threadOf[m.ContactID], companyID, numberID, &bulkID
			if m.ThreadID == 0 {
				return fmt.Errorf("bulk send %d: no thread for contact %d", bulkID, m.ContactID)
			}
			if m.CreatedAt.IsZero() {
				m.CreatedAt = now
			}
			sendAfter := m.CreatedAt
			if m.SendAt != nil {
				sendAfter = m.SendAt.UTC()
			}
			rows[i] = "(?, ?, ?, ?, 'outbound', ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)"
			args = append(args, companyID, m.ThreadID, numberID, m.ContactID, m.Body, m.Status, m.Segments, m.Encoding,
				sentByID(*m), sendAfter, m.CreatedAt, m.CreatedAt, m.ConsentEntryID, m.Purpose, m.HoldNote, bulkID)
		}
		var ids []struct {
			ID        int64 `db:"id"`
			ContactID int64 `db:"contact_id"`
		}
		if err := t.sel(ctx, &ids, `INSERT INTO messages (company_id, thread_id, number_id, contact_id, direction, body, status,
			segments, encoding, sent_by, send_state, send_after, created_at, updated_at, consent_entry_id, purpose, hold_note, bulk_id)
			VALUES `+strings.Join(rows[:len(part)], ", ")+` RETURNING id, contact_id`, args...); err != nil {
			return fmt.Errorf("store texts of bulk send %d: %w", bulkID, err)
		}
		idOf := make(map[int64]int64, len(ids))
		for _, r := range ids {
			idOf[r.ContactID] = r.ID
		}
		for i := range part {
			part[i].ID = idOf[part[i].ContactID]
		}
	}
	if err := t.exec(ctx, `UPDATE threads SET last_message_id = m.id, last_message_at = m.created_at,
		replied_by = COALESCE(m.sent_by, threads.replied_by), awaiting_since = NULL
		FROM messages m WHERE m.bulk_id = ? AND threads.id = m.thread_id`, bulkID); err != nil {
		return fmt.Errorf("point threads at bulk send %d: %w", bulkID, err)
	}
	if err := t.exec(ctx, `UPDATE contacts SET last_message_at = ?
		WHERE id IN (SELECT contact_id FROM messages WHERE bulk_id = ?)`, now, bulkID); err != nil {
		return fmt.Errorf("touch contacts of bulk send %d: %w", bulkID, err)
	}
	return nil
}
