package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

// TestStatusOf: the one mapping from an error's kind to its HTTP status.
func TestStatusOf(t *testing.T) {
	for kind, status := range map[inbox.Kind]int{
		inbox.KindInternal:        500,
		inbox.KindInvalid:         422,
		inbox.KindUnauthenticated: 401,
		inbox.KindForbidden:       403,
		inbox.KindNotFound:        404,
		inbox.KindConflict:        409,
		inbox.KindRateLimited:     429,
		inbox.KindUnavailable:     503,
		inbox.KindMalformed:       400,
		inbox.KindTooLarge:        413,
		inbox.Kind(99):            500,
	} {
		if got := statusOf(kind); got != status {
			t.Errorf("statusOf(%d) = %d, want %d", kind, got, status)
		}
	}
}

// TestWriteError: the JSON error of API.md, found through wrapping; an
// error that is not the domain's is a 500 that tells the client nothing of
// its cause.
func TestWriteError(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name         string
		err          error
		status       int
		code, detail string
	}{
		{"domain error", inbox.Invalid("invalid_body", "a text must be 1 to 1600 characters"), 422, "invalid_body", "a text must be 1 to 1600 characters"},
		{"wrapped", fmt.Errorf("send: %w", inbox.NotFound("contact")), 404, "not_found", "contact not found"},
		{"not the domain's", errors.New("pq: password authentication failed for user postgres"), 500, "internal", "something went wrong on our side; try again"},
		{"rate limited", inbox.Errorf(inbox.KindRateLimited, "rate_limited", "slow down"), 429, "rate_limited", "slow down"},
		{"a dependency out of reach", fmt.Errorf("load user: %w", inbox.Unavailable("the database", errors.New("dial tcp: connection refused"))),
			503, "unavailable", "the database is unavailable; try again"},
	} {
		w := httptest.NewRecorder()
		s.writeError(w, httptest.NewRequest("GET", "/api/x", nil), tt.err)
		want(t, tt.name, w, tt.status, tt.code, nil)
		if body := w.Body.String(); !strings.Contains(body, `"message":"`+tt.detail+`"`) || strings.Contains(body, "pq:") {
			t.Errorf("%s: body %s; want the message %q and no cause", tt.name, body, tt.detail)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q, want JSON", tt.name, ct)
		}
		if ra := w.Header().Get("Retry-After"); (ra == "60") != (tt.status == http.StatusTooManyRequests) {
			t.Errorf("%s: Retry-After %q; want 60 only for 429", tt.name, ra)
		}
		if ra := w.Header().Get("Retry-After"); (ra == retryAfterUnavailable) != (tt.status == http.StatusServiceUnavailable) {
			t.Errorf("%s: Retry-After %q; want %s only for 503", tt.name, ra, retryAfterUnavailable)
		}
	}
}

// TestWriteErrorLogsOutagesOnce: a dependency out of reach fails every
// request alike, so its 503s are logged once per interval with a count; a
// bug (500) is logged each time.
func TestWriteErrorLogsOutagesOnce(t *testing.T) {
	var logs strings.Builder
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	down := inbox.Unavailable("the database", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	for range 1000 {
		w := httptest.NewRecorder()
		s.writeError(w, httptest.NewRequest("GET", "/api/inbox", nil), down)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("got %d, want 503", w.Code)
		}
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "failures=1 ") ||
		!strings.Contains(logs.String(), "connection refused") {
		t.Errorf("1,000 requests in an outage logged %d lines, want 1 naming the first failure and its cause:\n%s", n, logs.String())
	}
	logs.Reset()
	for range 3 {
		s.writeError(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/inbox", nil), errors.New("a bug"))
	}
	if n := strings.Count(logs.String(), "request failed"); n != 3 {
		t.Errorf("3 internal errors logged %d lines, want 3", n)
	}
}

// TestRequestParsing: JSON bodies, path ids and query parameters, each way
// they can be wrong, through real routes.
func TestRequestParsing(t *testing.T) {
	f := newFixture(t, options{})
	post := func(body string) *httptest.ResponseRecorder {
		return f.do(req{method: "POST", path: "/api/contacts", body: body, token: f.adminToken})
	}
	want(t, "no body", post(""), 400, "invalid_json", nil)
	want(t, "not JSON", post(`{"name":`), 400, "invalid_json", nil)
	want(t, "a field of the wrong type", post(`{"name": 5, "phone": "+14155550177"}`), 400, "invalid_json", nil)
	want(t, "two values", post(`{"name":"A","phone":"+14155550177"} {}`), 400, "invalid_json", nil)
	big := `{"name":"` + strings.Repeat("a", maxJSONBody) + `","phone":"+14155550177"}`
	want(t, "over 64 KiB", post(big), 413, "body_too_large", nil)
	want(t, "valid but refused by the service", post(`{"name":"Casey","phone":"call me"}`), 422, "invalid_phone", nil)
	var c inbox.Contact
	want(t, "valid", post(`{"name":"Casey","phone":"(415) 555-0177","sms_opt_in":true}`), 201, "", &c)
	if c.ID == 0 || c.Phone != "+14155550177" || c.Consent != inbox.ConsentOptedIn {
		t.Errorf("created %+v; want Casey, E.164, opted in", c)
	}
	want(t, "the same again", post(`{"name":"Casey","phone":"+14155550177"}`), 200, "", nil)

	for _, path := range []string{"/api/contacts/abc", "/api/contacts/0", "/api/contacts/-1", "/api/contacts/1.5", "/api/contacts/99999"} {
		want(t, "GET "+path, f.do(req{method: "GET", path: path, token: f.adminToken}), 404, "not_found", nil)
	}
	for _, path := range []string{"/api/contacts?limit=-1", "/api/contacts?limit=ten", "/api/contacts?cursor=x",
		"/api/threads/1/messages?before=x", "/api/contacts/1/messages?limit=-5"} {
		want(t, "GET "+path, f.do(req{method: "GET", path: path, token: f.adminToken}), 400, "invalid_parameter", nil)
	}
	want(t, "an API route that does not exist", f.do(req{method: "GET", path: "/api/nothing", token: f.adminToken}), 404, "not_found", nil)
	want(t, "a method a route does not take", f.do(req{method: "PATCH", path: "/api/contacts", token: f.adminToken}), 404, "not_found", nil)
}
