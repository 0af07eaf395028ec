package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"smsinbox/pkg/inbox"
)

// InboxData sizes the generated data of the find benchmark.
type InboxData struct {
	Messages, Numbers, Users, Contacts int
	End                                time.Time     // every message is before End
	Span                               time.Duration // the conversations spread evenly over the Span before End
}

// InboxFixture is what GenerateInboxData made.
type InboxFixture struct {
	CompanyID  int64
	AdminID    int64
	UserIDs    []int64 // recruiters; the first is assigned to every number
	NumberIDs  []int64
	ContactIDs []int64
}

// benchWords are the words of the generated texts: each text has a greeting
// (one in five texts has each), eight of the others (each in about one text
// in twenty-five), and its own reference number; one in 10,007 mentions a
// zeppelin.
var benchWords = []string{
	"hello", "thanks", "hi", "sure", "great",
	"interview", "interviews", "call", "tomorrow", "today", "morning", "afternoon", "evening", "monday", "tuesday",
	"wednesday", "thursday", "friday", "saturday", "sunday", "shift", "schedule", "rescheduled", "available", "availability",
	"nurse", "forklift", "warehouse", "driver", "cashier", "manager", "position", "role", "job", "offer",
	"salary", "pay", "hourly", "benefits", "start", "date", "week", "weekend", "training", "orientation",
	"background", "check", "drug", "test", "license", "certificate", "resume", "reference", "references", "documents",
	"address", "parking", "uniform", "boots", "badge", "email", "phone", "number", "text", "message",
	"confirm", "confirmed", "cancel", "cancelled", "late", "early", "running", "traffic", "bus", "train",
	"location", "office", "site", "building", "floor", "room", "lobby", "desk", "front", "back",
	"question", "questions", "answer", "answers", "help", "please", "sorry", "okay", "yes", "no",
	"maybe", "later", "soon", "asap", "minutes", "hours", "days", "noon", "night", "overnight",
	"contract", "temporary", "permanent", "part", "full", "time", "experience", "years", "skills", "certified",
	"forms", "signed", "sign", "onboarding", "payroll", "direct", "deposit", "bank", "account", "tax",
	"hire", "hired", "hiring", "recruiter", "team", "supervisor", "lead", "crew", "staff", "coworker",
	"safety", "vest", "gloves", "helmet", "glasses", "equipment", "tools", "truck", "van", "car",
	"apply", "applied", "application", "status", "update", "news", "decision", "feedback", "next", "steps",
	"excited", "interested", "thank", "appreciate", "looking", "forward", "meeting", "meet", "zoom", "video",
	"photo", "picture", "copy", "scan", "upload", "portal", "link", "website", "login", "password",
	"holiday", "vacation", "sick", "leave", "doctor", "appointment", "family", "child", "care", "school",
	"coffee", "lunch", "break", "overtime", "commute",
}

// GenerateInboxData fills a PostgreSQL store with one company's conversations
// as the find benchmark needs them, set-wise in the database: every contact
// has one thread (on a number in turn); each conversation is an inbound text
// and, nine times in ten, a reply by a recruiter (one in a hundred an
// automatic reply) after a delay of 20 s to 3.5 h, skewed short; one thread
// in ten is unread. The messages are written with the triggers off and the
// rollups, response times, threads' state and search index then made
// set-wise, as the migration does for a database that has data, and the
// tables vacuumed and analysed, as autovacuum would have in a steady state.
func (db *DB) GenerateInboxData(ctx context.Context, d InboxData) (InboxFixture, error) {
	if !db.postgres {
		return InboxFixture{}, fmt.Errorf("generate inbox data: PostgreSQL only, not %s", db.Engine())
	}
	var f InboxFixture
	now := time.Now().UTC()
	pairs := d.Messages / 2
	step := d.Span.Microseconds() / int64(pairs+1)
	steps := []struct {
		what string
		run  func() error
	}{
		{"company", func() error {
			return db.write.GetContext(ctx, &f.CompanyID, `INSERT INTO companies (name, created_at) VALUES ('Bench', $1) RETURNING id`, now)
		}},
		{"users", func() error {
			if err := db.write.GetContext(ctx, &f.AdminID, `INSERT INTO users (company_id, email, name, role, password_hash, created_at)
				VALUES ($1, 'admin@bench.test', 'Admin', 'admin', 'x', $2) RETURNING id`, f.CompanyID, now); err != nil {
				return err
			}
			return db.write.SelectContext(ctx, &f.UserIDs, `INSERT INTO users (company_id, email, name, role, password_hash, created_at)
				SELECT $1, 'recruiter' || g || '@bench.test', 'Recruiter ' || g, 'recruiter', 'x', $2
				FROM generate_series(1, $3) g ORDER BY g RETURNING id`, f.CompanyID, now, d.Users)
		}},
		{"numbers", func() error {
			return db.write.SelectContext(ctx, &f.NumberIDs, `INSERT INTO numbers (company_id, e164, label, created_at)
				SELECT $1, '+1415555' || lpad(g::text, 4, '0'), 'Line ' || g, $2
				FROM generate_series(1, $3) g ORDER BY g RETURNING id`, f.CompanyID, now, d.Numbers)
		}},
		{"assignees", func() error {
			// The first recruiter sees every number; the others one each.
			_, err := db.write.ExecContext(ctx, `INSERT INTO number_assignees (number_id, user_id)
				SELECT n, $2 FROM unnest($1::bigint[]) n
				UNION SELECT ($1::bigint[])[1 + (k % cardinality($1::bigint[]))], u
				FROM unnest($3::bigint[]) WITH ORDINALITY AS x (u, k) WHERE u <> $2`,
				pq.Array(f.NumberIDs), f.UserIDs[0], pq.Array(f.UserIDs))
			return err
		}},
		{"contacts", func() error {
			return db.write.SelectContext(ctx, &f.ContactIDs, `INSERT INTO contacts (company_id, name, phone, email, kind, consent, created_at, updated_at)
				SELECT $1, 'Candidate ' || g, '+1650' || lpad(g::text, 7, '0'), 'candidate' || g || '@mail.test', 'candidate', 'opted_in', $2, $2
				FROM generate_series(1, $3) g ORDER BY g RETURNING id`, f.CompanyID, now, d.Contacts)
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
			if _, err := db.write.ExecContext(ctx, `ALTER TABLE messages DISABLE TRIGGER USER`); err != nil {
				return err
			}
			// Pair j: an inbound text at start + j steps; its reply (slot 1,
			// nine pairs in ten) after 20 + (j·7919 mod 1000)²/80 seconds.
			_, err := db.write.ExecContext(ctx, `INSERT INTO messages (company_id, thread_id, number_id, contact_id, direction, body,
				status, error_code, segments, encoding, sent_by, created_at, updated_at)
				SELECT $1, t.id, t.number_id, t.contact_id,
					CASE WHEN p.slot = 0 OR p.j % 10 = 9 THEN 'inbound' ELSE 'outbound' END,
					w[1 + p.g % 5] || ' ' || w[6 + (p.g * 7) % (cardinality(w) - 5)] || ' ' || w[6 + (p.g * 13 + 5) % (cardinality(w) - 5)] || ' ' ||
					w[6 + (p.g * 31 + 11) % (cardinality(w) - 5)] || ' ' || w[6 + (p.g * 37 + 17) % (cardinality(w) - 5)] || ' the ' || w[6 + (p.g * 41 + 23) % (cardinality(w) - 5)] ||
					' ' || w[6 + (p.g * 43 + 29) % (cardinality(w) - 5)] || ' ' || w[6 + (p.g * 47 + 31) % (cardinality(w) - 5)] || ' ' || w[6 + (p.g * 53 + 37) % (cardinality(w) - 5)] ||
					', ref ' || (100000 + p.g) || CASE WHEN p.g % 10007 = 0 THEN ' zeppelin' ELSE '' END,
					CASE WHEN p.slot = 0 OR p.j % 10 = 9 THEN 'received' WHEN p.g % 80 = 1 THEN 'failed' ELSE 'delivered' END,
					CASE WHEN p.slot = 1 AND p.j % 10 <> 9 AND p.g % 80 = 1 THEN '30' ELSE '' END,
					1, 'GSM-7',
					CASE WHEN p.slot = 1 AND p.j % 10 <> 9 AND p.j % 100 <> 98 THEN u.id END,
					p.at, p.at
				FROM (SELECT g, g / 2 AS j, g % 2 AS slot,
						LEAST($2::timestamptz - interval '1 microsecond',
							$2::timestamptz - ($4 - g / 2)::bigint * $3::bigint * interval '1 microsecond'
							+ CASE WHEN g % 2 = 1 THEN (20 + ((g / 2) * 7919 % 1000) ^ 2 / 80) * interval '1 second' ELSE interval '0' END) AS at
					FROM generate_series(0::bigint, 2 * $4::bigint - 1) g) p
				JOIN (SELECT id, number_id, contact_id, row_number() OVER (ORDER BY id) - 1 AS k FROM threads WHERE company_id = $1) t
					ON t.k = p.j % $5
				JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE company_id = $1 AND role = 'recruiter') u
					ON u.k = p.j % $6
				CROSS JOIN (SELECT $7::text[] AS w) words
				ORDER BY p.g`,
				f.CompanyID, d.End.UTC(), step, pairs, d.Contacts, d.Users, pq.Array(benchWords))
			if err != nil {
				return err
			}
			_, err = db.write.ExecContext(ctx, `ALTER TABLE messages ENABLE TRIGGER USER`)
			return err
		}},
		{"threads' state", func() error {
			_, err := db.write.ExecContext(ctx, `UPDATE threads t SET last_message_id = l.id, last_message_at = l.created_at,
					replied_by = (SELECT o.sent_by FROM messages o WHERE o.thread_id = t.id AND o.direction = 'outbound'
						AND o.sent_by IS NOT NULL ORDER BY o.id DESC LIMIT 1),
					unread_count = CASE WHEN t.id % 10 = 0 THEN 1 ELSE 0 END,
					awaiting_since = (SELECT min(i.created_at) FROM messages i
						WHERE i.thread_id = t.id AND i.direction = 'inbound'
						AND i.id > COALESCE((SELECT max(o.id) FROM messages o WHERE o.thread_id = t.id AND o.direction = 'outbound'), 0))
				FROM (SELECT DISTINCT ON (thread_id) thread_id, id, created_at FROM messages WHERE company_id = $1
					ORDER BY thread_id, created_at DESC, id DESC) l
				WHERE l.thread_id = t.id`, f.CompanyID)
			if err != nil {
				return err
			}
			_, err = db.write.ExecContext(ctx, `UPDATE contacts c SET last_message_at = t.last_message_at FROM threads t WHERE t.contact_id = c.id AND c.company_id = $1`, f.CompanyID)
			return err
		}},
		{"rollups and response times", func() error { return db.deriveReportData(ctx, f.CompanyID) }},
		{"vacuum", func() error {
			_, err := db.write.ExecContext(ctx, `VACUUM ANALYZE companies, users, numbers, number_assignees, contacts, threads, messages,
				message_rollups, message_rollup_deltas, responses`)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return f, fmt.Errorf("generate inbox data: %s: %w", s.what, err)
		}
	}
	return f, nil
}

// deriveReportData makes a company's rollups and response times from its
// messages, as the 00005 and 00006 migrations do for the messages stored
// before them.
func (db *DB) deriveReportData(ctx context.Context, companyID int64) error {
	for _, q := range []string{
		`INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
		SELECT company_id, date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', number_id, COALESCE(sent_by, 0),
			direction, status, count(*), sum(segments), COALESCE(sum(units), 0), COALESCE(sum(total_amount), 0)
		FROM messages WHERE company_id = $1 GROUP BY 1, 2, 3, 4, 5, 6`,
		`INSERT INTO responses (inbound_id, reply_id, company_id, number_id, contact_id, responder_id, inbound_at, seconds)
		SELECT i.id, o.id, i.company_id, i.number_id, i.contact_id, o.sent_by, i.created_at,
			GREATEST(0, floor(extract(epoch FROM o.created_at - i.created_at)))::bigint
		FROM messages i
		JOIN messages o ON o.id = (SELECT min(o2.id) FROM messages o2
			WHERE o2.thread_id = i.thread_id AND o2.direction = 'outbound' AND o2.id > i.id)
		WHERE i.company_id = $1 AND i.direction = 'inbound'`,
	} {
		if _, err := db.write.ExecContext(ctx, q, companyID); err != nil {
			return err
		}
	}
	return nil
}

// ExplainInbox runs EXPLAIN (ANALYZE, BUFFERS) on InboxThreads' statement.
func (db *DB) ExplainInbox(ctx context.Context, companyID int64, q inbox.InboxQuery) (string, error) {
	query, args, err := db.queries.inboxThreadsQuery(companyID, q)
	if err != nil {
		return "", err
	}
	return db.explain(ctx, query, args)
}

func (db *DB) explain(ctx context.Context, query string, args []any) (string, error) {
	var lines []string
	if err := db.read.SelectContext(ctx, &lines, `EXPLAIN (ANALYZE, BUFFERS) `+sqlx.Rebind(db.queries.bind, query), args...); err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// ExplainSearch runs EXPLAIN (ANALYZE, BUFFERS) on each statement a
// search runs on PostgreSQL, in order, after running it.
func (db *DB) ExplainSearch(ctx context.Context, companyID int64, s inbox.MessageSearch) (string, error) {
	window, err := db.queries.searchWindow(ctx, companyID, s)
	if err != nil {
		return "", err
	}
	query, args := searchPageQuery(s, window)
	page, err := db.explain(ctx, query, args)
	if err != nil {
		return "", err
	}
	index, err := db.explain(ctx, searchIndexQuery, []any{companyID, pq.Array(s.NumberIDs), int64(math.MaxInt64), pgQuery(s.Terms), s.Window})
	return fmt.Sprintf("window of %d; its page:\n%s\nthe index read of the whole window (step 3 alone):\n%s", len(window), page, index), err
}

// SetSearchSlices makes searches read probe newest messages first, then at
// most scanMax more, until the test ends, so that small tests go through
// every part of a search window.
func SetSearchSlices(t testing.TB, probe, scanMax int) {
	oldProbe, oldMax := searchProbe, searchScanMax
	searchProbe, searchScanMax = probe, scanMax
	t.Cleanup(func() { searchProbe, searchScanMax = oldProbe, oldMax })
}

// ExplainReportTotals runs EXPLAIN (ANALYZE, BUFFERS) on the report's totals
// (rollups and edges) and response times statements.
func (db *DB) ExplainReportTotals(ctx context.Context, companyID int64, f inbox.ReportFilter) (string, error) {
	query, args := db.queries.reportGroupsQuery(companyID, f)
	groups, err := db.explain(ctx, query, args)
	if err != nil {
		return "", err
	}
	query, args = reportResponsesQuery(companyID, f)
	responses, err := db.explain(ctx, query, args)
	return "totals:\n" + groups + "\nresponse times:\n" + responses, err
}
