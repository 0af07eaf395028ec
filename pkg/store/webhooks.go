package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// The outbound webhooks' endpoints and delivery log (inbox.WebhookStore).

type webhookRow struct {
	inbox.Webhook
	EventsJSON string `db:"events"`
}

func (r webhookRow) webhook() inbox.Webhook {
	w := r.Webhook
	_ = json.Unmarshal([]byte(r.EventsJSON), &w.Events)
	if w.Events == nil {
		w.Events = []string{}
	}
	return w
}

const webhookColumns = `id, company_id, url, events, secret, delivered_seq, attempts, next_attempt_at,
	failing_since, last_error, disabled_at, created_at`

func (db *DB) CreateWebhook(ctx context.Context, w *inbox.Webhook) error {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	var row webhookRow
	err = db.writer().get(ctx, &row, `INSERT INTO webhook_endpoints (company_id, url, events, secret, delivered_seq, created_at)
		VALUES (?, ?, ?, ?, COALESCE((SELECT seq FROM topic_seqs WHERE topic = ?), 0), ?) RETURNING `+webhookColumns,
		w.CompanyID, w.URL, string(events), w.Secret, inbox.FeedTopic(w.CompanyID), now)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	*w = row.webhook()
	return nil
}

func (q queries) Webhooks(ctx context.Context, companyID int64) ([]inbox.Webhook, error) {
	var rows []webhookRow
	if err := q.sel(ctx, &rows, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE company_id = ? ORDER BY id`, companyID); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	hooks := make([]inbox.Webhook, len(rows))
	for i, r := range rows {
		hooks[i] = r.webhook()
	}
	return hooks, nil
}

func (q queries) Webhook(ctx context.Context, companyID, id int64) (inbox.Webhook, error) {
	var row webhookRow
	err := q.get(ctx, &row, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE company_id = ? AND id = ?`, companyID, id)
	if err != nil {
		return inbox.Webhook{}, notFound("webhook", err)
	}
	return row.webhook(), nil
}

func (db *DB) DeleteWebhook(ctx context.Context, companyID, id int64) error {
	sqlTx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return unavailable("begin transaction", err)
	}
	defer sqlTx.Rollback() //nolint:errcheck // committed below
	t := db.in(sqlTx, db.writeStmts)
	if err := t.exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id IN
		(SELECT id FROM webhook_endpoints WHERE company_id = ? AND id = ?)`, companyID, id); err != nil {
		return fmt.Errorf("delete webhook deliveries: %w", err)
	}
	n, err := t.execCount(ctx, `DELETE FROM webhook_endpoints WHERE company_id = ? AND id = ?`, companyID, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n == 0 {
		return inbox.NotFound("webhook")
	}
	if err := sqlTx.Commit(); err != nil {
		return unavailable("commit", err)
	}
	return nil
}

func (db *DB) DueWebhooks(ctx context.Context, now time.Time) ([]inbox.Webhook, error) {
	var rows []webhookRow
	err := db.sel(ctx, &rows, `SELECT `+prefixed("w.", webhookColumns)+` FROM webhook_endpoints w
		JOIN topic_seqs s ON s.topic = 'feed:' || w.company_id
		WHERE w.disabled_at IS NULL AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= ?) AND s.seq > w.delivered_seq
		ORDER BY w.id`, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("find due webhooks: %w", err)
	}
	hooks := make([]inbox.Webhook, len(rows))
	for i, r := range rows {
		hooks[i] = r.webhook()
	}
	return hooks, nil
}

func (db *DB) RecordDelivery(ctx context.Context, w inbox.Webhook, from int64, d inbox.WebhookDelivery) (bool, error) {
	sqlTx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return false, unavailable("begin transaction", err)
	}
	defer sqlTx.Rollback() //nolint:errcheck // committed below
	t := db.in(sqlTx, db.writeStmts)
	var n int64
	if d.Delivered() {
		n, err = t.execCount(ctx, `UPDATE webhook_endpoints SET delivered_seq = ?, attempts = 0, next_attempt_at = NULL,
			failing_since = NULL, last_error = '' WHERE id = ? AND delivered_seq = ? AND disabled_at IS NULL`, d.LastSeq, w.ID, from)
	} else {
		n, err = t.execCount(ctx, `UPDATE webhook_endpoints SET attempts = ?, next_attempt_at = ?, failing_since = ?,
			last_error = ?, disabled_at = ? WHERE id = ? AND delivered_seq = ? AND disabled_at IS NULL`,
			w.Attempts, utcPtr(w.NextAttemptAt), utcPtr(w.FailingSince), w.LastError, utcPtr(w.DisabledAt), w.ID, from)
	}
	if err != nil {
		return false, fmt.Errorf("record webhook delivery: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	if err := t.exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, first_seq, last_seq, events, attempted_at,
		status_code, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, d.FirstSeq, d.LastSeq, d.Events,
		d.AttemptedAt.UTC(), d.StatusCode, d.Error, d.LatencyMS); err != nil {
		return false, fmt.Errorf("log webhook delivery: %w", err)
	}
	if err := sqlTx.Commit(); err != nil {
		return false, unavailable("commit", err)
	}
	return true, nil
}

func (db *DB) SkipEvents(ctx context.Context, id, from, to int64) (bool, error) {
	n, err := db.writer().execCount(ctx, `UPDATE webhook_endpoints SET delivered_seq = ? WHERE id = ? AND delivered_seq = ?`, to, id, from)
	if err != nil {
		return false, fmt.Errorf("skip webhook events: %w", err)
	}
	return n == 1, nil
}

func (db *DB) ReplayWebhook(ctx context.Context, companyID, id, after int64) error {
	n, err := db.writer().execCount(ctx, `UPDATE webhook_endpoints SET delivered_seq = ?, attempts = 0,
		next_attempt_at = NULL, failing_since = NULL, last_error = '', disabled_at = NULL
		WHERE company_id = ? AND id = ?`, after, companyID, id)
	if err != nil {
		return fmt.Errorf("replay webhook: %w", err)
	}
	if n == 0 {
		return inbox.NotFound("webhook")
	}
	return nil
}

func (q queries) WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]inbox.WebhookDelivery, error) {
	deliveries := []inbox.WebhookDelivery{}
	if err := q.sel(ctx, &deliveries, `SELECT id, endpoint_id, first_seq, last_seq, events, attempted_at, status_code,
		error, latency_ms FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?`, endpointID, limit); err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return deliveries, nil
}

func (db *DB) PruneWebhookDeliveries(ctx context.Context, before time.Time) error {
	if err := db.writer().exec(ctx, `DELETE FROM webhook_deliveries WHERE attempted_at < ?`, before.UTC()); err != nil {
		return fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return nil
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// prefixed qualifies each of a comma-separated list of columns with p.
func prefixed(p, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
