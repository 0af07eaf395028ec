package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// ClaimSends claims due messages one per free number lane. A lane is taken
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
		if err := t.sel(ctx, &ids, `UPDATE messages SET send_state = 'sending', send_attempts = send_attempts + 1, updated_at = ?
			WHERE id = (SELECT id FROM messages WHERE number_id = ? AND send_state = 'pending' AND send_after <= ? ORDER BY id LIMIT 1)
			AND send_state = 'pending' RETURNING id`, now, numberID, now); err != nil {
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

func (t *tx) MarkSendUnknown(ctx context.Context, messageID int64) error {
	err := t.exec(ctx, `UPDATE messages SET send_state = 'unknown', updated_at = ? WHERE id = ? AND send_state = 'sending'`,
		t.now(), messageID)
	if err != nil {
		return fmt.Errorf("mark send of message %d unknown: %w", messageID, err)
	}
	return nil
}

func (t *tx) AddPendingStatus(ctx context.Context, u inbox.StatusUpdate) error {
	err := t.exec(ctx, `INSERT INTO pending_statuses (plivo_uuid, status, error_code, error_reason, created_at)
		VALUES (?, ?, ?, ?, ?)`, u.MessageUUID, u.Status, u.ErrorCode, u.ErrorReason, t.now())
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
	}
	if err := t.sel(ctx, &rows, `DELETE FROM pending_statuses WHERE plivo_uuid = ? RETURNING status, error_code, error_reason`,
		providerID); err != nil {
		return nil, fmt.Errorf("take status reports of %s: %w", providerID, err)
	}
	updates := make([]inbox.StatusUpdate, len(rows))
	for i, r := range rows {
		updates[i] = inbox.StatusUpdate{MessageUUID: providerID, Status: r.Status, ErrorCode: r.ErrorCode, ErrorReason: r.ErrorReason}
	}
	return updates, nil
}

func (t *tx) Sweep(ctx context.Context, now, eventsBefore, reportsBefore, stuckBefore, unconfirmedBefore time.Time) ([]int64, error) {
	if err := t.DeleteExpired(ctx, now); err != nil {
		return nil, err
	}
	steps := []struct {
		what  string
		query string
		arg   time.Time
	}{
		{"prune events", `DELETE FROM events WHERE created_at < ?`, eventsBefore},
		{"prune kept reports", `DELETE FROM pending_statuses WHERE created_at < ?`, reportsBefore},
		{"release stuck sends", `UPDATE messages SET send_state = 'unknown' WHERE send_state = 'sending' AND updated_at < ?`, stuckBefore},
	}
	for _, s := range steps {
		if err := t.exec(ctx, s.query, s.arg); err != nil {
			return nil, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	var ids []int64
	if err := t.sel(ctx, &ids, `SELECT id FROM messages WHERE send_state = 'unknown' AND status = 'queued' AND updated_at < ?`,
		unconfirmedBefore); err != nil {
		return nil, fmt.Errorf("find unconfirmed sends: %w", err)
	}
	return ids, nil
}
