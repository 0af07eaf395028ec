package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// TestAuthenticate: a Bearer token or the session cookie; a cookie-borne
// write from another origin is refused (CSRF), a token-borne one is not.
func TestAuthenticate(t *testing.T) {
	f := newFixture(t, options{allowedOrigins: []string{"https://ats.example.net/"}})
	evil := http.Header{"Origin": {"https://evil.example.org"}}
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	contact := `{"name":"Casey","phone":"+14155550177"}`
	for _, tt := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"nothing", req{method: "GET", path: "/api/me"}, 401, "unauthenticated"},
		{"not a Bearer", req{method: "GET", path: "/api/me", header: http.Header{"Authorization": {"Basic YTpi"}}}, 401, "unauthenticated"},
		{"a made-up token", req{method: "GET", path: "/api/me", token: "sit_nope"}, 401, "unauthenticated"},
		{"a made-up session", req{method: "GET", path: "/api/me", session: "nope"}, 401, "unauthenticated"},
		{"a bad token beside a good cookie", req{method: "GET", path: "/api/me", token: "sit_nope", session: f.anaSession}, 401, "unauthenticated"},
		{"token", req{method: "GET", path: "/api/me", token: f.adminToken}, 200, ""},
		{"cookie", req{method: "GET", path: "/api/me", session: f.anaSession}, 200, ""},
		{"cookie, a read from another origin", req{method: "GET", path: "/api/me", session: f.anaSession, header: evil}, 200, ""},
		{"cookie, a write from another origin", req{method: "POST", path: "/api/contacts", body: contact, session: f.anaSession, header: evil}, 403, "bad_origin"},
		{"cookie, a cross-site write", req{method: "POST", path: "/api/contacts", body: contact, session: f.anaSession, header: crossSite}, 403, "bad_origin"},
		{"cookie, a write from the server's origin", req{method: "POST", path: "/api/contacts", body: contact, session: f.anaSession,
			header: http.Header{"Origin": {"http://example.com"}}}, 201, ""},
		{"cookie, a write from an allowed origin", req{method: "PUT", path: "/api/company", body: `{}`, session: f.anaSession,
			header: http.Header{"Origin": {"https://ats.example.net"}}}, 403, "forbidden"}, // through CSRF to the role check
		{"token, a write from another origin", req{method: "POST", path: "/api/contacts", body: `{"name":"Dana","phone":"+14155550178"}`,
			token: f.adminToken, header: evil}, 201, ""},
	} {
		want(t, tt.name, f.do(tt.r), tt.status, tt.code, nil)
	}
	var me struct {
		inbox.User
		Numbers []inbox.Number `json:"numbers"`
	}
	want(t, "Ana's /api/me", f.do(req{method: "GET", path: "/api/me", session: f.anaSession}), 200, "", &me)
	if me.Email != "ana@acme.test" || me.Role != inbox.RoleRecruiter || len(me.Numbers) != 1 || me.Numbers[0].ID != f.main.ID {
		t.Errorf("/api/me = %+v; want Ana, a recruiter on the main number", me)
	}
}

// TestLogin: the session cookie's attributes, login CSRF, the failure
// limit per account and per address, and logout.
func TestLogin(t *testing.T) {
	login := func(f *fixture, email, password, remote string, h http.Header) *httptest.ResponseRecorder {
		return f.do(req{method: "POST", path: "/api/session", body: fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), remote: remote, header: h})
	}
	for _, tt := range []struct {
		publicURL string
		secure    bool
	}{{"", false}, {"http://inbox.example.com", false}, {"https://inbox.example.com", true}} {
		f := newFixture(t, options{publicURL: tt.publicURL})
		w := login(f, "ana@acme.test", "correct horse", "", nil)
		var body struct{ User inbox.User }
		want(t, "login", w, 200, "", &body)
		cookies := w.Result().Cookies()
		if len(cookies) != 1 || cookies[0].Name != sessionCookie || cookies[0].Value == "" || !cookies[0].HttpOnly ||
			cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Path != "/" || cookies[0].Secure != tt.secure || cookies[0].MaxAge <= 0 {
			t.Errorf("public URL %q: cookies %+v; want one HttpOnly, SameSite=Lax session cookie for /, Secure %v", tt.publicURL, cookies, tt.secure)
			continue
		}
		if body.User.ID != f.ana.ID {
			t.Errorf("login answered %+v; want Ana", body.User)
		}
		want(t, "the new session", f.do(req{method: "GET", path: "/api/me", session: cookies[0].Value}), 200, "", nil)
	}

	f := newFixture(t, options{})
	want(t, "login from another site", login(f, "ana@acme.test", "correct horse", "", http.Header{"Sec-Fetch-Site": {"cross-site"}}), 403, "bad_origin", nil)
	want(t, "wrong password", login(f, "ana@acme.test", "wrong horse", "", nil), 401, "invalid_credentials", nil)
	want(t, "unknown email", login(f, "nobody@acme.test", "correct horse", "", nil), 401, "invalid_credentials", nil)
	want(t, "not JSON", f.do(req{method: "POST", path: "/api/session", body: "email=ana"}), 400, "invalid_json", nil)

	// Ten failures lock the account, from any address, and the address,
	// for any account; a success resets the account's count.
	f = newFixture(t, options{})
	for i := range 9 {
		want(t, "failure", login(f, "admin@acme.test", "wrong", fmt.Sprintf("192.0.2.%d:1000", i), nil), 401, "invalid_credentials", nil)
	}
	want(t, "the admin's tenth attempt, right", login(f, "admin@acme.test", "correct horse", "192.0.2.100:1000", nil), 200, "", nil)
	for i := range 9 {
		want(t, "failure after a success", login(f, "admin@acme.test", "wrong", fmt.Sprintf("192.0.2.%d:1000", 110+i), nil), 401, "invalid_credentials", nil)
	}
	want(t, "nine failures since the success", login(f, "admin@acme.test", "correct horse", "192.0.2.120:1000", nil), 200, "", nil)
	for range 10 {
		login(f, "ana@acme.test", "wrong", "198.51.100.1:1000", nil)
	}
	w := login(f, "ana@acme.test", "correct horse", "198.51.100.2:1000", nil)
	want(t, "a locked account, from elsewhere", w, 429, "rate_limited", nil)
	if w.Header().Get("Retry-After") == "" {
		t.Error("a 429 without Retry-After")
	}
	want(t, "another account, from a locked address", login(f, "admin@acme.test", "correct horse", "198.51.100.1:2000", nil), 429, "rate_limited", nil)
	want(t, "another account, from elsewhere", login(f, "admin@acme.test", "correct horse", "198.51.100.3:1000", nil), 200, "", nil)

	// Logout ends the session and clears the cookie.
	w = f.do(req{method: "DELETE", path: "/api/session", session: f.anaSession})
	if w.Code != http.StatusNoContent || len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Errorf("logout: %d, cookies %+v; want 204 and the cookie cleared", w.Code, w.Result().Cookies())
	}
	want(t, "the session after logout", f.do(req{method: "GET", path: "/api/me", session: f.anaSession}), 401, "unauthenticated", nil)
}

// TestLimiter: failures per key in a fixed window.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := newLimiter(2, time.Minute)
	l.now = func() time.Time { return now }
	steps := []struct {
		do      func()
		key     string
		allowed bool
	}{
		{func() {}, "a", true},
		{func() { l.fail("a") }, "a", true},
		{func() { l.fail("a") }, "a", false},
		{func() {}, "b", true},
		{func() { now = now.Add(59 * time.Second) }, "a", false},
		{func() { now = now.Add(2 * time.Second) }, "a", true}, // the window ended
		{func() { l.fail("a") }, "a", true},                    // a new window, one failure
		{func() { l.fail("a"); l.reset("a") }, "a", true},
	}
	for i, s := range steps {
		s.do()
		if got := l.allowed(s.key); got != s.allowed {
			t.Errorf("step %d: allowed(%q) = %v, want %v", i, s.key, got, s.allowed)
		}
	}
}

// TestWebsocketAuth: /ws opens as the user of a single-use ticket or of the
// session cookie, else not at all.
func TestWebsocketAuth(t *testing.T) {
	f := newFixture(t, options{})
	want(t, "no credentials", f.do(req{method: "GET", path: "/ws"}), 401, "unauthenticated", nil)
	want(t, "a made-up ticket", f.do(req{method: "GET", path: "/ws?ticket=nope", session: f.anaSession}), 401, "unauthenticated", nil)
	var ticket struct{ Ticket string }
	want(t, "a ticket for the admin", f.do(req{method: "POST", path: "/api/ws-ticket", token: f.adminToken}), 201, "", &ticket)
	if w := f.do(req{method: "GET", path: "/ws?ticket=" + ticket.Ticket}); w.Code != http.StatusSwitchingProtocols {
		t.Errorf("with the ticket: %d; want the hub", w.Code)
	}
	want(t, "the ticket again", f.do(req{method: "GET", path: "/ws?ticket=" + ticket.Ticket}), 401, "unauthenticated", nil)
	if w := f.do(req{method: "GET", path: "/ws", session: f.anaSession}); w.Code != http.StatusSwitchingProtocols {
		t.Errorf("with the cookie: %d; want the hub", w.Code)
	}
	if len(f.hub.users) != 2 || f.hub.users[0].ID != f.admin.ID || f.hub.users[1].ID != f.ana.ID {
		t.Errorf("the hub got %+v; want the admin, then Ana", f.hub.users)
	}
}
