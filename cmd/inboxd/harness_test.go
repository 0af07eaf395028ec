package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// testServer is a real inboxd — store, bus, hub, outbox, webhooks — serving
// on a real socket in this process.
type testServer struct {
	URL  string
	cfg  Config
	stop func() // shuts the server down gracefully, as SIGTERM does
}

// endToEnd skips t under -short: it starts a real server (or several), and
// `make check` runs only the fast tests of each package. `make test` never
// passes -short, so every end-to-end test runs there.
func endToEnd(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped under -short (make check); make test runs it")
	}
}

// startServer runs inboxd with the test defaults overridden by env, until the
// test ends. By default it uses a fresh embedded store, no demo data, a fast
// password hash and a fast send lane. It is an end-to-end test: skipped
// under -short.
//
// Options change the rest: withClock gives the server a clock the test
// moves (clock.Fake), so that nothing waits for hours to pass.
func startServer(t *testing.T, env map[string]string, opts ...serverOption) *testServer {
	t.Helper()
	return startServerLogging(t, env, testWriter{t}, opts...)
}

// startServerLogging is startServer with the server's log (warnings and
// errors, as text lines) written to logs.
func startServerLogging(t *testing.T, env map[string]string, logs io.Writer, opts ...serverOption) *testServer {
	t.Helper()
	endToEnd(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{
		"INBOX_ADDR":          ln.Addr().String(),
		"INBOX_PUBLIC_URL":    base,
		"INBOX_DATA_DIR":      t.TempDir(),
		"INBOX_DEMO":          "0",
		"INBOX_PASSWORD_COST": "4",
		"INBOX_SEND_INTERVAL": "20ms",
		"INBOX_LOG_LEVEL":     "error",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, cfg, log, ln, io.Discard) }()
	var once sync.Once
	s := &testServer{URL: base, cfg: cfg}
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server stopped with: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("server did not stop within 20 s")
			}
		})
	}
	t.Cleanup(s.stop)
	eventually(t, 10*time.Second, "the server answers /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// serverOption changes a test server's configuration after the environment.
type serverOption func(*Config)

// withClock runs the server on c: sessions, sends, quiet hours and the
// outbox all read it.
func withClock(c clock.Clock) serverOption { return func(cfg *Config) { cfg.Clock = c } }

// withSocketRecheck makes the hub re-check open websockets' credentials
// every d instead of the default 30 s.
func withSocketRecheck(d time.Duration) serverOption {
	return func(cfg *Config) { cfg.SocketRecheck = d }
}

// testWriter sends the server's logs to the test's log, shown on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// engines runs fn on the embedded store and on PostgreSQL: an end-to-end
// test, skipped under -short before a PostgreSQL schema is made for it. On
// PostgreSQL the simulator must be asked for (INBOX_SIMULATOR=1); tests that
// set Plivo credentials send through the fake Plivo all the same.
func engines(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	endToEnd(t)
	// The two engines run side by side: most of an end-to-end test's time
	// is spent waiting for the server, not computing.
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, map[string]string{})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1"})
	})
}

// bootstrap creates a company and its admin through `inboxd admin create`
// against the server's store, and returns the admin signed in. The
// company's quiet hours are turned off, as an operator may: tests of other
// features must not depend on the time of day they run. Quiet-hours tests
// use bootstrapWithQuietHours.
func (s *testServer) bootstrap(t *testing.T, company, email string) *client {
	t.Helper()
	a := s.bootstrapWithQuietHours(t, company, email)
	a.call("PUT", "/api/company", map[string]any{"quiet_hours": nil}, 200, nil)
	return a
}

// bootstrapWithQuietHours is bootstrap with the company's default quiet
// hours (9 PM to 8 AM in the contact's time) left on.
func (s *testServer) bootstrapWithQuietHours(t *testing.T, company, email string) *client {
	t.Helper()
	if _, err := adminCreate(context.Background(), s.cfg, slog.New(slog.DiscardHandler), company,
		inbox.NewUser{Email: email, Password: "correct horse"}); err != nil {
		t.Fatalf("admin create: %v", err)
	}
	return s.login(t, email, "correct horse")
}

// client is an API client with its own cookie jar, like one browser. Every
// exchange is checked against docs/openapi.yaml (openapi_test.go).
type client struct {
	t      *testing.T
	base   string
	http   *http.Client
	token  string // Bearer token instead of the cookie, if set
	origin string // Origin header of writes; the server's own by default
}

func (s *testServer) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.URL, origin: s.URL, http: &http.Client{Jar: jar, Timeout: 15 * time.Second, Transport: specTransport(t)}}
}

func (s *testServer) login(t *testing.T, email, password string) *client {
	t.Helper()
	c := s.client(t)
	c.call("POST", "/api/session", map[string]string{"email": email, "password": password}, 200, nil)
	return c
}

// createUser makes a user as admin a and returns them signed in, and their id.
func (s *testServer) createUser(t *testing.T, a *client, email, role string) (*client, int64) {
	t.Helper()
	var u struct{ ID int64 }
	a.call("POST", "/api/users", map[string]string{"email": email, "name": strings.Split(email, "@")[0], "role": role,
		"password": "correct horse"}, 201, &u)
	return s.login(t, email, "correct horse"), u.ID
}

// call sends a JSON request and checks the status; out, if not nil, gets the
// decoded answer. It returns the error code of a JSON error answer.
func (c *client) call(method, path string, body any, want int, out any) string {
	c.t.Helper()
	code, raw := c.raw(method, path, body, nil)
	if code != want {
		c.t.Fatalf("%s %s: got %d %s, want %d", method, path, code, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	var e struct {
		Error struct{ Code string }
	}
	json.Unmarshal(raw, &e)
	return e.Error.Code
}

// raw sends a request and returns the status and body.
func (c *client) raw(method, path string, body any, header http.Header) (int, []byte) {
	c.t.Helper()
	code, b, _ := c.rawHeader(method, path, body, header)
	return code, b
}

// rawHeader is raw, with the answer's header.
func (c *client) rawHeader(method, path string, body any, header http.Header) (int, []byte, http.Header) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.origin != "" && method != "GET" {
		req.Header.Set("Origin", c.origin)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, raw, resp.Header
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
