package web

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// reportHeader is the CSV header line of API.md; units and amount (what
// Plivo charged, empty when it has not said) come last, so that a reader of
// the earlier columns by position is not disturbed.
var reportHeader = []string{"message_id", "at", "direction", "number", "number_label", "contact_id", "contact_name",
	"contact_phone", "user_email", "body", "status", "error_code", "segments", "units", "amount"}

// csvFlushEvery is how many rows go out between flushes: often enough that a
// long export shows progress, rarely enough that chunks stay large.
const csvFlushEvery = 500

// reportCSV streams every row f selects as CSV: RFC 4180 through
// encoding/csv, the header line first, times in UTC RFC 3339, no paging
// (limit and cursor do not apply). Rows go from the database cursor to the
// client as they are read and are flushed every csvFlushEvery rows, so an
// export of any size holds one row in memory.
//
// Spreadsheet formula injection is neutralised: a field that someone other
// than the reading admin wrote — the message body, the contact's name, the
// number's label, the sender's email — and that starts with =, +, -, @, a tab
// or a carriage return gets a leading single quote, so that Excel,
// LibreOffice and Google Sheets show it as text instead of evaluating it: a
// body "=HYPERLINK(…)" comes out as "'=HYPERLINK(…)". Ids, phone numbers
// (E.164, checked on the way in), times, statuses and counts are written as
// they are.
//
// Errors before the first byte (a recruiter, a bad filter, the audit or the
// query failing to start) are answered as JSON like any other. Once the
// status line is out, a failure cuts the connection instead, so the client
// sees a broken download rather than a short file that looks complete.
func (s *Server) reportCSV(w http.ResponseWriter, r *http.Request, u inbox.User, f inbox.ReportFilter) error {
	f, err := s.svc.ResolveReport(u, f)
	if err != nil {
		return err
	}
	out := &csvReport{w: w, rc: http.NewResponseController(w), csv: csv.NewWriter(w),
		filename: "sms-activity-" + f.From.Format("20060102") + "-" + f.To.Format("20060102") + ".csv"}
	err = s.svc.ReportRows(r.Context(), u, f, inbox.ReportCSV, out.write)
	if err == nil {
		err = out.finish()
	}
	if err == nil || !out.started {
		return err
	}
	if r.Context().Err() == nil && !errors.Is(err, errClientGone) {
		s.log.Error("report export failed mid-stream", "rows", out.rows, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// errClientGone marks a write to a client that went away: nothing to log.
var errClientGone = errors.New("write to the client failed")

// csvReport writes the report as CSV, starting the response on its first
// write so that an error before any row can still be answered as JSON.
type csvReport struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	csv      *csv.Writer
	filename string
	started  bool
	rows     int
	record   [15]string // reused: one row's fields
}

func (c *csvReport) start() error {
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+c.filename+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(http.StatusOK)
	c.started = true
	return c.csv.Write(reportHeader)
}

func (c *csvReport) write(row inbox.ReportRow) error {
	if !c.started {
		if err := c.start(); err != nil {
			return errors.Join(errClientGone, err)
		}
	}
	email := ""
	if row.User != nil {
		email = row.User.Email
	}
	c.record = [15]string{
		strconv.FormatInt(row.MessageID, 10), row.At.UTC().Format(time.RFC3339Nano), string(row.Direction),
		row.Number.E164, inert(row.Number.Label),
		strconv.FormatInt(row.Contact.ID, 10), inert(row.Contact.Name), row.Contact.Phone,
		inert(email), inert(row.Body), string(row.Status), row.ErrorCode, strconv.Itoa(row.Segments),
		deref(row.Units), deref(row.Amount),
	}
	if err := c.csv.Write(c.record[:]); err != nil {
		return errors.Join(errClientGone, err)
	}
	if c.rows++; c.rows%csvFlushEvery == 0 {
		return c.flush()
	}
	return nil
}

// finish writes the header line of an empty report and flushes the rest.
func (c *csvReport) finish() error {
	if !c.started {
		if err := c.start(); err != nil {
			return errors.Join(errClientGone, err)
		}
	}
	return c.flush()
}

func (c *csvReport) flush() error {
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return errors.Join(errClientGone, err)
	}
	if err := c.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return errors.Join(errClientGone, err)
	}
	return nil
}

// deref is *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// inert neutralises a spreadsheet formula: a field starting with a character
// a spreadsheet would evaluate gets a leading single quote.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
