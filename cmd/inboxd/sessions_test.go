package main

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/hub"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// ended is how long a test waits for a socket to close after its credential
// ended: far more than the second the server takes, far less than the
// periodic re-check (30 s), so that only the bus's control message can
// close it in time.
const ended = 5 * time.Second

// dialCookie opens /ws with c's session cookie itself, as a browser does.
func (c *client) dialCookie(t *testing.T) *socket {
	t.Helper()
	cookies := c.http.Jar.Cookies(mustURL(t, c.base))
	if len(cookies) == 0 {
		t.Fatal("no session cookie")
	}
	conn, code := dialWith(t, c.base, http.Header{"Cookie": {cookies[0].Name + "=" + cookies[0].Value}, "Origin": {c.base}})
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("dial /ws with the cookie: got %d, want 101", code)
	}
	conn.SetReadLimit(1 << 20)
	s := &socket{t: t, conn: conn, frames: make(chan frame, 4096), closed: make(chan struct{}),
		unread: map[int64]int{}, lastSeq: map[string]int64{}}
	go s.read()
	s.expect("hello", 10*time.Second)
	return s
}

// wantEnded fails unless the socket closes with 4001, "session ended".
func wantEnded(t *testing.T, what string, s *socket) {
	t.Helper()
	if got := s.closeStatus(ended); got != hub.StatusSessionEnded {
		t.Errorf("%s: closed with %d, want %d (session ended)", what, got, hub.StatusSessionEnded)
	}
	if reason := websocketReason(s.err); reason != "session ended" {
		t.Errorf("%s: close reason %q, want \"session ended\"", what, reason)
	}
}

func websocketReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

// Signing out closes every socket of that session — opened with the cookie
// or with a ticket it minted — and no other; after it, no thread event
// reaches them.
func TestSignOutClosesItsSockets(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		tm := newTeam(t, s)
		byTicket, byCookie := tm.ana.dial(t, nil), tm.ana.dialCookie(t)
		other := s.login(t, "ana@acme.test", "correct horse") // Ana in another browser
		kept := other.dial(t, nil)

		tm.ana.call("DELETE", "/api/session", nil, 204, nil)
		wantEnded(t, "the ticket's socket", byTicket)
		wantEnded(t, "the cookie's socket", byCookie)
		tm.reply(t, "Are you there?")
		kept.expect("message.created", 10*time.Second)
		other.call("GET", "/api/me", nil, 200, nil)
		tm.ana.call("GET", "/api/me", nil, 401, nil)
	})
}

// Sign-out on one instance closes the session's socket on another.
func TestSignOutClosesSocketsOnEveryInstance(t *testing.T) {
	redisURL := sharedRedis(t)
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1", "REDIS_URL": redisURL, "INBOX_REDIS_PREFIX": "test-" + newUUID()}
	s1, s2 := startServer(t, env), startServer(t, env)
	s1.bootstrap(t, "Acme", "admin@acme.test")
	on1 := s1.login(t, "admin@acme.test", "correct horse")
	on2 := *on1 // the same browser, talking to the other instance
	on2.base, on2.origin = s2.URL, s2.URL
	sock := on2.dial(t, nil)
	on1.call("DELETE", "/api/session", nil, 204, nil)
	wantEnded(t, "a socket on the other instance", sock)
}

// A password change ends every other session of the user, and their
// sockets; this one stays. Wrong current password, short new one: refused.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		tm := newTeam(t, s)
		here := tm.ana
		elsewhere := s.login(t, "ana@acme.test", "correct horse")
		hereSock, elsewhereSock := here.dial(t, nil), elsewhere.dial(t, nil)

		if code := here.call("POST", "/api/me/password", map[string]string{"current": "wrong horse", "new": "a brand new password"}, 403, nil); code != "wrong_password" {
			t.Errorf("wrong current password: got %q, want wrong_password", code)
		}
		if code := here.call("POST", "/api/me/password", map[string]string{"current": "correct horse", "new": "eleven char"}, 422, nil); code != "weak_password" {
			t.Errorf("an 11-character password: got %q, want weak_password", code)
		}
		here.call("POST", "/api/me/password", map[string]string{"current": "correct horse", "new": "a brand new password"}, 204, nil)
		wantEnded(t, "the other session's socket", elsewhereSock)
		elsewhere.call("GET", "/api/me", nil, 401, nil)
		here.call("GET", "/api/me", nil, 200, nil)
		tm.reply(t, "Still there?")
		hereSock.expect("message.created", 10*time.Second)
		s.client(t).call("POST", "/api/session", map[string]string{"email": "ana@acme.test", "password": "correct horse"}, 401, nil)
		s.login(t, "ana@acme.test", "a brand new password")
	})
}

// Deactivating a user ends their sessions, tokens and sockets at once; they
// cannot sign in until reactivated; an admin cannot deactivate themselves.
func TestDeactivateUser(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		tm := newTeam(t, s)
		var me struct{ ID int64 }
		tm.admin.call("GET", "/api/me", nil, 200, &me)
		sock := tm.ana.dial(t, nil)
		cookieSock := tm.ana.dialCookie(t)

		var u struct {
			ID     int64
			Active bool
			Name   string
			Role   string
		}
		tm.admin.call("PATCH", "/api/users/"+itoa(tm.anaID), map[string]any{"active": false}, 200, &u)
		if u.ID != tm.anaID || u.Active {
			t.Errorf("PATCH active=false answered %+v; want Ana, inactive", u)
		}
		wantEnded(t, "the deactivated user's ticket socket", sock)
		wantEnded(t, "the deactivated user's cookie socket", cookieSock)
		tm.ana.call("GET", "/api/me", nil, 401, nil)
		if code := s.client(t).call("POST", "/api/session", map[string]string{"email": "ana@acme.test", "password": "correct horse"}, 401, nil); code != "invalid_credentials" {
			t.Errorf("a deactivated user signs in: got %q, want invalid_credentials", code)
		}
		var users struct {
			Users []struct {
				ID     int64
				Active bool
			}
		}
		tm.admin.call("GET", "/api/users", nil, 200, &users)
		for _, x := range users.Users {
			if x.Active == (x.ID == tm.anaID) {
				t.Errorf("GET /api/users: user %d active=%v", x.ID, x.Active)
			}
		}
		if code := tm.admin.call("PATCH", "/api/users/"+itoa(me.ID), map[string]any{"active": false}, 409, nil); code != "cannot_deactivate_self" {
			t.Errorf("an admin deactivates themselves: got %q, want cannot_deactivate_self", code)
		}
		if code := tm.ben.call("PATCH", "/api/users/"+itoa(tm.anaID), map[string]any{"active": true}, 403, nil); code != "forbidden" {
			t.Errorf("a recruiter reactivates someone: got %q, want forbidden", code)
		}
		tm.admin.call("PATCH", "/api/users/"+itoa(tm.anaID), map[string]any{"active": true, "name": "Ana Ruiz"}, 200, &u)
		if !u.Active || u.Name != "Ana Ruiz" {
			t.Errorf("reactivated: %+v", u)
		}
		s.login(t, "ana@acme.test", "correct horse")
		tm.admin.call("PATCH", "/api/users/999999", map[string]any{"active": false}, 404, nil)
	})
}

// A role change reconnects the user's sockets (4002), so a demoted admin's
// socket stops getting what admins see.
func TestRoleChangeReconnects(t *testing.T) {
	s := startServer(t, nil)
	tm := newTeam(t, s)
	sock := tm.ana.dial(t, nil)
	tm.admin.call("PATCH", "/api/users/"+itoa(tm.anaID), map[string]any{"role": "admin"}, 200, nil)
	if got := sock.closeStatus(ended); got != hub.StatusAccountChanged {
		t.Errorf("after a role change: closed with %d, want %d", got, hub.StatusAccountChanged)
	}
	tm.ana.call("GET", "/api/users", nil, 200, nil) // the same session, an admin now
}

// API tokens: created with an expiry, listed without secrets, revoked —
// the next request is 401 and the sockets it opened close.
func TestAPITokenLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now())
		s := startServer(t, env, withClock(clk))
		tm := newTeam(t, s)
		var made struct {
			ID        int64
			Name      string
			Token     string
			ExpiresAt *time.Time `json:"expires_at"`
		}
		tm.admin.call("POST", "/api/tokens", map[string]any{"name": "ATS", "expires_in_days": 30}, 201, &made)
		if made.Token == "" || made.ExpiresAt == nil || made.ExpiresAt.Sub(clk.Now()) < 29*24*time.Hour {
			t.Fatalf("POST /api/tokens = %+v; want a token expiring in 30 days", made)
		}
		if code := tm.admin.call("POST", "/api/tokens", map[string]any{"name": "x", "expires_in_days": 0}, 422, nil); code != "invalid_expiry" {
			t.Errorf("expires_in_days 0: got %q, want invalid_expiry", code)
		}
		ats := s.client(t)
		ats.token = made.Token
		ats.call("GET", "/api/contacts", nil, 200, nil)
		sock := ats.dial(t, nil)

		var list struct {
			Tokens []struct {
				ID         int64
				Name       string
				LastUsedAt *time.Time `json:"last_used_at"`
				User       inbox.User
				Token      string
			}
		}
		tm.admin.call("GET", "/api/tokens", nil, 200, &list)
		if len(list.Tokens) != 1 || list.Tokens[0].ID != made.ID || list.Tokens[0].LastUsedAt == nil ||
			list.Tokens[0].User.Email != "admin@acme.test" || list.Tokens[0].Token != "" {
			t.Errorf("GET /api/tokens = %+v; want the ATS token, used, by the admin, without its secret", list.Tokens)
		}
		tm.ana.call("GET", "/api/tokens", nil, 403, nil)
		tm.ana.call("DELETE", "/api/tokens/"+itoa(made.ID), nil, 403, nil)

		tm.admin.call("DELETE", "/api/tokens/"+itoa(made.ID), nil, 204, nil)
		wantEnded(t, "the revoked token's socket", sock)
		ats.call("GET", "/api/contacts", nil, 401, nil)
		tm.admin.call("DELETE", "/api/tokens/"+itoa(made.ID), nil, 404, nil)

		// An expired token is refused.
		tm.admin.call("POST", "/api/tokens", map[string]any{"name": "short", "expires_in_days": 1}, 201, &made)
		ats.token = made.Token
		ats.call("GET", "/api/contacts", nil, 200, nil)
		clk.Advance(24*time.Hour + time.Minute)
		ats.call("GET", "/api/contacts", nil, 401, nil)
	})
}

// A session ends after INBOX_SESSION_IDLE without a request, and its open
// sockets with it: an open socket is not activity.
func TestIdleSessionEnds(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now())
		env["INBOX_SESSION_IDLE"] = "1h"
		s := startServer(t, env, withClock(clk), withSocketRecheck(100*time.Millisecond))
		s.bootstrap(t, "Acme", "admin@acme.test")
		busy := s.login(t, "admin@acme.test", "correct horse")
		idle := s.login(t, "admin@acme.test", "correct horse")
		sock := idle.dial(t, nil)
		for range 3 {
			clk.Advance(40 * time.Minute)
			busy.call("GET", "/api/me", nil, 200, nil) // renews
		}
		wantEnded(t, "an idle session's socket", sock)
		idle.call("GET", "/api/me", nil, 401, nil)
		busy.call("GET", "/api/me", nil, 200, nil)
	})
}
