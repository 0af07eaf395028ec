package main

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	"smsinbox/pkg/store/storetest"
)

// signIn posts credentials from the client behind X-Forwarded-For (none
// when empty) and returns the status and the error code.
func (c *client) signIn(t *testing.T, email, password, forwardedFor string) (int, string, http.Header) {
	t.Helper()
	h := http.Header{}
	if forwardedFor != "" {
		h.Set("X-Forwarded-For", forwardedFor)
	}
	req := map[string]string{"email": email, "password": password}
	code, raw, header := c.rawHeader("POST", "/api/session", req, h)
	var e struct{ Error struct{ Code string } }
	decodeJSON(t, raw, &e)
	return code, e.Error.Code, header
}

// Thirty wrong passwords at once for one account from one address: at most
// five are checked (401), the rest refused (429 with Retry-After); then the
// right password from there is refused too, and from elsewhere it signs in.
func TestSignInThrottleIsAtomic(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		s.bootstrap(t, "Acme", "admin@acme.test")
		c := s.client(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		count := map[int]int{}
		for range 30 {
			wg.Go(func() {
				code, _, h := c.signIn(t, "admin@acme.test", "guess guess", "")
				if code == http.StatusTooManyRequests {
					if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
						t.Errorf("429 with Retry-After %q; want seconds up to 15 minutes", h.Get("Retry-After"))
					}
				}
				mu.Lock()
				count[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		// Connections dialed for the burst and never used would hold up the
		// server's graceful shutdown for 5 s.
		c.http.CloseIdleConnections()
		if count[401] > 5 || count[401]+count[429] != 30 {
			t.Errorf("30 concurrent wrong attempts: %v; want at most 5 answered 401, the rest 429", count)
		}
		if code, ec, _ := c.signIn(t, "admin@acme.test", "correct horse", ""); code != 429 || ec != "too_many_attempts" {
			t.Errorf("the right password from the same address: got %d %s, want 429 too_many_attempts", code, ec)
		}
	})
}

// Behind a load balancer every client shares its address: with the balancer
// trusted, clients are told apart by X-Forwarded-For, so one typist's
// failures lock out that typist only, and a stranger guessing the admin's
// password cannot lock the admin out.
func TestSignInThrottleBehindAProxy(t *testing.T) {
	for _, tt := range []struct {
		trusted  string
		lockedUs bool // does the stranger's guessing lock the admin out
	}{
		{"", true}, // the bug: everyone is the balancer
		{"127.0.0.1/32", false},
	} {
		s := startServer(t, map[string]string{"INBOX_TRUSTED_PROXIES": tt.trusted})
		s.bootstrap(t, "Acme", "admin@acme.test")
		c := s.client(t)
		for range 10 {
			// The stranger writes a made-up address; the balancer appends theirs.
			c.signIn(t, "admin@acme.test", "guess guess", "10.9.9.9, 203.0.113.66")
		}
		code, _, _ := c.signIn(t, "admin@acme.test", "correct horse", "198.51.100.7")
		if locked := code == 429; locked != tt.lockedUs {
			t.Errorf("trusted proxies %q: the admin from their own address got %d; locked out %v, want %v", tt.trusted, code, locked, tt.lockedUs)
		}
		if tt.trusted != "" {
			if code, _, _ := c.signIn(t, "admin@acme.test", "correct horse", "1.2.3.4, 203.0.113.66"); code != 429 {
				t.Errorf("the stranger, whatever they write first: got %d, want 429", code)
			}
		}
	}
}

// With Redis, the counts are shared: failures on one instance count on the
// other.
func TestSignInThrottleSharedByInstances(t *testing.T) {
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1",
		"REDIS_URL": sharedRedis(t), "INBOX_REDIS_PREFIX": "test-" + newUUID()}
	s1, s2 := startServer(t, env), startServer(t, env)
	s1.bootstrap(t, "Acme", "admin@acme.test")
	c1, c2 := s1.client(t), s2.client(t)
	for i := range 5 {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		if code, _, _ := c.signIn(t, "admin@acme.test", "guess guess", ""); code != 401 {
			t.Fatalf("failure %d: got %d, want 401", i+1, code)
		}
	}
	for name, c := range map[string]*client{"instance 1": c1, "instance 2": c2} {
		if code, ec, _ := c.signIn(t, "admin@acme.test", "correct horse", ""); code != 429 || ec != "too_many_attempts" {
			t.Errorf("%s after 5 failures across both: got %d %s, want 429 too_many_attempts", name, code, ec)
		}
	}
}
