package inbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// TestLoginAndSessions: a wrong password and an unknown email get the same
// answer; a session lasts SessionTTL and ends at logout.
func TestLoginAndSessions(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	f := newFixture(t, nil, inbox.Config{SessionTTL: time.Hour, Clock: clk})

	for _, tt := range []struct{ name, email, password string }{
		{"wrong password", "ana@acme.test", "wrong horse"},
		{"unknown email", "nobody@acme.test", "correct horse"},
		{"no password", "ana@acme.test", ""},
	} {
		_, token, _, err := f.svc.Login(f.ctx, tt.email, tt.password)
		wantError(t, tt.name, err, inbox.KindUnauthenticated, "invalid_credentials")
		if token != "" {
			t.Errorf("%s: a token came with the error", tt.name)
		}
	}
	before := clk.Now()
	u, token, expires, err := f.svc.Login(f.ctx, "  ANA@acme.test ", "correct horse")
	if err != nil || u.ID != f.ana.ID || token == "" || expires.Before(before.Add(time.Hour)) || expires.After(clk.Now().Add(time.Hour)) {
		t.Fatalf("Login = %+v, %q, %s, %v; want Ana, a token, expiring an hour after %s", u, token, expires, err, before)
	}
	if got, err := f.svc.SessionUser(f.ctx, token); err != nil || got.ID != f.ana.ID {
		t.Errorf("SessionUser = %+v, %v; want Ana", got, err)
	}
	for _, bad := range []string{"", "not-a-token", token + "x", strings.ToUpper(token)} {
		_, err := f.svc.SessionUser(f.ctx, bad)
		wantError(t, "SessionUser("+bad+")", err, inbox.KindUnauthenticated, "unauthenticated")
	}
	clk.Set(expires.Add(-time.Second))
	if _, err := f.svc.SessionUser(f.ctx, token); err != nil {
		t.Errorf("a second before it expires: %v; want the session", err)
	}
	clk.Set(expires)
	_, err = f.svc.SessionUser(f.ctx, token)
	wantError(t, "at its expiry", err, inbox.KindUnauthenticated, "unauthenticated")

	_, token, _, err = f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.SessionUser(f.ctx, token)
	wantError(t, "after logout", err, inbox.KindUnauthenticated, "unauthenticated")
	if err := f.svc.Logout(f.ctx, token); err != nil {
		t.Errorf("logging out twice: %v; want nil", err)
	}
}

// TestAPITokens: only an admin issues them; they act as that admin; they are
// told apart from session tokens by their prefix.
func TestAPITokens(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	_, _, err := f.svc.CreateToken(f.ctx, f.ana, "ats", 0)
	wantError(t, "a recruiter creates a token", err, inbox.KindForbidden, "forbidden")
	for _, name := range []string{"", "  ", strings.Repeat("n", 101)} {
		_, _, err := f.svc.CreateToken(f.ctx, f.admin, name, 0)
		wantError(t, "token named "+name, err, inbox.KindInvalid, "invalid_name")
	}
	_, token, err := f.svc.CreateToken(f.ctx, f.admin, "ats", 0)
	if err != nil || !strings.HasPrefix(token, "sit_") {
		t.Fatalf("CreateToken = %q, %v; want a sit_ token", token, err)
	}
	if u, err := f.svc.TokenUser(f.ctx, token); err != nil || u.ID != f.admin.ID || !u.IsAdmin() {
		t.Errorf("TokenUser = %+v, %v; want the admin", u, err)
	}
	_, session, _, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"without its prefix": strings.TrimPrefix(token, "sit_"),
		"changed":            token + "x",
		"a session token":    session,
		"a prefixed session": "sit_" + session,
	} {
		_, err := f.svc.TokenUser(f.ctx, bad)
		wantError(t, "TokenUser of "+name, err, inbox.KindUnauthenticated, "unauthenticated")
	}
	if _, err := f.svc.SessionUser(f.ctx, token); inbox.ErrorKind(err) != inbox.KindUnauthenticated {
		t.Errorf("an API token as a session: %v; want unauthenticated", err)
	}
}

// TestTickets: a websocket ticket opens one socket, once, within its life.
func TestTickets(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	f := newFixture(t, nil, inbox.Config{TicketTTL: 30 * time.Second, Clock: clk})
	ticket, err := f.svc.CreateTicket(f.ctx, inbox.Auth{User: f.ana})
	if err != nil || ticket == "" {
		t.Fatalf("CreateTicket = %q, %v", ticket, err)
	}
	clk.Advance(29 * time.Second)
	if a, err := f.svc.RedeemTicket(f.ctx, ticket); err != nil || a.User.ID != f.ana.ID || a.User.Email != "ana@acme.test" {
		t.Errorf("RedeemTicket within its life = %+v, %v; want Ana", a, err)
	}
	_, err = f.svc.RedeemTicket(f.ctx, ticket)
	wantError(t, "a ticket used twice", err, inbox.KindUnauthenticated, "unauthenticated")

	stale, err := f.svc.CreateTicket(f.ctx, inbox.Auth{User: f.ana})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	_, err = f.svc.RedeemTicket(f.ctx, stale)
	wantError(t, "a ticket at the end of its life", err, inbox.KindUnauthenticated, "unauthenticated")
	_, err = f.svc.RedeemTicket(f.ctx, "made-up")
	wantError(t, "a made-up ticket", err, inbox.KindUnauthenticated, "unauthenticated")
}

// TestPasswordPolicy: 8 to 72 bytes (bcrypt reads no further).
func TestPasswordPolicy(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	for _, tt := range []struct {
		password string
		ok       bool
	}{
		{strings.Repeat("p", 7), false},
		{strings.Repeat("p", 8), true},
		{strings.Repeat("p", 72), true},
		{strings.Repeat("p", 73), false},
		{strings.Repeat("ж", 36), true},  // 72 bytes
		{strings.Repeat("ж", 37), false}, // 74 bytes
	} {
		_, err := f.svc.HashPassword(tt.password)
		if tt.ok && err != nil {
			t.Errorf("HashPassword(%d bytes) = %v; want a hash", len(tt.password), err)
		}
		if !tt.ok {
			wantError(t, fmt.Sprintf("HashPassword(%d bytes)", len(tt.password)), err, inbox.KindInvalid, "invalid_password")
		}
	}
	_, err := f.svc.CreateUser(f.ctx, f.admin, inbox.NewUser{Email: "cat@acme.test", Name: "Cat", Role: inbox.RoleRecruiter, Password: "short"})
	wantError(t, "CreateUser with a short password", err, inbox.KindInvalid, "invalid_password")
	_, err = f.svc.CreateUser(f.ctx, f.ana, inbox.NewUser{Email: "cat@acme.test", Name: "Cat", Role: inbox.RoleRecruiter, Password: "correct horse"})
	wantError(t, "a recruiter creates a user", err, inbox.KindForbidden, "forbidden")
	_, err = f.svc.CreateUser(f.ctx, f.admin, inbox.NewUser{Email: "ANA@acme.test", Name: "Ana again", Role: inbox.RoleRecruiter, Password: "correct horse"})
	wantError(t, "a second user with Ana's email", err, inbox.KindConflict, "email_taken")
}
