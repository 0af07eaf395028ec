package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/inbox"
)

// ReportData sizes the generated data of the report benchmark.
type ReportData struct {
	Messages, Numbers, Users, Contacts int
	End                                time.Time     // the newest message is just before End
	Span                               time.Duration // the messages spread evenly over the Span before End
}

// ReportFixture is what GenerateReportData made.
type ReportFixture struct {
	CompanyID                      int64
	NumberIDs, UserIDs, ContactIDs []int64
}

// GenerateReportData fills a PostgreSQL store with one company's numbers,
// recruiters, contacts (one thread each) and messages, set-wise in the
// database (INSERT … SELECT generate_series) in time order as they would
// arrive, then vacuums and analyses, as autovacuum would have in a steady
// state. Messages alternate inbound and
// outbound; outbound ones are sent by the recruiters in turn, one in fifty is
// an automatic reply (no sender), one in forty failed and one in forty
// undelivered; every outbound one carries Plivo's charge (a unit per
// segment at 0.00650).
func (db *DB) GenerateReportData(ctx context.Context, d ReportData) (ReportFixture, error) {
	if !db.postgres {
		return ReportFixture{}, fmt.Errorf("generate report data: PostgreSQL only, not %s", db.Engine())
	}
	var f ReportFixture
	now := time.Now().UTC()
	steps := []struct {
		what string
		run  func() error
	}{
		{"company", func() error {
			return db.write.GetContext(ctx, &f.CompanyID, `INSERT INTO companies (name, created_at) VALUES ('Bench', $1) RETURNING id`, now)
		}},
		{"users", func() error {
			return db.write.SelectContext(ctx, &f.UserIDs, `INSERT INTO users (company_id, email, name, role, password_hash, created_at)
				SELECT $1, 'recruiter' || g || '@bench.test', 'Recruiter ' || g, 'recruiter', 'x', $2
				FROM generate_series(1, $3) g RETURNING id`, f.CompanyID, now, d.Users)
		}},
		{"numbers", func() error {
			return db.write.SelectContext(ctx, &f.NumberIDs, `INSERT INTO numbers (company_id, e164, label, created_at)
				SELECT $1, '+1415555' || lpad(g::text, 4, '0'), 'Line ' || g, $2
				FROM generate_series(1, $3) g RETURNING id`, f.CompanyID, now, d.Numbers)
		}},
		{"contacts", func() error {
			return db.write.SelectContext(ctx, &f.ContactIDs, `INSERT INTO contacts (company_id, name, phone, kind, consent, created_at, updated_at)
				SELECT $1, 'Candidate ' || g, '+1650' || lpad(g::text, 7, '0'), 'candidate', 'opted_in', $2, $2
				FROM generate_series(1, $3) g RETURNING id`, f.CompanyID, now, d.Contacts)
		}},
		{"threads", func() error {
			_, err := db.write.ExecContext(ctx, `INSERT INTO threads (company_id, number_id, contact_id, created_at)
				SELECT $1, n.id, c.id, $2
				FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM contacts WHERE company_id = $1) c
				JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM numbers WHERE company_id = $1) n
					ON n.k = c.k % $3`, f.CompanyID, now, d.Numbers)
			return err
		}},
		{"messages", func() error {
			// Triggers off for the bulk load: its rollups and response
			// times are made set-wise below, as the migration makes them.
			if _, err := db.write.ExecContext(ctx, `ALTER TABLE messages DISABLE TRIGGER USER`); err != nil {
				return err
			}
			_, err := db.write.ExecContext(ctx, `INSERT INTO messages (company_id, thread_id, number_id, contact_id, direction, body,
				status, error_code, segments, encoding, sent_by, created_at, updated_at, units, total_rate, total_amount)
				SELECT $1, t.id, t.number_id, t.contact_id,
					CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
					'Hello ' || g || ', are you free for a call about the role tomorrow?',
					CASE WHEN g % 2 = 0 THEN 'received' WHEN g % 80 = 1 THEN 'failed' WHEN g % 80 = 3 THEN 'undelivered' ELSE 'delivered' END,
					CASE WHEN g % 2 = 1 AND g % 80 IN (1, 3) THEN '30' ELSE '' END,
					1 + g % 3, 'GSM-7',
					CASE WHEN g % 2 = 1 AND g % 100 <> 99 THEN u.id END,
					$2::timestamptz - (($4 + 1 - g)::bigint * $3::bigint) * interval '1 microsecond', $2::timestamptz,
					CASE WHEN g % 2 = 1 THEN 1 + g % 3 END, CASE WHEN g % 2 = 1 THEN 0.00650 END,
					CASE WHEN g % 2 = 1 THEN (1 + g % 3) * 0.00650 END
				FROM generate_series(1, $4) g
				JOIN (SELECT id, number_id, contact_id, row_number() OVER (ORDER BY id) - 1 AS k FROM threads WHERE company_id = $1) t
					ON t.k = g % $5
				JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE company_id = $1) u
					ON u.k = (g / 2) % $6`,
				f.CompanyID, d.End.UTC(), d.Span.Microseconds()/int64(d.Messages+1), d.Messages, d.Contacts, d.Users)
			if err != nil {
				return err
			}
			_, err = db.write.ExecContext(ctx, `ALTER TABLE messages ENABLE TRIGGER USER`)
			return err
		}},
		{"rollups and response times", func() error { return db.deriveReportData(ctx, f.CompanyID) }},
		{"vacuum", func() error {
			_, err := db.write.ExecContext(ctx, `VACUUM ANALYZE companies, users, numbers, contacts, threads, messages,
				message_rollups, message_rollup_deltas, responses`)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return f, fmt.Errorf("generate report data: %s: %w", s.what, err)
		}
	}
	return f, nil
}

// SetReportBatch makes reads of a whole range go in batches of n rows until
// the test ends.
func SetReportBatch(t testing.TB, n int) {
	old := reportBatch
	reportBatch = n
	t.Cleanup(func() { reportBatch = old })
}

// ExplainReport runs EXPLAIN (ANALYZE, BUFFERS) on the report's page query
// (rows; q.Limit rows) or its totals query (groups) on PostgreSQL and
// returns the plan.
func (db *DB) ExplainReport(ctx context.Context, companyID int64, q inbox.ReportQuery, groups bool) (string, error) {
	query, args := reportRowsQuery(companyID, q)
	if groups {
		query, args = db.queries.reportGroupsQuery(companyID, q.ReportFilter)
	}
	var lines []string
	if err := db.read.SelectContext(ctx, &lines, `EXPLAIN (ANALYZE, BUFFERS) `+sqlx.Rebind(db.queries.bind, query), args...); err != nil {
		return "", fmt.Errorf("explain report: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// MessagesSizes lists the size of the messages table and of each of its
// indexes on PostgreSQL, largest first.
func (db *DB) MessagesSizes(ctx context.Context) (string, error) {
	var rows []struct {
		Name string `db:"name"`
		Size string `db:"size"`
	}
	err := db.read.SelectContext(ctx, &rows, `SELECT c.relname AS name, pg_size_pretty(pg_relation_size(c.oid)) AS size
		FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
		AND (c.relname = 'messages' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'messages'::regclass))
		ORDER BY pg_relation_size(c.oid) DESC`)
	if err != nil {
		return "", fmt.Errorf("messages sizes: %w", err)
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s; ", r.Name, r.Size)
	}
	return strings.TrimSuffix(b.String(), "; "), nil
}
