package main

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// The report's JSON row, as API.md names its fields.
type reportRowJSON struct {
	MessageID int64  `json:"message_id"`
	At        string `json:"at"`
	Direction string `json:"direction"`
	Number    struct {
		ID    int64  `json:"id"`
		E164  string `json:"e164"`
		Label string `json:"label"`
	} `json:"number"`
	Contact struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"contact"`
	User      *inbox.User `json:"user"`
	Body      string      `json:"body"`
	Status    string      `json:"status"`
	ErrorCode string      `json:"error_code"`
	Segments  int         `json:"segments"`
	Units     *string     `json:"units"`
	Amount    *string     `json:"amount"`
}

type reportJSON struct {
	Rows       []reportRowJSON    `json:"rows"`
	NextCursor *string            `json:"next_cursor"`
	Totals     inbox.ReportTotals `json:"totals"`
	ByNumber   []struct {
		Number                              inbox.Number `json:"number"`
		Inbound, Outbound, Failed, Segments int64
		Units, Amount                       string
	} `json:"by_number"`
	ByUser []struct {
		User                       *inbox.User `json:"user"`
		Outbound, Failed, Segments int64
		Units, Amount              string
		inbox.ResponseTimes
	} `json:"by_user"`
}

// counts is a report's totals with its response times taken out of them
// (pointers: compared apart).
func counts(t inbox.ReportTotals) inbox.ReportTotals {
	t.ResponseP50, t.ResponseP90 = nil, nil
	return t
}

// Bodies that CSV and spreadsheets find hard.
var reportBodies = []string{
	"Yes, I'm free Tuesday, Wednesday, or Friday",
	`She said "call me" twice`,
	"First line\nsecond line\n\nfourth",
	"Sounds great 🙂👍",
	`=HYPERLINK("http://evil.example","click")`,
	"@everyone +1 -1",
}

// reportFixture is Acme (the plivo fixture) with texts in both directions,
// one failed, and Globex beside it with a text of its own.
type reportFixture struct {
	*plivoFixture
	inbound  int // Acme's inbound texts
	outbound []inbox.Message
	failed   inbox.Message
	globex   *client
}

func newReportFixture(t *testing.T, env map[string]string) *reportFixture {
	t.Helper()
	f := &reportFixture{plivoFixture: newPlivoFixture(t, env)}
	for _, body := range reportBodies {
		f.inbound++
		f.plivoFixture.inbound(t, body)
	}
	for _, body := range []string{"Great, see you then!", "-Ana (recruiting)"} {
		m, _ := f.send(t, body, "", 202)
		f.outbound = append(f.outbound, m)
	}
	eventually(t, 10*time.Second, "Plivo gets both texts", func() bool { return len(f.fake.Creates()) == 2 })
	f.failed = f.outbound[1]
	// Plivo's callbacks carry the charge (Units, TotalRate, TotalAmount):
	// the delivered text's on its "sent" report only, the failed one's on
	// its one report.
	for _, c := range f.fake.Creates() {
		forms := []url.Values{
			{"MessageUUID": {c.MessageUUID}, "Status": {"sent"}, "Units": {"1"}, "TotalRate": {"0.00650"}, "TotalAmount": {"0.00650"}},
			{"MessageUUID": {c.MessageUUID}, "Status": {"delivered"}},
		}
		id := f.outbound[0].ID
		if c.Text == f.failed.Body {
			forms = []url.Values{{"MessageUUID": {c.MessageUUID}, "Status": {"failed"}, "ErrorCode": {"30"},
				"Units": {"2"}, "TotalRate": {"0.00650"}, "TotalAmount": {"0.01300"}}}
			id = f.failed.ID
		}
		for _, form := range forms {
			if code := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(id), form, nil); code != 200 {
				t.Fatalf("status report: got %d, want 200", code)
			}
		}
	}
	eventually(t, 5*time.Second, "the failure is recorded", func() bool {
		h := f.history(t, f.ana)
		return h[len(h)-1].Status == inbox.StatusFailed
	})

	f.globex = f.s.bootstrap(t, "Globex", "admin@globex.test")
	var n inbox.Number
	f.globex.call("POST", "/api/numbers", map[string]string{"e164": "+14155550200", "label": "Globex"}, 201, &n)
	if code := f.s.webhook(t, "/webhooks/plivo/inbound", inboundForm("+14155550123", n.E164, "globex secret", newUUID()), nil); code != 200 {
		t.Fatalf("globex inbound: got %d, want 200", code)
	}
	return f
}

// reportGET sends GET path as c with the given headers and returns the response, body read.
func reportGET(t *testing.T, c *client, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	return resp, body
}

func TestReportEndToEnd(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		f := newReportFixture(t, env)
		const path = "/api/reports/sms-activity"

		// A recruiter may not read it, in either format, nor its audit trail.
		for _, p := range []string{path, path + "?format=csv", "/api/reports/audit"} {
			if code := f.ana.call("GET", p, nil, 403, nil); code != "forbidden" {
				t.Errorf("recruiter GET %s: got %q, want forbidden", p, code)
			}
		}

		// The JSON has exactly API.md's fields (and the extensions).
		var shape map[string]any
		f.admin.call("GET", path, nil, 200, &shape)
		wantKeys(t, "answer", shape, "rows", "next_cursor", "totals", "by_number", "by_user", "from", "to")
		wantKeys(t, "totals", shape["totals"], "inbound", "outbound", "failed", "segments", "units", "amount",
			"responses", "response_p50_s", "response_p90_s")
		for _, n := range shape["by_number"].([]any) {
			wantKeys(t, "by_number", n, "number", "inbound", "outbound", "failed", "segments", "units", "amount",
				"responses", "response_p50_s", "response_p90_s")
		}
		for _, u := range shape["by_user"].([]any) {
			wantKeys(t, "by_user", u, "user", "outbound", "failed", "segments", "units", "amount",
				"responses", "response_p50_s", "response_p90_s")
		}
		rowsAny, _ := shape["rows"].([]any)
		if len(rowsAny) != len(reportBodies)+2 {
			t.Fatalf("got %d rows, want %d", len(rowsAny), len(reportBodies)+2)
		}
		for _, r := range rowsAny {
			row := r.(map[string]any)
			wantKeys(t, "row", row, "message_id", "at", "direction", "number", "contact", "user", "body", "status", "error_code", "segments",
				"units", "amount")
			wantKeys(t, "row.number", row["number"], "id", "e164", "label")
			wantKeys(t, "row.contact", row["contact"], "id", "name", "phone")
			if row["direction"] == "inbound" && row["user"] != nil {
				t.Errorf("inbound row user = %v, want null", row["user"])
			}
			if row["direction"] == "outbound" {
				wantKeys(t, "row.user", row["user"], "id", "email", "name", "role")
			}
		}

		var all reportJSON
		f.admin.call("GET", path, nil, 200, &all)
		if all.NextCursor != nil {
			t.Errorf("one page holds all %d rows, but next_cursor = %q", len(all.Rows), *all.NextCursor)
		}
		// Ana's first text answered all six inbound ones: six response
		// times, each the seconds between the webhook and her send. The
		// charge adds up exactly what the callbacks said.
		wantTotals := inbox.ReportTotals{Inbound: int64(f.inbound), Outbound: 2, Failed: 1, Units: "3", Amount: "0.01950",
			ResponseTimes: inbox.ResponseTimes{Responses: int64(f.inbound)}}
		for _, r := range all.Rows {
			wantTotals.Segments += int64(r.Segments)
			if r.Body == "globex secret" {
				t.Errorf("Acme's report shows Globex's message %d", r.MessageID)
			}
		}
		if counts(all.Totals) != wantTotals {
			t.Errorf("totals = %+v, want %+v", all.Totals, wantTotals)
		}
		if p50, p90 := all.Totals.ResponseP50, all.Totals.ResponseP90; p50 == nil || p90 == nil || *p50 < 0 || *p50 > *p90 || *p90 > 600 {
			t.Errorf("response p50, p90 = %v, %v; want 0 ≤ p50 ≤ p90, a few seconds at most", p50, p90)
		}
		if len(all.ByNumber) != 1 || all.ByNumber[0].Number.ID != f.number.ID || all.ByNumber[0].Inbound != int64(f.inbound) ||
			all.ByNumber[0].Outbound != 2 || all.ByNumber[0].Failed != 1 || all.ByNumber[0].Units != "3" ||
			all.ByNumber[0].Amount != "0.01950" {
			t.Errorf("by_number = %+v; want the one number with %d in, 2 out, 1 failed, 3 units for 0.01950", all.ByNumber, f.inbound)
		}
		if len(all.ByUser) != 1 || all.ByUser[0].User == nil || all.ByUser[0].User.ID != f.anaID || all.ByUser[0].Outbound != 2 ||
			all.ByUser[0].Responses != int64(f.inbound) || all.ByUser[0].ResponseP50 == nil ||
			all.ByUser[0].Units != "3" || all.ByUser[0].Amount != "0.01950" {
			t.Errorf("by_user = %+v; want Ana with 2 sent, %d responses, 3 units for 0.01950", all.ByUser, f.inbound)
		}
		for i, r := range all.Rows {
			if i > 0 && r.MessageID > all.Rows[i-1].MessageID {
				t.Errorf("rows not newest first: %d after %d", r.MessageID, all.Rows[i-1].MessageID)
			}
			if r.MessageID == f.failed.ID && (r.Status != "failed" || r.ErrorCode != "30" || r.User == nil || r.User.Email != "ana@acme.test") {
				t.Errorf("failed row = %+v; want failed, error 30, sent by Ana", r)
			}
			wantUnits, wantAmount := "", ""
			switch r.MessageID {
			case f.outbound[0].ID:
				wantUnits, wantAmount = "1", "0.00650"
			case f.failed.ID:
				wantUnits, wantAmount = "2", "0.01300"
			}
			if deref(r.Units) != wantUnits || deref(r.Amount) != wantAmount || (wantUnits == "") != (r.Units == nil) {
				t.Errorf("row %d charge = %v units, %v; want %q, %q as the callbacks said (null when none did)",
					r.MessageID, r.Units, r.Amount, wantUnits, wantAmount)
			}
		}

		// Pages of 3 add up to the same rows, each once.
		var paged []int64
		for cursor := ""; ; {
			var page reportJSON
			f.admin.call("GET", path+"?limit=3&cursor="+url.QueryEscape(cursor), nil, 200, &page)
			for _, r := range page.Rows {
				paged = append(paged, r.MessageID)
			}
			if counts(page.Totals) != wantTotals {
				t.Errorf("totals of a page = %+v, want those of the whole range, %+v", page.Totals, wantTotals)
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if want := rowIDs(all.Rows); !slices.Equal(paged, want) {
			t.Errorf("paged ids = %v, want %v", paged, want)
		}

		// Filters, and another company's ids matching nothing.
		var globexNumbers struct{ Numbers []inbox.Number }
		f.globex.call("GET", "/api/numbers", nil, 200, &globexNumbers)
		for query, want := range map[string]int{
			"direction=outbound":                                            2,
			"status=failed":                                                 1,
			"user_id=" + itoa(f.anaID):                                      2,
			"contact_id=" + itoa(f.contact.ID):                              len(all.Rows),
			"number_id=" + itoa(f.number.ID) + "&status=received":           f.inbound,
			"number_id=" + itoa(globexNumbers.Numbers[0].ID):                0,
			"to=2000-01-01":                                                 0,
			"from=" + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339): len(all.Rows),
		} {
			var page reportJSON
			f.admin.call("GET", path+"?"+query, nil, 200, &page)
			if len(page.Rows) != want {
				t.Errorf("%s: got %d rows, want %d", query, len(page.Rows), want)
			}
		}
		for query, code := range map[string]string{
			"from=last+week": "invalid_time", "direction=sideways": "invalid_direction", "status=lost": "invalid_status",
			"from=2025-03-05&to=2025-03-04": "invalid_range", "cursor=garbage": "invalid_cursor", "limit=x": "invalid_parameter",
		} {
			if got := f.admin.call("GET", path+"?"+query, nil, 400, nil); got != code {
				t.Errorf("%s: got %q, want %s", query, got, code)
			}
		}

		// CSV, asked for either way, parses back to the JSON's rows.
		for name, ask := range map[string]struct {
			query  string
			header http.Header
		}{
			"Accept: text/csv": {"", http.Header{"Accept": {"text/csv"}}},
			"format=csv":       {"?format=csv", nil},
		} {
			resp, body := reportGET(t, f.admin, path+ask.query, ask.header)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
				!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="sms-activity-`) ||
				!strings.HasSuffix(resp.Header.Get("Content-Disposition"), `.csv"`) {
				t.Fatalf("%s: got %d %q %q; want 200 text/csv; charset=utf-8 as an attachment sms-activity-….csv",
					name, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
			}
			records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil {
				t.Fatalf("%s: parse CSV: %v\n%s", name, err, body)
			}
			wantHeader := "message_id,at,direction,number,number_label,contact_id,contact_name,contact_phone,user_email,body,status,error_code,segments,units,amount"
			if strings.Join(records[0], ",") != wantHeader || !strings.HasPrefix(string(body), wantHeader+"\n") {
				t.Errorf("%s: header = %q, want %q", name, records[0], wantHeader)
			}
			if len(records)-1 != len(all.Rows) {
				t.Fatalf("%s: got %d CSV rows, want %d", name, len(records)-1, len(all.Rows))
			}
			for i, r := range all.Rows {
				if got, want := records[i+1], csvRecord(r); !slices.Equal(got, want) {
					t.Errorf("%s: row %d = %q, want %q", name, i, got, want)
				}
			}
		}
		// A leading "=" comes back quoted; every other body as it was sent.
		_, body := reportGET(t, f.admin, path+"?format=csv&direction=inbound", nil)
		records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, r := range records[1:] {
			bodies = append(bodies, r[9])
		}
		for _, b := range reportBodies {
			want := b
			if b[0] == '=' || b[0] == '@' {
				want = "'" + b
			}
			if !slices.Contains(bodies, want) {
				t.Errorf("CSV bodies %q lack %q", bodies, want)
			}
		}
		// An empty range is the header line alone.
		if _, body := reportGET(t, f.admin, path+"?format=csv&to=2000-01-01", nil); strings.Count(string(body), "\n") != 1 {
			t.Errorf("empty CSV = %q, want the header line only", body)
		}

		// An API token acts as its admin.
		var tok struct{ Token string }
		f.admin.call("POST", "/api/tokens", map[string]string{"name": "ats"}, 201, &tok)
		bearer := f.s.client(t)
		bearer.token = tok.Token
		bearer.call("GET", path+"?status=failed", nil, 200, nil)

		// Every query that ran is in the audit trail, the admin's, filters and format.
		var audit struct {
			Audit []struct {
				User    inbox.User     `json:"user"`
				Filters map[string]any `json:"filters"`
				Format  string         `json:"format"`
				At      time.Time      `json:"at"`
			} `json:"audit"`
			NextCursor *string `json:"next_cursor"`
		}
		f.admin.call("GET", "/api/reports/audit?limit=500", nil, 200, &audit)
		formats := map[string]int{}
		for _, a := range audit.Audit {
			formats[a.Format]++
			if a.User.Email != "admin@acme.test" || a.At.IsZero() || a.Filters["from"] == nil || a.Filters["to"] == nil {
				t.Errorf("audit entry = %+v; want the admin's, with a time and the window", a)
			}
		}
		// JSON: the shape, all rows, 3 pages, 8 filters and the token's; CSV:
		// both ways of asking, the inbound bodies and the empty range. Queries
		// refused for their parameters never ran, and are not in it.
		if formats["json"] != 14 || formats["csv"] != 4 {
			t.Errorf("audit has %d json and %d csv queries, want 14 and 4", formats["json"], formats["csv"])
		}
		if got := audit.Audit[0].Filters["status"]; got != "failed" {
			t.Errorf("newest audit entry filters = %v; want the token's status=failed", audit.Audit[0].Filters)
		}
		var globexAudit struct{ Audit []any }
		f.globex.call("GET", "/api/reports/audit", nil, 200, &globexAudit)
		if len(globexAudit.Audit) != 0 {
			t.Errorf("Globex's audit trail shows %d of Acme's queries", len(globexAudit.Audit))
		}
	})
}

// csvRecord is what the CSV must hold for a JSON row: the same values, and
// fields others wrote quoted when a spreadsheet would run them.
func csvRecord(r reportRowJSON) []string {
	quote := func(s string) string {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			return "'" + s
		}
		return s
	}
	email := ""
	if r.User != nil {
		email = r.User.Email
	}
	return []string{itoa(r.MessageID), r.At, r.Direction, r.Number.E164, quote(r.Number.Label), itoa(r.Contact.ID),
		quote(r.Contact.Name), r.Contact.Phone, quote(email), quote(r.Body), r.Status, r.ErrorCode, itoa(int64(r.Segments)),
		deref(r.Units), deref(r.Amount)}
}

// deref is *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func rowIDs(rows []reportRowJSON) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.MessageID
	}
	return out
}

// wantKeys checks that v is a JSON object with exactly the given keys.
func wantKeys(t *testing.T, what string, v any, keys ...string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s = %v, want an object", what, v)
		return
	}
	var got []string
	for k := range obj {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s has fields %v, want %v", what, got, keys)
	}
}
