package web

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// report answers GET /api/reports/sms-activity, the SMS Text Messaging
// Activity report (admins only): one page of JSON, newest first, with
// the totals and breakdowns of the whole filtered range — or, with
// `Accept: text/csv` or `format=csv`, every matching row as a streamed CSV
// (see reportCSV). Parameters: from and to (RFC 3339, or a date meaning its
// midnight UTC; to is exclusive; default the last 30 days), number_id,
// user_id (the sender), contact_id, direction, status, limit (default 100,
// at most 1,000) and cursor (the next_cursor of the previous page). A
// parameter the report cannot use is a 400 naming it.
func (s *Server) report(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	f, err := reportFilter(r)
	if err != nil {
		return err
	}
	format, err := reportFormat(r)
	if err != nil {
		return err
	}
	if format == inbox.ReportCSV {
		return s.reportCSV(w, r, u, f)
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	page, err := s.svc.Report(r.Context(), u, f, inbox.ReportPaging{Limit: int(min(limit, 1000)), Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// reportAudit answers GET /api/reports/audit (admins only): who read the
// report, when, with which filters and in which format, newest first,
// paged by `limit` and `cursor` like the contacts.
func (s *Server) reportAudit(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	before, err := queryInt(r, "cursor")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	entries, next, err := s.svc.ReportAudits(r.Context(), u, before, int(min(limit, 500)))
	if err != nil {
		return err
	}
	var cursor *string
	if next != 0 {
		c := strconv.FormatInt(next, 10)
		cursor = &c
	}
	writeJSON(w, http.StatusOK, struct {
		Audit      []inbox.ReportAudit `json:"audit"`
		NextCursor *string             `json:"next_cursor"`
	}{entries, cursor})
	return nil
}

// reportFilter reads the report's filters from the query string; what they
// mean is the Service's to check.
func reportFilter(r *http.Request) (inbox.ReportFilter, error) {
	var f inbox.ReportFilter
	var err error
	if f.From, err = queryTime(r, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return f, err
	}
	if f.NumberID, err = queryInt(r, "number_id"); err != nil {
		return f, err
	}
	if f.UserID, err = queryInt(r, "user_id"); err != nil {
		return f, err
	}
	if f.ContactID, err = queryInt(r, "contact_id"); err != nil {
		return f, err
	}
	q := r.URL.Query()
	f.Direction, f.Status = inbox.Direction(q.Get("direction")), inbox.Status(q.Get("status"))
	return f, nil
}

// queryTime reads an optional time parameter: RFC 3339, or a date
// (2025-03-04) meaning its midnight UTC. An offset's "+" sent unencoded
// arrives as a space; it is read as the "+" it was.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := strings.ReplaceAll(r.URL.Query().Get(name), " ", "+")
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, inbox.Errorf(inbox.KindMalformed, "invalid_time",
		"%s must be an RFC 3339 time (2025-03-04T15:04:05Z) or a date (2025-03-04), not %q", name, v)
}

// reportFormat picks the answer's format: format=csv or format=json says so;
// without it, an Accept header naming text/csv asks for CSV.
func reportFormat(r *http.Request) (inbox.ReportFormat, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return inbox.ReportCSV, nil
	case "json":
		return inbox.ReportJSON, nil
	case "":
	default:
		return "", inbox.Errorf(inbox.KindMalformed, "invalid_format", "format must be json or csv, not %q", f)
	}
	for _, accept := range r.Header.Values("Accept") {
		for _, part := range strings.Split(accept, ",") {
			if mt, _, err := mime.ParseMediaType(part); err == nil && mt == "text/csv" {
				return inbox.ReportCSV, nil
			}
		}
	}
	return inbox.ReportJSON, nil
}
