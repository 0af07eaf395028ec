package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	LastMessageAt *time.Time    `db:"last_message_at"`
	Number        inbox.Number  `db:"n"`
	Contact       inbox.Contact `db:"c"`
	ReadBy        nullUser      `db:"rb"`
	RepliedBy     nullUser      `db:"pb"`
	Last          nullMessage   `db:"lm"`
	AwaitingSince *time.Time    `db:"awaiting_since"`
	ClaimedBy     nullUser      `db:"cb"`
	ClaimedAt     *time.Time    `db:"claimed_at"`
	ClaimExpires  *time.Time    `db:"claim_expires_at"`
}

// nullMessage scans a thread's LEFT JOINed last message, so that a thread
// and its last message take one query.
type nullMessage struct {
	ID          sql.NullInt64  `db:"id"`
	ThreadID    sql.NullInt64  `db:"thread_id"`
	NumberID    sql.NullInt64  `db:"number_id"`
	ContactID   sql.NullInt64  `db:"contact_id"`
	Direction   sql.NullString `db:"direction"`
	Body        sql.NullString `db:"body"`
	Status      sql.NullString `db:"status"`
	ErrorCode   sql.NullString `db:"error_code"`
	ErrorReason sql.NullString `db:"error_reason"`
	Segments    sql.NullInt64  `db:"segments"`
	Encoding    sql.NullString `db:"encoding"`
	PlivoUUID   *string        `db:"plivo_uuid"`
	Media       sql.NullString `db:"media_urls"`
	Flagged     sql.NullBool   `db:"flagged"`
	CreatedAt   sql.NullTime   `db:"created_at"`
	SendAt      *time.Time     `db:"send_at"`
	HoldNote    sql.NullString `db:"hold_note"`
	Purpose     sql.NullString `db:"purpose"`
	Missed      sql.NullBool   `db:"missed"`
	BulkID      *int64         `db:"bulk_id"`
	ResendOf    *int64         `db:"resend_of"`
	Sender      nullUser       `db:"u"`
}

func (m nullMessage) message(companyID int64) (*inbox.Message, error) {
	if !m.ID.Valid {
		return nil, nil
	}
	r := messageRow{Message: inbox.Message{
		ID: m.ID.Int64, CompanyID: companyID, ThreadID: m.ThreadID.Int64, NumberID: m.NumberID.Int64,
		ContactID: m.ContactID.Int64, Direction: inbox.Direction(m.Direction.String), Body: m.Body.String,
		Status: inbox.Status(m.Status.String), ErrorCode: m.ErrorCode.String, ErrorReason: m.ErrorReason.String,
		Segments: int(m.Segments.Int64), Encoding: m.Encoding.String, PlivoUUID: m.PlivoUUID,
		Flagged: m.Flagged.Bool, CreatedAt: m.CreatedAt.Time,
		SendAt: m.SendAt, HoldNote: m.HoldNote.String, Purpose: inbox.Purpose(m.Purpose.String), Missed: m.Missed.Bool,
		BulkID: m.BulkID, ResendOf: m.ResendOf,
	}, Media: m.Media.String, Sender: m.Sender}
	msg, err := r.message()
	return &msg, err
}

var threadSelect = `SELECT t.id, t.company_id, t.unread_count, t.read_at, t.last_message_at,
	t.awaiting_since, t.claimed_at, t.claim_expires_at, ` + nullUserColumns("cb") + `,
	n.id AS "n.id", n.company_id AS "n.company_id", n.e164 AS "n.e164", n.label AS "n.label",
	c.id AS "c.id", c.company_id AS "c.company_id", c.external_id AS "c.external_id", c.name AS "c.name",
	c.phone AS "c.phone", c.email AS "c.email", c.kind AS "c.kind", c.consent AS "c.consent",
	c.consent_source AS "c.consent_source", c.consent_at AS "c.consent_at",
	c.last_message_at AS "c.last_message_at", c.created_at AS "c.created_at", co.sms_enabled AS "c.sms_enabled",
	c.time_zone AS "c.time_zone", c.consent_review AS "c.consent_review", c.consent_requested_at AS "c.consent_requested_at",
	c.consent_review_reason AS "c.consent_review_reason",
	` + nullUserColumns("rb") + `, ` + nullUserColumns("pb") + `,
	lm.id AS "lm.id", lm.thread_id AS "lm.thread_id", lm.number_id AS "lm.number_id", lm.contact_id AS "lm.contact_id",
	lm.direction AS "lm.direction", lm.body AS "lm.body", lm.status AS "lm.status", lm.error_code AS "lm.error_code",
	lm.error_reason AS "lm.error_reason", lm.segments AS "lm.segments", lm.encoding AS "lm.encoding",
	lm.plivo_uuid AS "lm.plivo_uuid", lm.media_urls AS "lm.media_urls", lm.flagged AS "lm.flagged",
	lm.created_at AS "lm.created_at", lm.send_after AS "lm.send_at", lm.hold_note AS "lm.hold_note",
	lm.purpose AS "lm.purpose", lm.missed AS "lm.missed", lm.bulk_id AS "lm.bulk_id", lm.resend_of AS "lm.resend_of", lu.id AS "lm.u.id", lu.email AS "lm.u.email", lu.name AS "lm.u.name",
	lu.role AS "lm.u.role"
	FROM threads t
	JOIN numbers n ON n.id = t.number_id
	JOIN contacts c ON c.id = t.contact_id
	JOIN companies co ON co.id = t.company_id
	LEFT JOIN users rb ON rb.id = t.read_by
	LEFT JOIN users pb ON pb.id = t.replied_by
	LEFT JOIN messages lm ON lm.id = t.last_message_id
	LEFT JOIN users lu ON lu.id = lm.sent_by
	LEFT JOIN users cb ON cb.id = t.claimed_by `

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
	ts, err := toThreads(rows)
	if err != nil {
		return inbox.Thread{}, err
	}
	return ts[0], nil
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
	if f.ThreadIDs != nil {
		if len(f.ThreadIDs) == 0 {
			return []inbox.Thread{}, nil
		}
		query += ` AND t.id IN (?)`
		args = append(args, f.ThreadIDs)
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
	return toThreads(rows)
}

// toThreads turns rows into Threads.
func toThreads(rows []threadRow) ([]inbox.Thread, error) {
	threads := make([]inbox.Thread, len(rows))
	for i, r := range rows {
		last, err := r.Last.message(r.CompanyID)
		if err != nil {
			return nil, err
		}
		threads[i] = inbox.Thread{
			ID: r.ID, CompanyID: r.CompanyID, Number: r.Number, Contact: r.Contact,
			UnreadCount: r.UnreadCount, LastMessage: last, LastMessageAt: r.LastMessageAt,
			ReadBy: r.ReadBy.user(), ReadAt: utc(r.ReadAt), RepliedBy: r.RepliedBy.user(),
			AwaitingSince: utc(r.AwaitingSince), ClaimedBy: r.ClaimedBy.user(), ClaimedAt: utc(r.ClaimedAt),
			ClaimExpiresAt: utc(r.ClaimExpires),
		}
		if threads[i].ClaimedBy == nil {
			threads[i].ClaimedAt, threads[i].ClaimExpiresAt = nil, nil
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

func (t *tx) EnsureThreads(ctx context.Context, keys []inbox.ThreadKey) (map[inbox.ThreadKey]int64, error) {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b inbox.ThreadKey) int {
		return cmp.Or(cmp.Compare(a.NumberID, b.NumberID), cmp.Compare(a.ContactID, b.ContactID), cmp.Compare(a.CompanyID, b.CompanyID))
	})
	keys = slices.Compact(keys)
	ids := make(map[inbox.ThreadKey]int64, len(keys))
	if len(keys) == 0 {
		return ids, nil
	}
	if err := t.dialect.ensureThreads(ctx, t, keys, ids); err != nil {
		return nil, fmt.Errorf("ensure %d threads: %w", len(keys), err)
	}
	return ids, nil
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

// utc is t in UTC: SQLite hands times back in the zone they were written
// in, PostgreSQL in the session's.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func sentByID(m inbox.Message) *int64 {
	if m.SentBy == nil {
		return nil
	}
	return &m.SentBy.ID
}
