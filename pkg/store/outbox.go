package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// ClaimSends claims due messages one per free number lane: a person's own
// text before the texts of a bulk send, which may keep a lane busy for
// minutes, then the oldest first. A lane is taken
// with a conditional upsert: on PostgreSQL a second process waits for the
// first's row lock and then finds the lane busy, so no number ever sends
// faster than perNumber, whatever the number of processes.
func (t *tx) ClaimSends(ctx context.Context, now time.Time, perNumber time.Duration, limit int) ([]inbox.OutboundJob, error) {
	var numbers []int64
	err := t.sel(ctx, &numbers, `SELECT DISTINCT m.number_id FROM messages m
		WHERE m.send_state = 'pending' AND m.send_after <= ?
		AND NOT EXISTS (SELECT 1 FROM number_lanes l WHERE l.number_id = m.number_id AND l.next_at > ?)
		LIMIT ?`, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("find due numbers: %w", err)
	}
	var jobs []inbox.OutboundJob
	for _, numberID := range numbers {
		var lane []int64
		if err := t.sel(ctx, &lane, `INSERT INTO number_lanes (number_id, next_at) VALUES (?, ?)
			ON CONFLICT (number_id) DO UPDATE SET next_at = excluded.next_at WHERE number_lanes.next_at <= ?
			RETURNING number_id`, numberID, now.Add(perNumber), now); err != nil {
			return nil, fmt.Errorf("take lane of number %d: %w", numberID, err)
		}
		if len(lane) == 0 {
			continue // another process has it
		}
		var ids []int64
		// send_began_at: Plivo's records of this attempt are those since.
		if err := t.sel(ctx, &ids, `UPDATE messages SET send_state = 'sending', send_attempts = send_attempts + 1, updated_at = ?,
			send_began_at = ?
			WHERE id = (SELECT id FROM messages WHERE number_id = ? AND send_state = 'pending' AND send_after <= ?
			ORDER BY CASE WHEN bulk_id IS NULL THEN 0 ELSE 1 END, id LIMIT 1)
			AND send_state = 'pending' RETURNING id`, now, now, numberID, now); err != nil {
			return nil, fmt.Errorf("claim a message of number %d: %w", numberID, err)
		}
		if len(ids) == 0 {
			continue
		}
		var job inbox.OutboundJob
		if err := t.get(ctx, &job, `SELECT m.id, m.company_id, m.number_id, m.contact_id, n.e164 AS from_e164,
			c.phone AS to_phone, m.body, m.send_attempts, m.status, m.purpose, m.created_at FROM messages m JOIN numbers n ON n.id = m.number_id JOIN contacts c ON c.id = m.contact_id
			WHERE m.id = ?`, ids[0]); err != nil {
			return nil, fmt.Errorf("load claimed message %d: %w", ids[0], err)
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// NextSendAt is when the earliest queued message may be claimed: the later
// of its send_after and its number's lane. The outbox sleeps until then
// rather than polling, so a number sends at its configured rate (a lane
// taken by another process is seen at its due time). The row's columns are
// read as they are, not through an expression, so that both engines hand
// back times.
func (q queries) NextSendAt(ctx context.Context) (time.Time, bool, error) {
	var rows []struct {
		SendAfter time.Time  `db:"send_after"`
		LaneAt    *time.Time `db:"next_at"`
	}
	err := q.sel(ctx, &rows, `SELECT m.send_after, l.next_at FROM messages m
		LEFT JOIN number_lanes l ON l.number_id = m.number_id
		WHERE m.send_state = 'pending'
		ORDER BY CASE WHEN l.next_at > m.send_after THEN l.next_at ELSE m.send_after END LIMIT 1`)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find the next due send: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	due := rows[0].SendAfter
	if l := rows[0].LaneAt; l != nil && l.After(due) {
		due = *l
	}
	return due.UTC(), true, nil
}

func (q queries) QueueDepth(ctx context.Context) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT count(*) FROM messages WHERE send_state = 'pending'`); err != nil {
		return 0, fmt.Errorf("count queued messages: %w", err)
	}
	return n, nil
}

func (t *tx) MarkSent(ctx context.Context, messageID int64, providerID string) error {
	err := t.exec(ctx, `UPDATE messages SET send_state = 'done', plivo_uuid = COALESCE(plivo_uuid, ?), updated_at = ?
		WHERE id = ?`, providerID, t.now(), messageID)
	if err != nil {
		return fmt.Errorf("mark message %d sent: %w", messageID, err)
	}
	return nil
}

func (t *tx) RetrySend(ctx context.Context, messageID int64, at time.Time) error {
	err := t.exec(ctx, `UPDATE messages SET send_state = 'pending', send_after = ?, updated_at = ?
		WHERE id = ? AND send_state = 'sending'`, at.UTC(), t.now(), messageID)
	if err != nil {
		return fmt.Errorf("requeue message %d: %w", messageID, err)
	}
	return nil
}

// sendInDoubt is the SET clause of a send that may have reached the
// provider: never sent again, and shown as unknown unless a report has
// already moved it on.
const sendInDoubt = `send_state = 'unknown', status = CASE WHEN status = 'queued' THEN 'unknown' ELSE status END`

func (t *tx) MarkSendUnknown(ctx context.Context, messageID int64) error {
	err := t.exec(ctx, `UPDATE messages SET `+sendInDoubt+`, updated_at = ? WHERE id = ? AND send_state = 'sending'`,
		t.now(), messageID)
	if err != nil {
		return fmt.Errorf("mark send of message %d unknown: %w", messageID, err)
	}
	return nil
}

func (t *tx) AddPendingStatus(ctx context.Context, u inbox.StatusUpdate) error {
	units, rate, amount := billingArgs(u.Billing)
	err := t.exec(ctx, `INSERT INTO pending_statuses (plivo_uuid, status, error_code, error_reason, created_at,
		units, total_rate, total_amount, opted_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.MessageUUID, u.Status, u.ErrorCode, u.ErrorReason, t.now(), units, rate, amount, u.OptedOut)
	if err != nil {
		return fmt.Errorf("keep status report of %s: %w", u.MessageUUID, err)
	}
	return nil
}

func (t *tx) TakePendingStatuses(ctx context.Context, providerID string) ([]inbox.StatusUpdate, error) {
	var rows []struct {
		Status      inbox.Status `db:"status"`
		ErrorCode   string       `db:"error_code"`
		ErrorReason string       `db:"error_reason"`
		OptedOut    bool         `db:"opted_out"`
		billingRow
	}
	if err := t.sel(ctx, &rows, `DELETE FROM pending_statuses WHERE plivo_uuid = ?
		RETURNING status, error_code, error_reason, opted_out, units, total_rate, total_amount`, providerID); err != nil {
		return nil, fmt.Errorf("take status reports of %s: %w", providerID, err)
	}
	updates := make([]inbox.StatusUpdate, len(rows))
	for i, r := range rows {
		updates[i] = inbox.StatusUpdate{MessageUUID: providerID, Status: r.Status, ErrorCode: r.ErrorCode, ErrorReason: r.ErrorReason,
			OptedOut: r.OptedOut, Billing: r.billing()}
	}
	return updates, nil
}

// SetBilling keeps the charge a status report carried; what it left out
// keeps its value.
func (t *tx) SetBilling(ctx context.Context, messageID int64, b inbox.Billing) error {
	units, rate, amount := billingArgs(b)
	err := t.exec(ctx, `UPDATE messages SET units = COALESCE(?, units), total_rate = COALESCE(?, total_rate),
		total_amount = COALESCE(?, total_amount) WHERE id = ?`, units, rate, amount, messageID)
	if err != nil {
		return fmt.Errorf("record the charge of message %d: %w", messageID, err)
	}
	return nil
}

func (t *tx) Sweep(ctx context.Context, now, eventsBefore, reportsBefore, stuckBefore, unconfirmedBefore time.Time) (inbox.SweepResult, error) {
	var res inbox.SweepResult
	if err := t.DeleteExpired(ctx, now); err != nil {
		return res, err
	}
	steps := []struct {
		what  string
		query string
		arg   time.Time
	}{
		// The company feeds are kept longer (PruneFeed).
		{"prune events", `DELETE FROM events WHERE created_at < ? AND topic NOT LIKE 'feed:%'`, eventsBefore},
		{"prune kept reports", `DELETE FROM pending_statuses WHERE created_at < ?`, reportsBefore},
	}
	for _, s := range steps {
		if err := t.exec(ctx, s.query, s.arg); err != nil {
			return res, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	// updated_at stays the claim's time: the unconfirmed timeout counts from
	// the attempt.
	if err := t.sel(ctx, &res.InDoubt, `UPDATE messages SET `+sendInDoubt+`
		WHERE send_state = 'sending' AND updated_at < ? RETURNING id`, stuckBefore); err != nil {
		return res, fmt.Errorf("release stuck sends: %w", err)
	}
	if err := t.sel(ctx, &res.Unconfirmed, `SELECT id FROM messages
		WHERE send_state = 'unknown' AND status IN ('queued', 'unknown') AND updated_at < ? ORDER BY id`,
		unconfirmedBefore); err != nil {
		return res, fmt.Errorf("find unconfirmed sends: %w", err)
	}
	return res, nil
}

// SendsInDoubt lists sends in doubt that no report has settled (no
// provider id yet) and whose attempt began before before, oldest first. A
// row from before attempts were timed falls back on its last change.
func (q queries) SendsInDoubt(ctx context.Context, before time.Time, limit int) ([]inbox.SendInDoubt, error) {
	var rows []struct {
		ID        int64      `db:"id"`
		CompanyID int64      `db:"company_id"`
		NumberID  int64      `db:"number_id"`
		ContactID int64      `db:"contact_id"`
		From      string     `db:"from_e164"`
		To        string     `db:"to_phone"`
		BeganAt   *time.Time `db:"send_began_at"`
		UpdatedAt time.Time  `db:"updated_at"`
	}
	err := q.sel(ctx, &rows, `SELECT m.id, m.company_id, m.number_id, m.contact_id, n.e164 AS from_e164, c.phone AS to_phone,
		m.send_began_at, m.updated_at
		FROM messages m JOIN numbers n ON n.id = m.number_id JOIN contacts c ON c.id = m.contact_id
		WHERE m.send_state = 'unknown' AND m.plivo_uuid IS NULL
		AND (m.send_began_at < ? OR (m.send_began_at IS NULL AND m.updated_at < ?))
		ORDER BY m.id LIMIT ?`, before.UTC(), before.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("find sends in doubt: %w", err)
	}
	out := make([]inbox.SendInDoubt, len(rows))
	for i, r := range rows {
		began := r.UpdatedAt
		if r.BeganAt != nil {
			began = *r.BeganAt
		}
		out[i] = inbox.SendInDoubt{MessageID: r.ID, CompanyID: r.CompanyID, NumberID: r.NumberID, ContactID: r.ContactID,
			From: r.From, To: r.To, BeganAt: began.UTC()}
	}
	return out, nil
}

// knownIDsChunk bounds the IN list of one KnownProviderIDs query.
const knownIDsChunk = 500

func (q queries) KnownProviderIDs(ctx context.Context, ids []string) ([]string, error) {
	known := []string{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), knownIDsChunk)]
		ids = ids[len(chunk):]
		query, args, err := q.in(`SELECT plivo_uuid FROM messages WHERE plivo_uuid IN (?)`, chunk)
		if err != nil {
			return nil, fmt.Errorf("find known provider ids: %w", err)
		}
		var found []string
		if err := q.sel(ctx, &found, query, args...); err != nil {
			return nil, fmt.Errorf("find known provider ids: %w", err)
		}
		known = append(known, found...)
	}
	return known, nil
}

func (t *tx) AdoptSend(ctx context.Context, messageID int64, providerID string) (bool, error) {
	var ids []int64
	if err := t.sel(ctx, &ids, `UPDATE messages SET plivo_uuid = ?, updated_at = ?
		WHERE id = ? AND send_state = 'unknown' AND plivo_uuid IS NULL RETURNING id`, providerID, t.now(), messageID); err != nil {
		return false, fmt.Errorf("give message %d the provider id %s: %w", messageID, providerID, err)
	}
	return len(ids) == 1, nil
}

func (t *tx) ResendInDoubt(ctx context.Context, messageID int64, at time.Time) (bool, error) {
	var ids []int64
	if err := t.sel(ctx, &ids, `UPDATE messages SET send_state = 'pending',
		status = CASE WHEN status = 'unknown' THEN 'queued' ELSE status END, send_after = ?, updated_at = ?
		WHERE id = ? AND send_state = 'unknown' AND plivo_uuid IS NULL RETURNING id`, at.UTC(), t.now(), messageID); err != nil {
		return false, fmt.Errorf("queue message %d again: %w", messageID, err)
	}
	return len(ids) == 1, nil
}
