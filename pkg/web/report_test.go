package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

func TestReportInert(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=SUM(A1:A9)", "'=SUM(A1:A9)"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@cmd", "'@cmd"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"Hi = there", "Hi = there"},
		{" =1", " =1"},
		{"", ""},
		{"'quoted", "'quoted"},
		{"🙂=", "🙂="},
	}
	for _, tt := range tests {
		if got := inert(tt.in); got != tt.want {
			t.Errorf("inert(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReportQueryParams(t *testing.T) {
	get := func(query string, accept ...string) (inbox.ReportFilter, inbox.ReportFormat, error) {
		r := httptest.NewRequest("GET", "/api/reports/sms-activity?"+query, nil)
		for _, a := range accept {
			r.Header.Add("Accept", a)
		}
		f, err := reportFilter(r)
		if err != nil {
			return f, "", err
		}
		format, err := reportFormat(r)
		return f, format, err
	}
	f, format, err := get("from=2025-03-01&to=2025-03-04T10:00:00%2B02:00&number_id=3&user_id=4&contact_id=5&direction=inbound&status=failed")
	want := inbox.ReportFilter{From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC),
		NumberID: 3, UserID: 4, ContactID: 5, Direction: inbox.Inbound, Status: inbox.StatusFailed}
	if err != nil || !f.From.Equal(want.From) || !f.To.Equal(want.To) || f.NumberID != 3 || f.UserID != 4 || f.ContactID != 5 ||
		f.Direction != want.Direction || f.Status != want.Status || format != inbox.ReportJSON {
		t.Errorf("filter = %+v, %s, %v; want %+v as json", f, format, err, want)
	}
	// An unencoded "+" arrives as a space.
	if f, _, err := get("from=2025-03-04T10:00:00+02:00"); err != nil || !f.From.Equal(want.To) {
		t.Errorf("from with an unencoded +: got %s, %v; want %s", f.From, err, want.To)
	}
	for _, tt := range []struct {
		query, accept string
		want          inbox.ReportFormat
	}{
		{"format=csv", "", inbox.ReportCSV},
		{"", "text/csv", inbox.ReportCSV},
		{"", "application/json, text/csv;q=0.5", inbox.ReportCSV},
		{"format=json", "text/csv", inbox.ReportJSON},
		{"", "text/html,application/xhtml+xml,*/*;q=0.8", inbox.ReportJSON},
	} {
		if _, got, err := get(tt.query, tt.accept); err != nil || got != tt.want {
			t.Errorf("format of %q with Accept %q = %s, %v; want %s", tt.query, tt.accept, got, err, tt.want)
		}
	}
	for query, code := range map[string]string{
		"from=yesterday":      "invalid_time",
		"to=2025-13-01":       "invalid_time",
		"to=1741000000":       "invalid_time",
		"number_id=three":     "invalid_parameter",
		"user_id=-1":          "invalid_parameter",
		"format=xlsx":         "invalid_format",
		"contact_id=1.5":      "invalid_parameter",
		"from=2025-03-04T10Z": "invalid_time",
	} {
		if _, _, err := get(query); inbox.ErrorCode(err) != code || statusOf(inbox.ErrorKind(err)) != 400 {
			t.Errorf("%s: got %v, want 400 %s", query, err, code)
		}
	}
}
