package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
	"smsinbox/pkg/store/storetest"
	"smsinbox/pkg/web"
)

// logLines collects a server's log lines for a test to count, and passes
// them on to the test's log.
type logLines struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSpace(string(p)), "\n") {
		l.lines = append(l.lines, line)
		l.t.Log(line)
	}
	return len(p), nil
}

// since returns the lines logged after the first n.
func (l *logLines) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines[n:]...)
}

func (l *logLines) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// serverRoutes is the route table of a server like the one the outage test
// runs (dev phone and inline metrics on): web.Server.Routes, the list the
// OpenAPI coverage test holds docs/openapi.yaml to.
func serverRoutes(t *testing.T) []string {
	t.Helper()
	s, err := web.New(web.Options{Phone: plivoPhoneStub{}, Metrics: http.NotFoundHandler(), Static: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	return s.Routes()
}

// plivoPhoneStub satisfies web.Phone so that New registers the dev routes;
// only the route table is read.
type plivoPhoneStub struct{}

func (plivoPhoneStub) Texts() any                                         { return nil }
func (plivoPhoneStub) Send(context.Context, string, string, string) error { return nil }

// outageAnswer is what a route must answer while the store is out of reach:
// 503 unavailable with Retry-After, but for the few routes that never touch
// the store.
var outageAnswer = map[string]struct {
	status int
	code   string
}{
	"GET /healthz": {200, ""},            // liveness: the process is up
	"GET /metrics": {200, ""},            // the queue depth reads -1
	"GET /readyz":  {503, "not_ready"},   // the store decides readiness
	"/api/":        {404, "not_found"},   // no such route, whatever the store
	"/":            {200, ""},            // the UI's files are in the binary
	"GET /ws":      {503, "unavailable"}, // the handshake: its session cannot be read
}

// outageRequest is a request for route pattern that the server would
// answer if its store were there: ids of real records, valid bodies, a
// signed webhook, a websocket handshake.
func outageRequest(t *testing.T, s *testServer, pattern string, ids map[string]int64) *http.Request {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
		if path == "/api/" {
			path = "/api/no-such-route"
		}
	}
	path = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllStringFunc(path, func(string) string {
		for prefix, id := range ids {
			if strings.HasPrefix(path, prefix) {
				return itoa(id)
			}
		}
		return "1"
	})
	bodies := map[string]string{
		"POST /api/session":                `{"email":"admin@acme.test","password":"correct horse"}`,
		"POST /api/tokens":                 `{"name":"ats"}`,
		"POST /api/users":                  `{"email":"new@acme.test","name":"New","role":"recruiter","password":"correct horse"}`,
		"POST /api/numbers":                `{"e164":"+14155550111","label":"Other"}`,
		"PUT /api/numbers/{id}/assignees":  `{"user_ids":[]}`,
		"PUT /api/company":                 `{"sms_enabled":true}`,
		"POST /api/contacts":               `{"name":"Dana","phone":"+14155550188","sms_opt_in":true}`,
		"POST /api/jobs":                   `{"title":"Driver"}`,
		"POST /api/jobs/{id}/applicants":   `{"contact_id":` + itoa(ids["/api/contacts"]) + `}`,
		"POST /api/contacts/{id}/messages": `{"body":"Are you free tomorrow?"}`,
		"POST /api/dev/phone":              `{"from":"+14155550123","to":"+14155550100","text":"hello"}`,
	}
	var body io.Reader
	if b, ok := bodies[pattern]; ok {
		body = strings.NewReader(b)
	} else if method == "POST" || method == "PUT" || method == "PATCH" {
		body = strings.NewReader(`{}`)
	}
	if pattern == "GET /sso" {
		// A well-formed token: finding its company needs the store.
		path += "?token=" + url.QueryEscape(ssoToken(t, jwt.SigningMethodHS256, []byte(ssoSecret), "", baseClaims("u1", "admin@acme.test")))
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if method != "GET" {
		req.Header.Set("Origin", s.URL)
	}
	switch path {
	case "/webhooks/plivo/inbound":
		form := inboundForm("+14155550123", "+14155550100", "hello again", newUUID())
		req, _ = http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
		req.Header = plivotest.SignV3(s.cfg.PlivoAuthToken, s.URL+path, form, newUUID())
	case "/webhooks/plivo/status":
		form := url.Values{"MessageUUID": {newUUID()}, "Status": {"delivered"}}
		req, _ = http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
		req.Header = plivotest.SignV3(s.cfg.PlivoAuthToken, s.URL+path, form, newUUID())
	}
	return req
}

// TestPostgresOutage: with PostgreSQL out of reach, every route of
// routes.go that needs the store answers 503 unavailable with Retry-After —
// signed in, so that each gets past "who are you" to the store — /readyz is
// 503, and the server logs a bounded number of lines however many requests
// fail. When PostgreSQL is back, so is the server.
func TestPostgresOutage(t *testing.T) {
	endToEnd(t)
	dbURL, proxy := storetest.PostgresBehindProxy(t)
	logs := &logLines{t: t}
	// INBOX_SIMULATOR: the dev phone's routes exist with PostgreSQL too.
	s := startServerLogging(t, map[string]string{"DATABASE_URL": dbURL, "INBOX_SIMULATOR": "1"}, logs)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	var tok struct{ Token string }
	admin.call("POST", "/api/tokens", map[string]string{"name": "ats"}, 201, &tok)
	bearer := s.client(t)
	bearer.token = tok.Token
	var number inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &number)
	var contact inbox.Contact
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &contact)
	var job inbox.Job
	admin.call("POST", "/api/jobs", map[string]any{"title": "Welder"}, 201, &job)
	var me struct{ ID int64 }
	admin.call("GET", "/api/me", nil, 200, &me)
	admin.call("PUT", "/api/numbers/"+itoa(number.ID)+"/assignees", map[string]any{"user_ids": []int64{me.ID}}, 200, nil)
	if code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm(contact.Phone, number.E164, "Hi!", newUUID()), nil); code != 200 {
		t.Fatalf("inbound before the outage: got %d", code)
	}
	var history struct{ Threads []inbox.Thread }
	admin.call("GET", "/api/contacts/"+itoa(contact.ID)+"/messages", nil, 200, &history)
	if len(history.Threads) != 1 {
		t.Fatalf("threads before the outage: %+v", history.Threads)
	}
	ids := map[string]int64{"/api/numbers": number.ID, "/api/contacts": contact.ID, "/api/jobs": job.ID,
		"/api/threads": history.Threads[0].ID}

	proxy.Cut()
	before := logs.count()
	routes := serverRoutes(t)
	const rounds = 5
	for round := range rounds {
		for _, pattern := range routes {
			want, special := outageAnswer[pattern]
			if !special {
				want.status, want.code = 503, "unavailable"
			}
			if pattern == "GET /ws" {
				checkWebsocketOutage(t, admin)
				continue
			}
			req := outageRequest(t, s, pattern, ids)
			c := admin
			if round%2 == 1 && strings.HasPrefix(pattern, "GET /api/") {
				c = bearer // every other round, as the ATS with its token
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", pattern, err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e struct{ Error struct{ Code string } }
			json.Unmarshal(raw, &e)
			if resp.StatusCode != want.status || e.Error.Code != want.code {
				t.Errorf("%s with PostgreSQL down: got %d %q (%s), want %d %q", pattern, resp.StatusCode, e.Error.Code,
					bytes.TrimSpace(raw), want.status, want.code)
			}
			if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s: 503 without Retry-After", pattern)
			}
		}
	}
	// Each route failed five times; the outage is still a handful of lines.
	lines := logs.since(before)
	if len(lines) > 8 {
		t.Errorf("%d requests in the outage logged %d lines, want a bounded few (one per failing part per interval):\n%s",
			rounds*len(routes), len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "status=500") || strings.Contains(l, "request failed") {
			t.Errorf("logged as a bug: %s", l)
		}
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the server is ready again", func() bool {
		code, _ := admin.raw("GET", "/readyz", nil, nil)
		return code == 200
	})
	admin.call("GET", "/api/me", nil, 200, nil)
	if code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm(contact.Phone, number.E164, "Back?", newUUID()), nil); code != 200 {
		t.Errorf("inbound after the outage: got %d, want 200", code)
	}
}

// checkWebsocketOutage opens /ws with c's session while the store is down:
// the handshake is refused with 503 (its session cannot be read).
func checkWebsocketOutage(t *testing.T, c *client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws", &websocket.DialOptions{HTTPClient: c.http})
	if err == nil {
		conn.Close(websocket.StatusNormalClosure, "")
		t.Error("GET /ws with PostgreSQL down: the socket opened, want 503")
		return
	}
	if resp == nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("GET /ws with PostgreSQL down: got %v (%v), want 503 with Retry-After", resp, err)
	}
}

// TestRedisOutage: with the bus (Redis) down, the instance stays ready —
// /readyz is 200 and names the bus as degraded — webhooks and the API work,
// and the outage is a few log lines, not one per request. When Redis is
// back, /readyz is plain ok again.
func TestRedisOutage(t *testing.T) {
	endToEnd(t)
	addr := freeAddr(t)
	r := startRedis(t, addr)
	t.Cleanup(func() { r.stop() })
	logs := &logLines{t: t}
	s := startServerLogging(t, map[string]string{"REDIS_URL": "redis://" + addr + "/0", "INBOX_REDIS_PREFIX": "test-" + newUUID()}, logs)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	var number inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &number)
	type readiness struct {
		Status, Store, Bus string
		Degraded           []string
	}
	var ready readiness
	admin.call("GET", "/readyz", nil, 200, &ready)
	if ready.Status != "ok" || ready.Bus != "ok" {
		t.Fatalf("readyz with Redis up = %+v, want ok", ready)
	}

	r.stop()
	before := logs.count()
	const texts = 30
	for i := range texts {
		if code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm("+14155550123", number.E164, "text "+itoa(int64(i)), newUUID()), nil); code != 200 {
			t.Fatalf("inbound %d with Redis down: got %d, want 200", i, code)
		}
		admin.call("GET", "/readyz", nil, 200, &ready)
		if ready.Status != "degraded" || ready.Store != "ok" || ready.Bus != "down" || len(ready.Degraded) != 1 || ready.Degraded[0] != "bus" {
			t.Fatalf("readyz with Redis down = %+v, want 200 degraded, naming the bus", ready)
		}
	}
	var inboxPage struct{ Threads []inbox.Thread }
	var me struct{ ID int64 }
	admin.call("GET", "/api/me", nil, 200, &me)
	admin.call("PUT", "/api/numbers/"+itoa(number.ID)+"/assignees", map[string]any{"user_ids": []int64{me.ID}}, 200, nil)
	admin.call("GET", "/api/inbox", nil, 200, &inboxPage)
	if len(inboxPage.Threads) != 1 || inboxPage.Threads[0].UnreadCount != texts {
		t.Errorf("inbox with Redis down: %+v, want the thread with %d unread", inboxPage.Threads, texts)
	}
	// One line for each part that found Redis gone: the subscription, the
	// publishes, the readiness checks.
	if lines := logs.since(before); len(lines) > 5 {
		t.Errorf("%d webhooks and readiness checks with Redis down logged %d lines, want a bounded few:\n%s",
			2*texts, len(lines), strings.Join(lines, "\n"))
	}

	r = startRedis(t, addr)
	eventually(t, 15*time.Second, "readyz is plain ok with Redis back", func() bool {
		var ready readiness
		admin.call("GET", "/readyz", nil, 200, &ready)
		return ready.Status == "ok" && ready.Bus == "ok"
	})
}
