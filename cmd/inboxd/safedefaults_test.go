package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
	"smsinbox/pkg/store/storetest"
)

// demoSignsIn reports whether the demo admin's published password opens s.
func demoSignsIn(t *testing.T, s *testServer) bool {
	t.Helper()
	code, _ := s.client(t).raw("POST", "/api/session", map[string]string{"email": "admin@demo.test", "password": demoPassword}, nil)
	return code == http.StatusOK
}

// The demo company, whose passwords are in every README, only lands where
// nobody can mistake it for a deployment: an empty embedded store on the
// simulator, unless INBOX_DEMO=1 asks — and never beside another company.
func TestDemoOnlyWhereSafe(t *testing.T) {
	endToEnd(t)
	own := func(t *testing.T) string {
		t.Helper()
		dir := t.TempDir()
		cfg := Config{DataDir: dir, PasswordCost: 4}
		if _, err := adminCreate(context.Background(), cfg, slog.New(slog.DiscardHandler), "Acme",
			inbox.NewUser{Email: "admin@acme.test", Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	plivoEnv := map[string]string{"PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken, "PLIVO_API_URL": fake.URL}
	for _, tt := range []struct {
		name string
		env  func(t *testing.T) map[string]string
		demo bool
	}{
		{"a fresh embedded store on the simulator (make run)", func(*testing.T) map[string]string { return map[string]string{"INBOX_DEMO": ""} }, true},
		{"a store that made its own company", func(t *testing.T) map[string]string {
			return map[string]string{"INBOX_DEMO": "", "INBOX_DATA_DIR": own(t)}
		}, false},
		{"INBOX_DEMO=1 beside another company", func(t *testing.T) map[string]string {
			return map[string]string{"INBOX_DEMO": "1", "INBOX_DATA_DIR": own(t)}
		}, false},
		{"real Plivo credentials", func(*testing.T) map[string]string {
			env := map[string]string{"INBOX_DEMO": ""}
			for k, v := range plivoEnv {
				env[k] = v
			}
			return env
		}, false},
		{"INBOX_DEMO=0", func(*testing.T) map[string]string { return map[string]string{"INBOX_DEMO": "0"} }, false},
		{"PostgreSQL", func(t *testing.T) map[string]string {
			return map[string]string{"INBOX_DEMO": "", "DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1"}
		}, false},
		{"PostgreSQL with INBOX_DEMO=1", func(t *testing.T) map[string]string {
			return map[string]string{"INBOX_DEMO": "1", "DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1"}
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.env(t))
			if got := demoSignsIn(t, s); got != tt.demo {
				t.Errorf("admin@demo.test with the published password signs in: %v, want %v", got, tt.demo)
			}
		})
	}
}

// The simulator, and its open /api/dev/phone, run only on the embedded store
// or when INBOX_SIMULATOR=1 asks: PostgreSQL without Plivo credentials is a
// deployment missing its configuration, and inboxd says so and stops.
func TestSimulatorOnlyWhenAsked(t *testing.T) {
	endToEnd(t)
	pg := storetest.PostgresURL(t)
	env := []string{"DATABASE_URL=" + pg, "INBOX_ADDR=" + freeAddr(t), "INBOX_DATA_DIR=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, inboxdBinary(t))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("inboxd on PostgreSQL without Plivo: %v\n%s; want a non-zero exit", err, out)
	}
	for _, name := range []string{"PLIVO_AUTH_ID", "INBOX_SIMULATOR"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("its message %q does not name %s", out, name)
		}
	}

	// Asked for, the simulator runs on PostgreSQL.
	s := startServer(t, map[string]string{"DATABASE_URL": pg, "INBOX_SIMULATOR": "1"})
	s.client(t).call("GET", "/api/dev/phone", nil, 200, nil)
	// With Plivo credentials there is no simulator, whatever the store.
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	withPlivo := startServer(t, map[string]string{"PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken,
		"PLIVO_API_URL": fake.URL, "INBOX_SIMULATOR": "1"})
	withPlivo.client(t).call("GET", "/api/dev/phone", nil, 404, nil)
	if code, _ := withPlivo.client(t).raw("GET", "/dev/phone", nil, nil); code != 404 {
		t.Errorf("/dev/phone with Plivo credentials: got %d, want 404", code)
	}
}

// A page of another site cannot text the simulator's phone: the cross-site
// text/plain POST that opted a contact out is refused like any other
// cross-site write, and the contact keeps their consent.
func TestDevPhoneRefusesCrossSiteWrites(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
	var c inbox.Contact
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &c)

	req, _ := http.NewRequest("POST", s.URL+"/api/dev/phone",
		strings.NewReader(`{"from":"+14155550123","to":"+14155550100","text":"STOP"}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := specClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "bad_origin") {
		t.Errorf("a cross-site POST to /api/dev/phone: got %d %s, want 403 bad_origin", resp.StatusCode, body)
	}
	var now inbox.Contact
	admin.call("GET", "/api/contacts/"+itoa(c.ID), nil, 200, &now)
	if now.Consent != inbox.ConsentOptedIn {
		t.Errorf("after the cross-site STOP the contact is %s, want still opted_in", now.Consent)
	}
	// The simulator's own page, same origin, still texts.
	admin.call("POST", "/api/dev/phone", map[string]string{"from": c.Phone, "to": n.E164, "text": "Hi"}, 202, nil)
}
