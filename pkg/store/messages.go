package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"smsinbox/pkg/inbox"
)

type messageRow struct {
	inbox.Message
	Media  string   `db:"media_urls"`
	Sender nullUser `db:"su"`
}

func (r messageRow) message() (inbox.Message, error) {
	m := r.Message
	m.SentBy = r.Sender.user()
	if m.Status != inbox.StatusScheduled {
		m.SendAt = nil // the queue's own time: only a scheduled text's is news
	}
	if r.Media != "" {
		if err := json.Unmarshal([]byte(r.Media), &m.MediaURLs); err != nil {
			return m, fmt.Errorf("decode media of message %d: %w", m.ID, err)
		}
	}
	return m, nil
}

const messageSelect = `SELECT m.id, m.company_id, m.thread_id, m.number_id, m.contact_id, m.direction, m.body, m.status, m.error_code, m.error_reason,
	m.segments, m.encoding, m.plivo_uuid, m.media_urls, m.flagged, m.created_at,
	m.send_after AS send_at, m.hold_note, m.purpose, m.consent_entry_id, m.missed, m.bulk_id, m.resend_of,
	su.id AS "su.id", su.email AS "su.email", su.name AS "su.name", su.role AS "su.role"
	FROM messages m LEFT JOIN users su ON su.id = m.sent_by `

// messagesWhere loads messages matching a condition, in id order.
func (q queries) messagesWhere(ctx context.Context, where string, args ...any) ([]inbox.Message, error) {
	query, args, err := q.in(messageSelect+`WHERE `+where+` ORDER BY m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	var rows []messageRow
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	msgs := make([]inbox.Message, len(rows))
	for i, r := range rows {
		if msgs[i], err = r.message(); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

func (q queries) Message(ctx context.Context, companyID, id int64) (inbox.Message, error) {
	return q.oneMessage(ctx, `m.company_id = ? AND m.id = ?`, companyID, id)
}

func (q queries) MessageByIdempotencyKey(ctx context.Context, userID int64, key string) (inbox.Message, string, error) {
	var row struct {
		ID          int64  `db:"id"`
		CompanyID   int64  `db:"company_id"`
		RequestHash string `db:"request_hash"`
	}
	if err := q.get(ctx, &row, `SELECT id, company_id, request_hash FROM messages WHERE sent_by = ? AND idempotency_key = ?`,
		userID, key); err != nil {
		return inbox.Message{}, "", notFound("message", err)
	}
	m, err := q.Message(ctx, row.CompanyID, row.ID)
	return m, row.RequestHash, err
}

func (q queries) Messages(ctx context.Context, companyID int64, threadIDs []int64, before int64, limit int) ([]inbox.Message, error) {
	if len(threadIDs) == 0 {
		return []inbox.Message{}, nil
	}
	where := `m.company_id = ? AND m.thread_id IN (?)`
	args := []any{companyID, threadIDs}
	if before > 0 {
		where += ` AND m.id < ?`
		args = append(args, before)
	}
	// The newest limit messages, returned oldest first.
	query, args, err := q.in(messageSelect+`WHERE `+where+` ORDER BY m.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	var rows []messageRow
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	msgs := make([]inbox.Message, len(rows))
	for i, r := range rows {
		if msgs[i], err = r.message(); err != nil {
			return nil, err
		}
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// InsertMessage stores m and records it on its thread and contact; its
// number and contact come from its thread. An outbound message joins the send
// queue. A repeated PlivoUUID or Idempotency-Key inserts nothing and reports
// duplicate. How the three writes are made is the dialect's: on PostgreSQL
// they are one statement, as a round trip costs more than any of them.
func (t *tx) InsertMessage(ctx context.Context, m *inbox.Message) (bool, error) {
	values, touch, err := t.messageValues(m)
	if err != nil {
		return false, err
	}
	ids, err := t.dialect.insertMessage(ctx, t, m, append(values, m.ThreadID, m.CompanyID), touch)
	if err != nil {
		return false, err
	}
	if len(ids) == 0 {
		return true, nil
	}
	m.ID = ids[0]
	return false, nil
}

// InsertMessages is InsertMessage for messages of one direction, each on a
// thread of its own (a batch of inbound texts), with their NumberID and
// ContactID set to their threads'. On PostgreSQL it is one statement. A
// duplicate keeps ID 0.
func (t *tx) InsertMessages(ctx context.Context, ms []*inbox.Message) error {
	if len(ms) == 0 {
		return nil
	}
	rows := make([][]any, len(ms))
	threads := make(map[int64]bool, len(ms))
	var touch string
	for i, m := range ms {
		if threads[m.ThreadID] || m.Direction != ms[0].Direction {
			return fmt.Errorf("insert messages: each must be on a thread of its own, all of one direction")
		}
		threads[m.ThreadID] = true
		values, tc, err := t.messageValues(m)
		if err != nil {
			return err
		}
		rows[i], touch = append([]any{m.CompanyID, m.ThreadID, m.NumberID, m.ContactID}, values...), tc
	}
	ids, err := t.dialect.insertMessages(ctx, t, ms, rows, touch)
	if err != nil {
		return err
	}
	for _, m := range ms {
		m.ID = ids[m.ThreadID]
	}
	return nil
}

// messageValues are m's columns after its thread's four (messageColumns),
// and the rest of its thread's SET clause (see dialect.insertMessage).
func (t *tx) messageValues(m *inbox.Message) ([]any, string, error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = t.now()
	}
	media, err := mediaJSON(m.MediaURLs)
	if err != nil {
		return nil, "", err
	}
	sendState := "none"
	var sendAfter any
	if m.Direction == inbox.Outbound && (m.Status == inbox.StatusQueued || m.Status == inbox.StatusScheduled) {
		sendState, sendAfter = "pending", m.CreatedAt
		if m.SendAt != nil {
			sendAfter = m.SendAt.UTC()
		}
	}
	var key any
	if m.IdempotencyKey != "" {
		key = m.IdempotencyKey
	}
	values := []any{m.Direction, m.Body, m.Status, m.ErrorCode, m.ErrorReason, m.Segments, m.Encoding, sentByID(*m),
		m.PlivoUUID, key, m.RequestHash, media, m.Flagged, sendState, sendAfter, m.CreatedAt, m.CreatedAt,
		m.ConsentEntryID, m.Purpose, m.HoldNote, m.Missed, m.BulkID, m.ResendOf}
	// An inbound message raises the unread count and, if it is the first
	// since the last outbound one, starts the thread's wait for a reply; an
	// outbound one ends the wait and records its sender as the last replier
	// (a system message, with no sender, keeps the one before).
	touch := `unread_count = threads.unread_count + 1, read_by = NULL, read_at = NULL,
		awaiting_since = COALESCE(threads.awaiting_since, m.created_at)`
	if m.Direction == inbox.Outbound {
		touch = `replied_by = COALESCE(m.sent_by, threads.replied_by), awaiting_since = NULL`
	}
	return values, touch, nil
}

// messageColumns are the columns a message is inserted with: its thread's
// four, then messageValues'.
const messageColumns = `company_id, thread_id, number_id, contact_id, direction, body, status,
	error_code, error_reason, segments, encoding, sent_by, plivo_uuid, idempotency_key, request_hash, media_urls, flagged,
	send_state, send_after, created_at, updated_at, consent_entry_id, purpose, hold_note, missed, bulk_id, resend_of`

// insertMessage inserts a message into the thread it names, if that thread
// belongs to the company named.
const insertMessage = `INSERT INTO messages (` + messageColumns + `)
	SELECT t.company_id, t.id, t.number_id, t.contact_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
	FROM threads t WHERE t.id = ? AND t.company_id = ?
	ON CONFLICT DO NOTHING`

func (q queries) MessageByID(ctx context.Context, id int64) (inbox.Message, error) {
	return q.oneMessage(ctx, `m.id = ?`, id)
}

func (q queries) MessageByUUID(ctx context.Context, providerID string) (inbox.Message, error) {
	return q.oneMessage(ctx, `m.plivo_uuid = ?`, providerID)
}

func (q queries) oneMessage(ctx context.Context, where string, args ...any) (inbox.Message, error) {
	msgs, err := q.messagesWhere(ctx, where, args...)
	if err != nil {
		return inbox.Message{}, err
	}
	if len(msgs) == 0 {
		return inbox.Message{}, inbox.NotFound("message")
	}
	return msgs[0], nil
}

func (t *tx) SetStatus(ctx context.Context, m inbox.Message) error {
	err := t.exec(ctx, `UPDATE messages SET status = ?, error_code = ?, error_reason = ?, plivo_uuid = COALESCE(plivo_uuid, ?),
		send_state = CASE WHEN send_state IN ('pending', 'unknown') THEN 'done' ELSE send_state END, updated_at = ?
		WHERE id = ?`, m.Status, m.ErrorCode, m.ErrorReason, m.PlivoUUID, t.now(), m.ID)
	if err != nil {
		return fmt.Errorf("set status of message %d: %w", m.ID, err)
	}
	return nil
}

func (t *tx) GateSend(ctx context.Context, messageID int64, g inbox.SendGateUpdate) error {
	var after any
	if g.SendAfter != nil {
		after = g.SendAfter.UTC()
	}
	err := t.exec(ctx, `UPDATE messages SET status = ?, send_state = ?, send_after = COALESCE(?, send_after), hold_note = ?,
		error_code = ?, error_reason = ?, consent_entry_id = ?, updated_at = ? WHERE id = ?`,
		g.Status, g.SendState, after, g.HoldNote, g.ErrorCode, g.ErrorReason, g.ConsentEntryID, t.now(), messageID)
	if err != nil {
		return fmt.Errorf("gate message %d: %w", messageID, err)
	}
	return nil
}

// mediaJSON is the media_urls column of a message's media: a JSON array, or
// empty for none.
func mediaJSON(urls []string) (string, error) {
	if len(urls) == 0 {
		return "", nil
	}
	b, err := json.Marshal(urls)
	if err != nil {
		return "", fmt.Errorf("encode media: %w", err)
	}
	return string(b), nil
}
