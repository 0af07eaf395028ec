package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// The report's totals come from rollups kept as messages are written (see
// the 00005 and 00006 migrations): message_rollups counts messages, their
// segments and what Plivo charged for them (units, and the amount as an
// exact decimal) per day (UTC), number, sender, direction and status;
// triggers add every insert, status change, change of the charge (which
// Plivo's callbacks set after the insert) and delete to it — on PostgreSQL
// as appended deltas (message_rollup_deltas) that FoldRollups folds in, so
// that no two message writes ever wait on one rollup row; on SQLite directly,
// the amounts added by the store's decimal_add. responses holds one row per
// answered inbound text with its response time.
//
// A range of whole days is read from the rollups (and the deltas not yet
// folded); the part of a day at either end of the range from the messages
// themselves. A month's totals are then a few thousand rollup rows and at
// most two days of messages, instead of the month's messages.

// day is the midnight (UTC) that starts t's day.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// wholeDays splits [from, to) into the whole days it covers, [d1, d2), and
// the parts of days before and after them. ok is false when it covers no
// whole day.
func wholeDays(from, to time.Time) (d1, d2 time.Time, ok bool) {
	d1, d2 = day(from), day(to)
	if d1.Before(from) {
		d1 = d1.AddDate(0, 0, 1)
	}
	return d1, d2, d1.Before(d2)
}

// reportGroupsQuery counts the filter's messages by number, sender,
// direction and status, and adds up their charge (units as integers, the
// amount exactly: the dialect's decimal sum): from the rollups for the whole
// days of the range, from the messages for the rest.
func (q queries) reportGroupsQuery(companyID int64, f inbox.ReportFilter) (string, []any) {
	rawGroups := func(where string) string {
		return `SELECT m.number_id, m.sent_by, m.direction, m.status, count(*) AS messages, sum(m.segments) AS segments,
			sum(m.units) AS units, ` + q.dialect.sumDecimal("m.total_amount") + ` AS amount
			FROM messages m WHERE ` + where + ` GROUP BY m.number_id, m.sent_by, m.direction, m.status`
	}
	d1, d2, ok := wholeDays(f.From, f.To)
	if f.ContactID != 0 || !ok {
		// The rollups know no contact; a range inside a day reads its
		// messages anyway.
		where, args := reportWhere(companyID, f)
		return groupsOver(rawGroups(where)), args
	}
	var parts []string
	var args []any
	raw := func(from, to time.Time) {
		g := f
		g.From, g.To = from, to
		where, a := reportWhere(companyID, g)
		parts = append(parts, rawGroups(where))
		args = append(args, a...)
	}
	if f.From.Before(d1) {
		raw(f.From, d1)
	}
	if d2.Before(f.To) {
		raw(d2, f.To)
	}
	for _, table := range []string{"message_rollups", "message_rollup_deltas"} {
		where, a := rollupWhere(companyID, d1, d2, f)
		parts = append(parts, `SELECT r.number_id, NULLIF(r.sender_id, 0) AS sent_by, r.direction, r.status,
			sum(r.messages) AS messages, sum(r.segments) AS segments,
			sum(r.units) AS units, `+q.dialect.sumDecimal("r.amount")+` AS amount
			FROM `+table+` r WHERE `+where+` GROUP BY r.number_id, r.sender_id, r.direction, r.status`)
		args = append(args, a...)
	}
	return groupsOver(`SELECT number_id, sent_by, direction, status, sum(messages) AS messages, sum(segments) AS segments,
		sum(units) AS units, ` + q.dialect.sumDecimal("amount") + ` AS amount
		FROM (` + strings.Join(parts, " UNION ALL ") + `) x
		GROUP BY number_id, sent_by, direction, status HAVING sum(messages) <> 0`), args
}

// groupsOver joins counted groups to their numbers and senders.
func groupsOver(groups string) string {
	return `SELECT g.direction, g.status, g.messages, g.segments, g.units, g.amount,
		n.id AS "n.id", n.e164 AS "n.e164", n.label AS "n.label", ` + nullUserColumns("u") + `
		FROM (` + groups + `) g
		JOIN numbers n ON n.id = g.number_id
		LEFT JOIN users u ON u.id = g.sent_by`
}

// rollupWhere is the condition a filter puts on rollup rows r of the days
// [d1, d2).
func rollupWhere(companyID int64, d1, d2 time.Time, f inbox.ReportFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`r.company_id = ? AND r.day >= ? AND r.day < ?`)
	args := []any{companyID, d1, d2}
	and := func(cond string, arg any) {
		b.WriteString(` AND ` + cond)
		args = append(args, arg)
	}
	if f.NumberID != 0 {
		and(`r.number_id = ?`, f.NumberID)
	}
	if f.UserID != 0 {
		and(`r.sender_id = ?`, f.UserID)
	}
	if f.Direction != "" {
		and(`r.direction = ?`, string(f.Direction))
	}
	if f.Status != "" {
		and(`r.status = ?`, string(f.Status))
	}
	return b.String(), args
}

// ResponseBucketSQL is inbox.ResponseBucket of the column seconds, in SQL
// both engines run (integer division on integers).
const ResponseBucketSQL = `CASE WHEN seconds < 120 THEN seconds
	WHEN seconds < 600 THEN 120 + (seconds - 120) / 5
	WHEN seconds < 3600 THEN 216 + (seconds - 600) / 30
	WHEN seconds < 86400 THEN 316 + (seconds - 3600) / 300
	ELSE 592 + (seconds - 86400) / 3600 END`

// ReportResponses counts the window's response times by number, replier and
// bucket, in one pass over responses_time (or responses_contact for a
// contact), which hold every column it reads.
func (q queries) ReportResponses(ctx context.Context, companyID int64, f inbox.ReportFilter) ([]inbox.ResponseGroup, error) {
	query, args := reportResponsesQuery(companyID, f)
	var rows []struct {
		Bucket    int64        `db:"bucket"`
		Responses int64        `db:"responses"`
		Number    inbox.Number `db:"n"`
		User      nullUser     `db:"u"`
	}
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("count response times: %w", err)
	}
	groups := make([]inbox.ResponseGroup, len(rows))
	for i, r := range rows {
		groups[i] = inbox.ResponseGroup{Number: r.Number, User: r.User.user(), Bucket: r.Bucket, Count: r.Responses}
	}
	return groups, nil
}

// reportResponsesQuery is the SQL of ReportResponses.
func reportResponsesQuery(companyID int64, f inbox.ReportFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`r.company_id = ? AND r.inbound_at >= ? AND r.inbound_at < ?`)
	args := []any{companyID, f.From.UTC(), f.To.UTC()}
	and := func(cond string, arg any) {
		b.WriteString(` AND ` + cond)
		args = append(args, arg)
	}
	if f.NumberID != 0 {
		and(`r.number_id = ?`, f.NumberID)
	}
	if f.UserID != 0 {
		and(`r.responder_id = ?`, f.UserID)
	}
	if f.ContactID != 0 {
		and(`r.contact_id = ?`, f.ContactID)
	}
	query := `SELECT g.bucket, g.responses, n.id AS "n.id", n.e164 AS "n.e164", n.label AS "n.label", ` + nullUserColumns("u") + `
		FROM (SELECT r.number_id, r.responder_id, ` + strings.ReplaceAll(ResponseBucketSQL, "seconds", "r.seconds") + ` AS bucket,
				count(*) AS responses
			FROM responses r WHERE ` + b.String() + `
			GROUP BY 1, 2, 3) g
		JOIN numbers n ON n.id = g.number_id
		LEFT JOIN users u ON u.id = g.responder_id`
	return query, args
}

// foldBatch bounds the deltas one fold moves, so that a fold after a long
// pause is several short transactions, not one long one.
const foldBatch = 100_000

// FoldRollups moves the appended deltas into message_rollups. On PostgreSQL
// one statement deletes a batch of deltas (SKIP LOCKED: a fold running at
// the same moment in another process takes other rows) and adds their sums,
// in key order so that two folds never wait on each other in a cycle; a
// reader sees the counts either as deltas or as rollups, never both. On
// SQLite the triggers add to the rollups directly and there is nothing to
// fold.
func (db *DB) FoldRollups(ctx context.Context) (int, error) {
	return db.dialect.foldRollups(ctx, db)
}

// foldDeltas is FoldRollups on PostgreSQL.
func foldDeltas(ctx context.Context, db *DB) (int, error) {
	total := 0
	for {
		var n int
		err := db.write.GetContext(ctx, &n, `WITH d AS (
				DELETE FROM message_rollup_deltas WHERE id IN (
					SELECT id FROM message_rollup_deltas ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
				RETURNING company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount),
			s AS (INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
				SELECT company_id, day, number_id, sender_id, direction, status, sum(messages), sum(segments), sum(units), sum(amount)
				FROM d
				GROUP BY company_id, day, number_id, sender_id, direction, status
				ORDER BY company_id, day, number_id, sender_id, direction, status
				ON CONFLICT (company_id, day, number_id, sender_id, direction, status) DO UPDATE
				SET messages = message_rollups.messages + excluded.messages, segments = message_rollups.segments + excluded.segments,
					units = message_rollups.units + excluded.units, amount = message_rollups.amount + excluded.amount)
			SELECT count(*) FROM d`, foldBatch)
		if err != nil {
			return total, classify(fmt.Errorf("fold report rollups: %w", err))
		}
		total += n
		if n < foldBatch {
			return total, nil
		}
	}
}
