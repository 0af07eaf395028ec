package store

import (
	"context"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// AcquireLease takes the lease name for holder until until, unless another
// holder's lease is still live at now; a holder that has it already renews
// it. One statement, outside any transaction: the conditional upsert makes
// two instances asking at once agree on one holder.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	var got []string
	err := db.writer().sel(ctx, &got, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING name`, name, holder, until.UTC(), now.UTC())
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return len(got) == 1, nil
}

// ReleaseLease ends holder's lease at once, so that another instance need
// not wait for it to lapse; a lease someone else holds is left alone.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := db.writer().exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

func (q queries) BackfillSucceeded(ctx context.Context, name string) (time.Time, bool, error) {
	var at []time.Time
	if err := q.sel(ctx, &at, `SELECT succeeded_at FROM backfill_runs WHERE name = ?`, name); err != nil {
		return time.Time{}, false, fmt.Errorf("read the last backfill %s: %w", name, err)
	}
	if len(at) == 0 {
		return time.Time{}, false, nil
	}
	return at[0].UTC(), true, nil
}

func (t *tx) SetBackfillSucceeded(ctx context.Context, name string, at time.Time) error {
	if err := t.exec(ctx, `INSERT INTO backfill_runs (name, succeeded_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET succeeded_at = excluded.succeeded_at`, name, at.UTC()); err != nil {
		return fmt.Errorf("record backfill %s: %w", name, err)
	}
	return nil
}

func (q queries) MissedTexts(ctx context.Context, contactID int64) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT count(*) FROM messages WHERE contact_id = ? AND missed`, contactID); err != nil {
		return 0, fmt.Errorf("count missed texts of contact %d: %w", contactID, err)
	}
	return n, nil
}

// FillMissed gives the missed text with m's provider id its words. Only a
// text still missed is changed, so two deliveries of the late webhook fill
// it once.
func (t *tx) FillMissed(ctx context.Context, m *inbox.Message) (bool, error) {
	if m.PlivoUUID == nil {
		return false, nil
	}
	media, err := mediaJSON(m.MediaURLs)
	if err != nil {
		return false, err
	}
	var ids []int64
	if err := t.sel(ctx, &ids, `UPDATE messages SET body = ?, media_urls = ?, segments = ?, encoding = ?, flagged = ?,
		missed = FALSE, updated_at = ? WHERE plivo_uuid = ? AND missed RETURNING id`,
		m.Body, media, m.Segments, m.Encoding, m.Flagged, t.now(), *m.PlivoUUID); err != nil {
		return false, fmt.Errorf("fill in missed text %s: %w", *m.PlivoUUID, err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	m.ID = ids[0]
	return true, nil
}
