package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// nullUser scans a LEFT JOINed user.
type nullUser struct {
	ID    sql.NullInt64  `db:"id"`
	Email sql.NullString `db:"email"`
	Name  sql.NullString `db:"name"`
	Role  sql.NullString `db:"role"`
}

func (u nullUser) user() *inbox.User {
	if !u.ID.Valid {
		return nil
	}
	return &inbox.User{ID: u.ID.Int64, Email: u.Email.String, Name: u.Name.String, Role: inbox.Role(u.Role.String)}
}

func nullUserColumns(alias string) string {
	return alias + `.id AS "` + alias + `.id", ` + alias + `.email AS "` + alias + `.email", ` +
		alias + `.name AS "` + alias + `.name", ` + alias + `.role AS "` + alias + `.role"`
}

type threadRow struct {
	ID            int64         `db:"id"`
	CompanyID     int64         `db:"company_id"`
	UnreadCount   int           `db:"unread_count"`
	ReadAt        *time.Time    `db:"read_at"`
	LastMessageID *int64        `db:"last_message_id"`
	LastMessageAt *time.Time    `db:"last_message_at"`
	Number        inbox.Number  `db:"n"`
	Contact       inbox.Contact `db:"c"`
	ReadBy        nullUser      `db:"rb"`
	RepliedBy     nullUser      `db:"pb"`
}

var threadSelect = `SELECT t.id, t.company_id, t.unread_count, t.read_at, t.last_message_id, t.last_message_at,
	n.id AS "n.id", n.company_id AS "n.company_id", n.e164 AS "n.e164", n.label AS "n.label",
	c.id AS "c.id", c.company_id AS "c.company_id", c.external_id AS "c.external_id", c.name AS "c.name",
	c.phone AS "c.phone", c.email AS "c.email", c.kind AS "c.kind", c.consent AS "c.consent",
	c.consent_source AS "c.consent_source", c.consent_at AS "c.consent_at",
	c.last_message_at AS "c.last_message_at", c.created_at AS "c.created_at", co.sms_enabled AS "c.sms_enabled",
	` + nullUserColumns("rb") + `, ` + nullUserColumns("pb") + `
	FROM threads t
	JOIN numbers n ON n.id = t.number_id
	JOIN contacts c ON c.id = t.contact_id
	JOIN companies co ON co.id = t.company_id
	LEFT JOIN users rb ON rb.id = t.read_by
	LEFT JOIN users pb ON pb.id = t.replied_by `

// threadOrder puts unread threads first, then the most recent.
const threadOrder = ` ORDER BY CASE WHEN t.unread_count > 0 THEN 0 ELSE 1 END,
	COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC`

func (q queries) Thread(ctx context.Context, companyID, id int64) (inbox.Thread, error) {
	var rows []threadRow
	if err := q.sel(ctx, &rows, threadSelect+`WHERE t.company_id = ? AND t.id = ?`, companyID, id); err != nil {
		return inbox.Thread{}, fmt.Errorf("load thread %d: %w", id, err)
	}
	if len(rows) == 0 {
		return inbox.Thread{}, inbox.NotFound("thread")
	}
	threads, err := q.threads(ctx, companyID, rows)
	if err != nil {
		return inbox.Thread{}, err
	}
	return threads[0], nil
}

func (q queries) Threads(ctx context.Context, companyID int64, f inbox.ThreadFilter) ([]inbox.Thread, error) {
	query := threadSelect + `WHERE t.company_id = ?`
	args := []any{companyID}
	if f.NumberIDs != nil {
		if len(f.NumberIDs) == 0 {
			return []inbox.Thread{}, nil
		}
		query += ` AND t.number_id IN (?)`
		args = append(args, f.NumberIDs)
	}
	if f.ContactID != 0 {
		query += ` AND t.contact_id = ?`
		args = append(args, f.ContactID)
	}
	query += threadOrder + ` LIMIT ?`
	args = append(args, f.Limit)
	query, args, err := q.in(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	var rows []threadRow
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	return q.threads(ctx, companyID, rows)
}

// threads completes rows with their last messages, loaded in one query.
func (q queries) threads(ctx context.Context, companyID int64, rows []threadRow) ([]inbox.Thread, error) {
	var ids []int64
	for _, r := range rows {
		if r.LastMessageID != nil {
			ids = append(ids, *r.LastMessageID)
		}
	}
	last := map[int64]*inbox.Message{}
	if len(ids) > 0 {
		msgs, err := q.messagesWhere(ctx, `m.company_id = ? AND m.id IN (?)`, companyID, ids)
		if err != nil {
			return nil, err
		}
		for i := range msgs {
			last[msgs[i].ID] = &msgs[i]
		}
	}
	threads := make([]inbox.Thread, len(rows))
	for i, r := range rows {
		threads[i] = inbox.Thread{
			ID: r.ID, CompanyID: r.CompanyID, Number: r.Number, Contact: r.Contact,
			UnreadCount: r.UnreadCount, LastMessageAt: r.LastMessageAt,
			ReadBy: r.ReadBy.user(), ReadAt: r.ReadAt, RepliedBy: r.RepliedBy.user(),
		}
		if r.LastMessageID != nil {
			threads[i].LastMessage = last[*r.LastMessageID]
		}
	}
	return threads, nil
}

func (q queries) UnreadThreads(ctx context.Context, companyID int64, numberIDs []int64) (int, error) {
	if len(numberIDs) == 0 {
		return 0, nil
	}
	query, args, err := q.in(`SELECT count(*) FROM threads WHERE company_id = ? AND number_id IN (?) AND unread_count > 0`,
		companyID, numberIDs)
	if err != nil {
		return 0, fmt.Errorf("count unread threads: %w", err)
	}
	var n int
	if err := q.get(ctx, &n, query, args...); err != nil {
		return 0, fmt.Errorf("count unread threads: %w", err)
	}
	return n, nil
}

func (t *tx) EnsureThread(ctx context.Context, companyID, numberID, contactID int64) (int64, error) {
	var id int64
	// The no-op update makes RETURNING answer for an existing thread too, and
	// locks it for the rest of the transaction.
	err := t.get(ctx, &id, `INSERT INTO threads (company_id, number_id, contact_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (number_id, contact_id) DO UPDATE SET unread_count = threads.unread_count RETURNING id`,
		companyID, numberID, contactID, t.now())
	if err != nil {
		return 0, fmt.Errorf("ensure thread of number %d and contact %d: %w", numberID, contactID, err)
	}
	return id, nil
}

func (t *tx) TouchThread(ctx context.Context, m inbox.Message) error {
	var err error
	if m.Direction == inbox.Inbound {
		err = t.exec(ctx, `UPDATE threads SET last_message_id = ?, last_message_at = ?, unread_count = unread_count + 1,
			read_by = NULL, read_at = NULL WHERE id = ?`, m.ID, m.CreatedAt, m.ThreadID)
	} else {
		// A system message (an opt-out confirmation) keeps the last replier.
		err = t.exec(ctx, `UPDATE threads SET last_message_id = ?, last_message_at = ?, replied_by = COALESCE(?, replied_by) WHERE id = ?`,
			m.ID, m.CreatedAt, sentByID(m), m.ThreadID)
	}
	if err != nil {
		return fmt.Errorf("touch thread %d: %w", m.ThreadID, err)
	}
	if err := t.exec(ctx, `UPDATE contacts SET last_message_at = ? WHERE id = (SELECT contact_id FROM threads WHERE id = ?)`,
		m.CreatedAt, m.ThreadID); err != nil {
		return fmt.Errorf("touch contact of thread %d: %w", m.ThreadID, err)
	}
	return nil
}

func (t *tx) MarkRead(ctx context.Context, threadID, userID int64, at time.Time) (bool, error) {
	n, err := t.execCount(ctx, `UPDATE threads SET unread_count = 0, read_by = ?, read_at = ? WHERE id = ? AND unread_count > 0`,
		userID, at.UTC(), threadID)
	if err != nil {
		return false, fmt.Errorf("mark thread %d read: %w", threadID, err)
	}
	return n > 0, nil
}

func (t *tx) MarkUnread(ctx context.Context, threadID int64) (bool, error) {
	n, err := t.execCount(ctx, `UPDATE threads SET unread_count = 1, read_by = NULL, read_at = NULL WHERE id = ? AND unread_count = 0`,
		threadID)
	if err != nil {
		return false, fmt.Errorf("mark thread %d unread: %w", threadID, err)
	}
	return n > 0, nil
}

func sentByID(m inbox.Message) *int64 {
	if m.SentBy == nil {
		return nil
	}
	return &m.SentBy.ID
}
