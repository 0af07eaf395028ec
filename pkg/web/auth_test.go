package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/clock"
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

	// Five failures for one (email, address) lock that pair out, right
	// password or not; the same account from another address signs in.
	f = newFixture(t, options{})
	for range 5 {
		want(t, "failure", login(f, "admin@acme.test", "wrong", "192.0.2.1:1000", nil), 401, "invalid_credentials", nil)
	}
	w := login(f, "admin@acme.test", "correct horse", "192.0.2.1:1001", nil)
	want(t, "the right password after five failures", w, 429, "too_many_attempts", nil)
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 15*60 {
		t.Errorf("Retry-After = %q; want seconds, at most 15 minutes", w.Header().Get("Retry-After"))
	}
	want(t, "the same account from another address", login(f, "admin@acme.test", "correct horse", "192.0.2.2:1000", nil), 200, "", nil)
	want(t, "another account from the address", login(f, "ana@acme.test", "correct horse", "192.0.2.1:1000", nil), 200, "", nil)

	// A success is no failure: four failures, two successes, one more
	// failure make five, and the sixth attempt is refused.
	for range 4 {
		login(f, "ana@acme.test", "wrong", "192.0.2.3:1000", nil)
	}
	for range 2 {
		want(t, "success after four failures", login(f, "ana@acme.test", "correct horse", "192.0.2.3:1000", nil), 200, "", nil)
	}
	want(t, "the fifth failure", login(f, "ana@acme.test", "wrong", "192.0.2.3:1000", nil), 401, "invalid_credentials", nil)
	want(t, "the sixth attempt", login(f, "ana@acme.test", "correct horse", "192.0.2.3:1000", nil), 429, "too_many_attempts", nil)

	// Fifty failures from one address, over any accounts, lock the address.
	for i := range 50 {
		login(f, fmt.Sprintf("guess%d@acme.test", i), "wrong", "198.51.100.1:1000", nil)
	}
	want(t, "another account, from the address", login(f, "admin@acme.test", "correct horse", "198.51.100.1:2000", nil), 429, "too_many_attempts", nil)
	want(t, "another account, from elsewhere", login(f, "admin@acme.test", "correct horse", "198.51.100.3:1000", nil), 200, "", nil)

	// Logout ends the session and clears the cookie.
	w = f.do(req{method: "DELETE", path: "/api/session", session: f.anaSession})
	if w.Code != http.StatusNoContent || len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Errorf("logout: %d, cookies %+v; want 204 and the cookie cleared", w.Code, w.Result().Cookies())
	}
	want(t, "the session after logout", f.do(req{method: "GET", path: "/api/me", session: f.anaSession}), 401, "unauthenticated", nil)
}

// The limits count failures in a fixed window from the first: once it ends,
// the right password signs in again.
func TestAttemptWindow(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	f := newFixture(t, options{clock: clk})
	login := func(password string) *httptest.ResponseRecorder {
		return f.do(req{method: "POST", path: "/api/session", body: fmt.Sprintf(`{"email":"ana@acme.test","password":%q}`, password), remote: "192.0.2.9:1"})
	}
	for range 5 {
		login("wrong")
		clk.Advance(time.Minute)
	}
	w := login("correct horse")
	want(t, "within the window", w, 429, "too_many_attempts", nil)
	if got := w.Header().Get("Retry-After"); got != "600" {
		t.Errorf("Retry-After 5 minutes into the window: got %q, want 600", got)
	}
	clk.Advance(10 * time.Minute)
	want(t, "once the window ended", login("correct horse"), 200, "", nil)
}

// Of many wrong attempts at once for one (email, address), no more than the
// limit have their password checked: the count is reserved before the check.
func TestAttemptsAreAtomic(t *testing.T) {
	f := newFixture(t, options{})
	var wg sync.WaitGroup
	codes := make([]int, 30)
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.do(req{method: "POST", path: "/api/session", body: `{"email":"ana@acme.test","password":"wrong"}`, remote: "192.0.2.7:1"}).Code
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[401] > maxAccountFailures || count[401]+count[429] != len(codes) {
		t.Errorf("30 wrong attempts at once: %v; want at most %d answered 401, the rest 429", count, maxAccountFailures)
	}
}

// Behind a trusted proxy the client is the rightmost X-Forwarded-For entry
// the proxies did not add: clients behind one balancer are counted apart,
// and a client cannot pick its own address by writing the header.
func TestAttemptsBehindAProxy(t *testing.T) {
	f := newFixture(t, options{trusted: "10.0.0.0/8"})
	login := func(xff, password string) *httptest.ResponseRecorder {
		return f.do(req{method: "POST", path: "/api/session", body: fmt.Sprintf(`{"email":"ana@acme.test","password":%q}`, password),
			remote: "10.1.2.3:5000", header: http.Header{"X-Forwarded-For": {xff}}})
	}
	for i := range 5 {
		// The client writes a new made-up address each time; the proxy
		// appends the real one.
		login(fmt.Sprintf("203.0.113.%d, 192.0.2.50", i), "wrong")
	}
	want(t, "the typist, whatever they wrote", login("203.0.113.99, 192.0.2.50", "correct horse"), 429, "too_many_attempts", nil)
	want(t, "another client behind the balancer", login("192.0.2.51", "correct horse"), 200, "", nil)
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

// With INBOX_FRAME_ANCESTORS the UI is framed by another site: over https
// the session cookie is SameSite=None (and Secure), so that the framed
// inbox is signed in; over http it stays Lax (browsers refuse None without
// Secure). Sign-out clears it with the same attributes.
func TestSessionCookieWhenFramed(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		ancestors []string
		want      http.SameSite
	}{
		{"https://inbox.example.com", []string{"https://ats.example.com"}, http.SameSiteNoneMode},
		{"http://inbox.example.com", []string{"https://ats.example.com"}, http.SameSiteLaxMode},
		{"https://inbox.example.com", nil, http.SameSiteLaxMode},
	} {
		f := newFixture(t, options{publicURL: tt.publicURL, frameAncestors: tt.ancestors})
		w := f.do(req{method: "POST", path: "/api/session", body: `{"email":"ana@acme.test","password":"correct horse"}`})
		want(t, "login", w, 200, "", nil)
		c := w.Result().Cookies()
		if len(c) != 1 || c[0].SameSite != tt.want || (tt.want == http.SameSiteNoneMode && !c[0].Secure) {
			t.Errorf("%s framed by %v: cookie %+v; want SameSite %v", tt.publicURL, tt.ancestors, c, tt.want)
		}
	}
}
