package inbox

import (
	"context"
	"time"
)

// The SMS Text Messaging Activity report is the admins' window on
// every message of every company number: filtered, paged newest first,
// totalled, exportable, and audited.

// ReportFilter selects the messages of the report. Zero fields select
// everything. The window is [From, To): From inclusive, To exclusive; a zero
// bound takes its default (To now, From 30 days before To).
type ReportFilter struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	NumberID  int64     `json:"number_id,omitempty"`
	UserID    int64     `json:"user_id,omitempty"` // the sender: inbound messages have none
	ContactID int64     `json:"contact_id,omitempty"`
	Direction Direction `json:"direction,omitempty"`
	Status    Status    `json:"status,omitempty"`
}

// ReportPaging asks for one page of the report: at most Limit rows (default
// 100, at most 1,000) after the opaque Cursor of the previous page.
type ReportPaging struct {
	Limit  int
	Cursor string
}

// ReportPosition is a place in the report's order, newest first by
// (created_at, id): the page after it starts with the next older message.
type ReportPosition struct {
	At time.Time
	ID int64
}

// ReportQuery is what the store reads: a resolved filter, the position to
// continue after (nil: from the newest), and at most Limit rows (0: all).
type ReportQuery struct {
	ReportFilter
	After *ReportPosition
	Limit int
}

// ReportRow is one message as the report shows it.
type ReportRow struct {
	MessageID int64         `json:"message_id"`
	At        time.Time     `json:"at"`
	Direction Direction     `json:"direction"`
	Number    Number        `json:"number"`
	Contact   ReportContact `json:"contact"`
	User      *User         `json:"user"` // the sender; nil for inbound and automatic replies
	Body      string        `json:"body"`
	Status    Status        `json:"status"`
	ErrorCode string        `json:"error_code"`
	Segments  int           `json:"segments"`
	// Units and Amount are what Plivo charged, as its status callbacks
	// said: decimal strings, null when none said (inbound texts, texts not
	// reported yet).
	Units  *string `json:"units"`
	Amount *string `json:"amount"`
}

// ReportContact is the part of a contact a report row shows.
type ReportContact struct {
	ID    int64  `json:"id" db:"id"`
	Name  string `json:"name" db:"name"`
	Phone string `json:"phone" db:"phone"`
}

// ReportTotals count the messages of the whole filtered range, not of a page.
// Failed counts failed and undelivered messages. Units and Amount add up
// what Plivo charged for them, exactly, as decimal strings ("0" for none).
type ReportTotals struct {
	Inbound  int64  `json:"inbound"`
	Outbound int64  `json:"outbound"`
	Failed   int64  `json:"failed"`
	Segments int64  `json:"segments"`
	Units    string `json:"units"`
	Amount   string `json:"amount"`
	ResponseTimes
}

// NumberActivity is one number's share of the filtered range.
type NumberActivity struct {
	Number   Number `json:"number"`
	Inbound  int64  `json:"inbound"`
	Outbound int64  `json:"outbound"`
	Failed   int64  `json:"failed"`
	Segments int64  `json:"segments"`
	Units    string `json:"units"`
	Amount   string `json:"amount"`
	ResponseTimes
}

// UserActivity is what one sender sent in the filtered range. User is nil
// for the automatic replies (opt-out confirmations, help replies), so that
// the senders add up to the outbound total.
type UserActivity struct {
	User     *User  `json:"user"`
	Outbound int64  `json:"outbound"`
	Failed   int64  `json:"failed"`
	Segments int64  `json:"segments"`
	Units    string `json:"units"`
	Amount   string `json:"amount"`
	ResponseTimes
}

// ReportSummary is the totals and breakdowns of a filtered range.
type ReportSummary struct {
	Totals   ReportTotals     `json:"totals"`
	ByNumber []NumberActivity `json:"by_number"`
	ByUser   []UserActivity   `json:"by_user"`
}

// ReportGroup counts the messages of a range that share a number, a sender,
// a direction and a status: the store's one grouped read, which the domain
// folds into a ReportSummary.
type ReportGroup struct {
	Number    Number
	User      *User
	Direction Direction
	Status    Status
	Messages  int64
	Segments  int64
	Units     int64  // parts Plivo charged
	Amount    string // what it charged, a decimal ("0" for nothing)
}

// ReportPage is one page of the report: its rows, the cursor of the next page
// (nil on the last), and the totals and breakdowns of the whole range. From
// and To are the window actually used, defaults filled in.
type ReportPage struct {
	Rows       []ReportRow `json:"rows"`
	NextCursor *string     `json:"next_cursor"`
	ReportSummary
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ReportFormat names how a report was read, for the audit trail.
type ReportFormat string

// The formats of the report.
const (
	ReportJSON ReportFormat = "json"
	ReportCSV  ReportFormat = "csv"
)

// ReportQueries are the store's reads for the report. Every one is scoped to
// a company: ids of another company's numbers, users or contacts match
// nothing.
type ReportQueries interface {
	// ReportRows calls fn with each message q selects, newest first by
	// (created_at, id), reading from the database cursor as it goes so that
	// memory stays constant. It stops at fn's first error and returns it.
	ReportRows(ctx context.Context, companyID int64, q ReportQuery, fn func(ReportRow) error) error
	// ReportGroups counts the messages f selects by number, sender,
	// direction and status.
	ReportGroups(ctx context.Context, companyID int64, f ReportFilter) ([]ReportGroup, error)
	// ReportResponses counts the response times of the inbound texts in
	// f's window by number, replier and ResponseBucket. Of f's filters it
	// keeps number_id, user_id (the replier) and contact_id; direction and
	// status describe messages, not the pairs a response time is made of.
	ReportResponses(ctx context.Context, companyID int64, f ReportFilter) ([]ResponseGroup, error)
	// ReportAudits returns the company's audit entries with id < before (if
	// set), the newest limit of them, newest first.
	ReportAudits(ctx context.Context, companyID, before int64, limit int) ([]ReportAudit, error)
}

// ReportRecorder is the report's one write: its audit trail.
type ReportRecorder interface {
	// RecordReport appends a to the audit trail (its ID is set).
	RecordReport(ctx context.Context, a *ReportAudit) error
}
