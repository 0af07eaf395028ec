package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"smsinbox/pkg/inbox"
)

// Erasure (inbox.EraseStore): the rows stay, so the report's counts do not
// change; their personal data goes. The search indexes follow on their own:
// PostgreSQL's search_vector is generated from the body, SQLite's FTS5
// tables are kept by triggers.

func (t *tx) ContactWords(ctx context.Context, contactID int64) ([]string, error) {
	var rows []struct {
		Body  string `db:"body"`
		Media string `db:"media_urls"`
	}
	if err := t.sel(ctx, &rows, `SELECT body, media_urls FROM messages WHERE contact_id = ?`, contactID); err != nil {
		return nil, fmt.Errorf("read the words of contact %d: %w", contactID, err)
	}
	var words []string
	for _, r := range rows {
		words = append(words, r.Body)
		var media []string
		if json.Unmarshal([]byte(r.Media), &media) == nil {
			words = append(words, media...)
		}
	}
	return words, nil
}

func (t *tx) EraseContact(ctx context.Context, companyID, contactID int64, now time.Time, scrub func(json.RawMessage) json.RawMessage) error {
	n, err := t.execCount(ctx, `UPDATE contacts SET name = ?, phone = ?, email = ?, external_id = NULL, time_zone = '',
		erased_at = ?, updated_at = ? WHERE company_id = ? AND id = ?`,
		inbox.Erased, inbox.ErasedPhone(contactID), inbox.Erased, now.UTC(), now.UTC(), companyID, contactID)
	if err != nil {
		return fmt.Errorf("erase contact %d: %w", contactID, err)
	}
	if n == 0 {
		return inbox.NotFound("contact")
	}
	if err := t.exec(ctx, `UPDATE messages SET body = ?, media_urls = '', error_reason = '' WHERE contact_id = ?`,
		inbox.Erased, contactID); err != nil {
		return fmt.Errorf("erase the messages of contact %d: %w", contactID, err)
	}
	if err := t.scrubEvents(ctx, `contact_id = ?`, []any{contactID}, scrub); err != nil {
		return err
	}
	return t.dialect.purgeSearch(ctx, t)
}

func (t *tx) EraseMessagesBefore(ctx context.Context, companyID int64, before time.Time, limit int, scrub func(json.RawMessage) json.RawMessage) (int, error) {
	var contacts []int64
	if err := t.sel(ctx, &contacts, `UPDATE messages SET body = ?, media_urls = ''
		WHERE id IN (SELECT id FROM messages WHERE company_id = ? AND created_at < ? AND body <> ? ORDER BY id LIMIT ?)
		RETURNING contact_id`, inbox.Erased, companyID, before.UTC(), inbox.Erased, limit); err != nil {
		return 0, fmt.Errorf("erase the messages of company %d: %w", companyID, err)
	}
	seen := map[int64]bool{}
	for _, c := range contacts {
		if seen[c] {
			continue
		}
		seen[c] = true
		if err := t.scrubEvents(ctx, `contact_id = ?`, []any{c}, scrub); err != nil {
			return 0, err
		}
	}
	return len(contacts), nil
}

func (t *tx) PurgeSearch(ctx context.Context) error { return t.dialect.purgeSearch(ctx, t) }

// scrubEvents rewrites the payload of every event matching where with scrub.
func (t *tx) scrubEvents(ctx context.Context, where string, args []any, scrub func(json.RawMessage) json.RawMessage) error {
	var events []struct {
		Topic   string `db:"topic"`
		Seq     int64  `db:"seq"`
		Payload string `db:"payload"`
	}
	if err := t.sel(ctx, &events, `SELECT topic, seq, payload FROM events WHERE `+where, args...); err != nil {
		return fmt.Errorf("find events to erase: %w", err)
	}
	for _, e := range events {
		p := scrub(json.RawMessage(e.Payload))
		if string(p) == e.Payload {
			continue
		}
		if err := t.exec(ctx, `UPDATE events SET payload = ? WHERE topic = ? AND seq = ?`, string(p), e.Topic, e.Seq); err != nil {
			return fmt.Errorf("erase event %s/%d: %w", e.Topic, e.Seq, err)
		}
	}
	return nil
}

func (q queries) RetentionCompanies(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		ID   int64 `db:"id"`
		Days int   `db:"retention_days"`
	}
	if err := q.sel(ctx, &rows, `SELECT id, retention_days FROM companies WHERE retention_days IS NOT NULL`); err != nil {
		return nil, fmt.Errorf("read retention: %w", err)
	}
	m := make(map[int64]int, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Days
	}
	return m, nil
}

func (db *DB) PruneFeed(ctx context.Context, before time.Time) error {
	if err := db.writer().exec(ctx, `DELETE FROM events WHERE created_at < ? AND topic LIKE 'feed:%'`, before.UTC()); err != nil {
		return fmt.Errorf("prune the company feeds: %w", err)
	}
	return nil
}
