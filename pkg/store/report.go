package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/inbox"
)

// The SMS Activity report's SQL. Each filter is an equality or a range on
// messages' own columns, scoped by company_id first; the indexes that serve
// them (messages_report_*) are in schema.sql.

// reportWhere is the condition a filter puts on messages m. Times are passed
// as UTC time.Time values: PostgreSQL compares timestamptz, and SQLite
// compares the text the driver writes for both the column and the parameter
// ("2006-01-02 15:04:05.999999999+00:00"), which sorts as time does because
// every stored time is UTC.
func reportWhere(companyID int64, f inbox.ReportFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`m.company_id = ? AND m.created_at >= ? AND m.created_at < ?`)
	args := []any{companyID, f.From.UTC(), f.To.UTC()}
	and := func(cond string, arg any) {
		b.WriteString(` AND ` + cond)
		args = append(args, arg)
	}
	if f.NumberID != 0 {
		and(`m.number_id = ?`, f.NumberID)
	}
	if f.UserID != 0 {
		and(`m.sent_by = ?`, f.UserID)
	}
	if f.ContactID != 0 {
		and(`m.contact_id = ?`, f.ContactID)
	}
	if f.Direction != "" {
		and(`m.direction = ?`, string(f.Direction))
	}
	if f.Status != "" {
		and(`m.status = ?`, string(f.Status))
	}
	return b.String(), args
}

// reportRow scans one row of reportSelect.
type reportRow struct {
	ID        int64               `db:"id"`
	CreatedAt time.Time           `db:"created_at"`
	Direction inbox.Direction     `db:"direction"`
	Body      string              `db:"body"`
	Status    inbox.Status        `db:"status"`
	ErrorCode string              `db:"error_code"`
	Segments  int                 `db:"segments"`
	Number    inbox.Number        `db:"n"`
	Contact   inbox.ReportContact `db:"c"`
	Sender    nullUser            `db:"u"`
	Units     *int64              `db:"units"`
	Amount    *string             `db:"total_amount"`
}

func (r reportRow) row() inbox.ReportRow {
	row := inbox.ReportRow{
		MessageID: r.ID, At: r.CreatedAt.UTC(), Direction: r.Direction, Number: r.Number, Contact: r.Contact,
		User: r.Sender.user(), Body: r.Body, Status: r.Status, ErrorCode: r.ErrorCode, Segments: r.Segments,
		Amount: r.Amount,
	}
	if r.Units != nil {
		units := strconv.FormatInt(*r.Units, 10)
		row.Units = &units
	}
	return row
}

var reportSelect = `SELECT m.id, m.created_at, m.direction, m.body, m.status, m.error_code, m.segments, m.units, m.total_amount,
	n.id AS "n.id", n.e164 AS "n.e164", n.label AS "n.label",
	c.id AS "c.id", c.name AS "c.name", c.phone AS "c.phone", ` + nullUserColumns("u") + `
	FROM messages m
	JOIN numbers n ON n.id = m.number_id
	JOIN contacts c ON c.id = m.contact_id
	LEFT JOIN users u ON u.id = m.sent_by `

// reportRowsQuery is the SQL of a page of rq.Limit rows, newest first by
// (created_at, id), after the query's position if it has one.
func reportRowsQuery(companyID int64, rq inbox.ReportQuery) (string, []any) {
	where, args := reportWhere(companyID, rq.ReportFilter)
	if rq.After != nil {
		where += ` AND (m.created_at, m.id) < (?, ?)`
		args = append(args, rq.After.At.UTC(), rq.After.ID)
	}
	return reportSelect + `WHERE ` + where + ` ORDER BY m.created_at DESC, m.id DESC LIMIT ?`, append(args, rq.Limit)
}

// reportBatch is how many rows a read of the whole range (an export) takes
// per statement.
var reportBatch = 1000

// ReportRows streams the rows of q, each read from the driver's cursor (lib/pq
// and SQLite both step through a result as it is consumed) and handed to fn
// at once, so memory holds one row whatever the range.
//
// A read of every row goes in batches of reportBatch, each continuing from
// the last row's position. One statement for the whole range would be
// planned by PostgreSQL as a scan, hash joins and a sort of the whole range
// (spilled to disk for a month of a busy company) before its first row; a
// batch is a page, which it reads from the filter's index in the report's
// order, so the first rows go out at once and no statement runs for long.
// Positions make the batches add up to every row exactly once.
func (q queries) ReportRows(ctx context.Context, companyID int64, rq inbox.ReportQuery, fn func(inbox.ReportRow) error) error {
	if rq.Limit > 0 {
		return q.reportRows(ctx, companyID, rq, fn)
	}
	rq.Limit = reportBatch
	for {
		n := 0
		err := q.reportRows(ctx, companyID, rq, func(r inbox.ReportRow) error {
			n++
			rq.After = &inbox.ReportPosition{At: r.At, ID: r.MessageID}
			return fn(r)
		})
		if err != nil || n < rq.Limit {
			return err
		}
	}
}

// reportRows runs one statement of rows. The position is a row-value
// comparison on (created_at, id), which both engines support and PostgreSQL
// turns into an index bound.
func (q queries) reportRows(ctx context.Context, companyID int64, rq inbox.ReportQuery, fn func(inbox.ReportRow) error) error {
	query, args := reportRowsQuery(companyID, rq)
	rows, err := q.q.QueryxContext(ctx, sqlx.Rebind(q.bind, query), args...)
	if err != nil {
		return classify(fmt.Errorf("query report rows: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var r reportRow
		if err := rows.StructScan(&r); err != nil {
			return classify(fmt.Errorf("read report row: %w", err))
		}
		if err := fn(r.row()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return classify(fmt.Errorf("read report rows: %w", err))
	}
	return nil
}

// ReportGroups counts in one statement (reportGroupsQuery); the groups are
// few (numbers × senders × directions × statuses), so numbers and senders
// are joined after grouping, not per message.
func (q queries) ReportGroups(ctx context.Context, companyID int64, f inbox.ReportFilter) ([]inbox.ReportGroup, error) {
	query, args := q.reportGroupsQuery(companyID, f)
	var rows []struct {
		Direction inbox.Direction `db:"direction"`
		Status    inbox.Status    `db:"status"`
		Messages  int64           `db:"messages"`
		Segments  int64           `db:"segments"`
		Units     *int64          `db:"units"`
		Amount    *string         `db:"amount"`
		Number    inbox.Number    `db:"n"`
		Sender    nullUser        `db:"u"`
	}
	err := q.sel(ctx, &rows, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count report groups: %w", err)
	}
	groups := make([]inbox.ReportGroup, len(rows))
	for i, r := range rows {
		// A group nothing was charged for sums to NULL from the messages
		// and to 0 from the rollups: "0" either way.
		groups[i] = inbox.ReportGroup{Number: r.Number, User: r.Sender.user(), Direction: r.Direction, Status: r.Status,
			Messages: r.Messages, Segments: r.Segments, Amount: "0"}
		if r.Units != nil {
			groups[i].Units = *r.Units
		}
		if r.Amount != nil {
			groups[i].Amount = *r.Amount
		}
	}
	return groups, nil
}

// RecordReport appends to the report's audit trail.
func (t *tx) RecordReport(ctx context.Context, a *inbox.ReportAudit) error {
	err := t.get(ctx, &a.ID, `INSERT INTO report_audit (company_id, user_id, filters, format, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, a.CompanyID, a.User.ID, string(a.Filters), string(a.Format), a.At.UTC())
	if err != nil {
		return fmt.Errorf("record report query: %w", err)
	}
	return nil
}

func (q queries) ReportAudits(ctx context.Context, companyID, before int64, limit int) ([]inbox.ReportAudit, error) {
	query := `SELECT a.id, a.company_id, a.filters, a.format, a.created_at, ` + nullUserColumns("u") + `
		FROM report_audit a JOIN users u ON u.id = a.user_id WHERE a.company_id = ?`
	args := []any{companyID}
	if before > 0 {
		query += ` AND a.id < ?`
		args = append(args, before)
	}
	var rows []struct {
		ID        int64              `db:"id"`
		CompanyID int64              `db:"company_id"`
		Filters   string             `db:"filters"`
		Format    inbox.ReportFormat `db:"format"`
		CreatedAt time.Time          `db:"created_at"`
		User      nullUser           `db:"u"`
	}
	if err := q.sel(ctx, &rows, query+` ORDER BY a.id DESC LIMIT ?`, append(args, limit)...); err != nil {
		return nil, fmt.Errorf("list report audit: %w", err)
	}
	entries := make([]inbox.ReportAudit, len(rows))
	for i, r := range rows {
		entries[i] = inbox.ReportAudit{ID: r.ID, CompanyID: r.CompanyID, User: *r.User.user(), Filters: json.RawMessage(r.Filters),
			Format: r.Format, At: r.CreatedAt.UTC()}
	}
	return entries, nil
}
