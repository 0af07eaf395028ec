package inbox

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// Bounds of the report.
const (
	reportSpan         = 30 * 24 * time.Hour // the default window
	reportDefaultLimit = 100
	reportMaxLimit     = 1000
)

// resolve checks a filter's meaning and fills in the default window, so that
// the store gets a complete one. Bounds are cut to microseconds, the
// precision PostgreSQL keeps, so that both engines read a bound alike.
func (f ReportFilter) resolve(now time.Time) (ReportFilter, error) {
	switch {
	case f.From.IsZero() && f.To.IsZero():
		f.From, f.To = now.Add(-reportSpan), now
	case f.From.IsZero():
		f.From = f.To.Add(-reportSpan)
	case f.To.IsZero():
		f.To = now
	}
	f.From, f.To = f.From.UTC().Truncate(time.Microsecond), f.To.UTC().Truncate(time.Microsecond)
	if !f.From.Before(f.To) {
		return f, Errorf(KindMalformed, "invalid_range", "from (%s) must be before to (%s); to is exclusive and defaults to now",
			f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	switch f.Direction {
	case "", Inbound, Outbound:
	default:
		return f, Errorf(KindMalformed, "invalid_direction", "direction must be inbound or outbound")
	}
	switch f.Status {
	case "", StatusReceived, StatusQueued, StatusSent, StatusDelivered, StatusUndelivered, StatusFailed, StatusUnknown,
		StatusScheduled, StatusCanceled:
	default:
		return f, Errorf(KindMalformed, "invalid_status",
			"status must be one of received, queued, sent, delivered, undelivered, failed, unknown, scheduled, canceled")
	}
	return f, nil
}

// reportCursor is what a next_cursor carries: where the page ended, and the
// window the first page resolved. Pinning the window keeps the pages of one
// listing over the same range even when it defaulted to "the last 30 days"
// and time has moved on: no row slips out at the old end between pages.
type reportCursor struct {
	At   time.Time `json:"t"`
	ID   int64     `json:"i"`
	From time.Time `json:"f"`
	To   time.Time `json:"u"`
}

// encode makes the cursor opaque: base64url of its JSON. It is not signed: a
// forged cursor can only move within the caller's own company's report.
func (c reportCursor) encode() string {
	b, _ := json.Marshal(c) // a struct of times and ints always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = Errorf(KindMalformed, "invalid_cursor", "the cursor is not one this report gave out; start again without it")

func decodeCursor(s string) (reportCursor, error) {
	var c reportCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID <= 0 || c.At.IsZero() || !c.From.Before(c.To) {
		return reportCursor{}, errBadCursor
	}
	return c, nil
}

// pageQuery turns a filter and a page request into the store's query: the
// cursor's window replaces the default one, and a bound given together with
// a cursor must be the cursor's own (the cursor belongs to that listing).
func (f ReportFilter) pageQuery(p ReportPaging, now time.Time) (ReportQuery, error) {
	limit := p.Limit
	switch {
	case limit <= 0:
		limit = reportDefaultLimit
	case limit > reportMaxLimit:
		limit = reportMaxLimit
	}
	q := ReportQuery{Limit: limit}
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return q, err
		}
		from, to := f.From.UTC().Truncate(time.Microsecond), f.To.UTC().Truncate(time.Microsecond)
		if !f.From.IsZero() && !from.Equal(c.From) || !f.To.IsZero() && !to.Equal(c.To) {
			return q, Errorf(KindMalformed, "invalid_cursor", "the cursor belongs to another time range; start again without it")
		}
		f.From, f.To = c.From, c.To
		q.After = &ReportPosition{At: c.At, ID: c.ID}
	}
	var err error
	q.ReportFilter, err = f.resolve(now)
	return q, err
}

// nextCursor is the cursor of the page after row last.
func (q ReportQuery) nextCursor(last ReportRow) string {
	return reportCursor{At: last.At.UTC(), ID: last.MessageID, From: q.From, To: q.To}.encode()
}
