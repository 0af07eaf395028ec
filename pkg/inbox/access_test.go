package inbox_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// A session ends SessionIdle after its last request, and SessionTTL after
// sign-in however busy; its idle deadline is written at most once per
// renewal step, not at every request.
func TestSessionIdleAndMax(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFrozen(start)
	f := newFixture(t, nil, inbox.Config{SessionIdle: 20 * time.Minute, SessionTTL: time.Hour, Clock: clk})
	_, token, end, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil || end.Before(start.Add(time.Hour)) || end.After(start.Add(time.Hour+time.Second)) {
		t.Fatalf("Login: ends %s, %v; want an hour after sign-in (the cookie's life)", end, err)
	}
	use := func(what string, want bool) {
		t.Helper()
		_, err := f.svc.Session(f.ctx, token)
		if want && err != nil {
			t.Fatalf("%s (%s in): %v; want the session", what, clk.Now().Sub(start), err)
		}
		if !want {
			wantError(t, what, err, inbox.KindUnauthenticated, "unauthenticated")
		}
	}
	// A request 30 s in is within the renewal step (a minute): nothing is
	// written, so the session still ends 20 minutes after sign-in.
	clk.Set(start.Add(30 * time.Second))
	use("30 s in", true)
	clk.Set(start.Add(20*time.Minute - time.Second))
	use("just before the first idle deadline", true) // renews to 39:59
	clk.Set(start.Add(39 * time.Minute))
	use("19 minutes after the last request", true) // renews to 59:00... capped at 60:00
	clk.Set(start.Add(55 * time.Minute))
	use("16 minutes after the last request", true)
	clk.Set(start.Add(time.Hour + time.Second))
	use("an hour after sign-in, however busy", false)

	// Idle: 20 minutes without a request end it.
	clk.Set(start.Add(2 * time.Hour))
	_, token, _, err = f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(20*time.Minute + time.Second)
	use("20 minutes idle", false)
}

// An ended session's tickets open nothing, and neither do a revoked token's
// or a deactivated user's.
func TestTicketsEndWithTheirCredential(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	_, token, _, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.svc.Session(f.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	ticket, _ := f.svc.CreateTicket(f.ctx, sess)
	kept, _ := f.svc.CreateTicket(f.ctx, sess)
	if a, err := f.svc.RedeemTicket(f.ctx, kept); err != nil || a.Session != sess.Session || a.User.ID != f.ana.ID {
		t.Errorf("RedeemTicket = %+v, %v; want Ana with the session that minted it", a, err)
	}
	if err := f.svc.Logout(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RedeemTicket(f.ctx, ticket)
	wantError(t, "a ticket of an ended session", err, inbox.KindUnauthenticated, "unauthenticated")
	if got := f.bus.authChanges(); len(got) != 1 || got[0] != (inbox.AuthChange{Kind: inbox.AuthSessionEnded, UserID: f.ana.ID, Session: sess.SessionRef()}) {
		t.Errorf("logout announced %+v; want the session's end", got)
	}

	tok, secret, err := f.svc.CreateToken(f.ctx, f.admin, "ats", 0)
	if err != nil {
		t.Fatal(err)
	}
	ta, err := f.svc.TokenAuth(f.ctx, secret)
	if err != nil || ta.TokenID != tok.ID {
		t.Fatalf("TokenAuth = %+v, %v; want the token", ta, err)
	}
	ticket, _ = f.svc.CreateTicket(f.ctx, ta)
	if err := f.svc.RevokeToken(f.ctx, f.admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RedeemTicket(f.ctx, ticket)
	wantError(t, "a ticket of a revoked token", err, inbox.KindUnauthenticated, "unauthenticated")
}

// API tokens: expiry, listing without secrets, last use, revocation.
func TestAPITokenLife(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFrozen(start)
	f := newFixture(t, nil, inbox.Config{Clock: clk})
	for _, days := range []int{-1, inbox.MaxTokenDays + 1} {
		_, _, err := f.svc.CreateToken(f.ctx, f.admin, "ats", days)
		wantError(t, "a token for "+strconv.Itoa(days)+" days", err, inbox.KindInvalid, "invalid_expiry")
	}
	near := func(got *time.Time, want time.Time) bool {
		return got != nil && !got.Before(want) && got.Sub(want) < time.Second
	}
	short, shortSecret, err := f.svc.CreateToken(f.ctx, f.admin, "short", 2)
	if err != nil || !near(short.ExpiresAt, start.AddDate(0, 0, 2)) {
		t.Fatalf("CreateToken(2 days) = %+v, %v; want it to expire in 2 days", short, err)
	}
	long, longSecret, err := f.svc.CreateToken(f.ctx, f.admin, "long", 0)
	if err != nil || !near(long.ExpiresAt, start.AddDate(0, 0, inbox.DefaultTokenDays)) {
		t.Fatalf("CreateToken(default) = %+v, %v; want a year", long, err)
	}
	clk.Set(start.Add(time.Hour))
	if _, err := f.svc.TokenAuth(f.ctx, shortSecret); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Tokens(f.ctx, f.ana)
	wantError(t, "a recruiter lists tokens", err, inbox.KindForbidden, "forbidden")
	tokens, err := f.svc.Tokens(f.ctx, f.admin)
	if err != nil || len(tokens) != 2 || tokens[0].Name != "short" || tokens[0].User.ID != f.admin.ID ||
		!near(tokens[0].LastUsedAt, start.Add(time.Hour)) || tokens[1].LastUsedAt != nil {
		t.Fatalf("Tokens = %+v, %v; want short (used an hour in) and long (never used), by the admin", tokens, err)
	}

	clk.Advance(2 * 24 * time.Hour)
	_, err = f.svc.TokenAuth(f.ctx, shortSecret)
	wantError(t, "an expired token", err, inbox.KindUnauthenticated, "unauthenticated")
	if _, err := f.svc.TokenAuth(f.ctx, longSecret); err != nil {
		t.Errorf("the year-long token after 2 days: %v", err)
	}

	err = f.svc.RevokeToken(f.ctx, f.ana, long.ID)
	wantError(t, "a recruiter revokes a token", err, inbox.KindForbidden, "forbidden")
	f.bus.authChanges()
	if err := f.svc.RevokeToken(f.ctx, f.admin, long.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.TokenAuth(f.ctx, longSecret)
	wantError(t, "a revoked token", err, inbox.KindUnauthenticated, "unauthenticated")
	err = f.svc.RevokeToken(f.ctx, f.admin, long.ID)
	wantError(t, "revoked twice", err, inbox.KindNotFound, "not_found")
	if got := f.bus.authChanges(); len(got) != 1 || got[0] != (inbox.AuthChange{Kind: inbox.AuthTokenEnded, UserID: f.admin.ID, TokenID: long.ID}) {
		t.Errorf("revocation announced %+v; want the token's end", got)
	}

	other, err := f.svc.Bootstrap(f.ctx, "Other Co", inbox.NewUser{Email: "boss@other.test", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.svc.RevokeToken(f.ctx, other, short.ID)
	wantError(t, "another company's admin revokes a token", err, inbox.KindNotFound, "not_found")
}

// Deactivating a user ends their sessions, tokens and tickets; they cannot
// sign in until reactivated. An admin cannot deactivate themselves, and the
// company keeps an active admin.
func TestDeactivate(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	off, on := ptr(false), ptr(true)
	_, session, _, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := f.svc.Session(f.ctx, session)
	ticket, _ := f.svc.CreateTicket(f.ctx, sess)
	anaAdmin, err := f.svc.UpdateUser(f.ctx, f.admin, f.ana.ID, inbox.UserPatch{Role: ptr(inbox.RoleAdmin)})
	if err != nil || !anaAdmin.IsAdmin() || !anaAdmin.Active {
		t.Fatalf("promote Ana = %+v, %v", anaAdmin, err)
	}
	if got := f.bus.authChanges(); len(got) != 1 || got[0].Kind != inbox.AuthUserChanged || got[0].UserID != f.ana.ID {
		t.Errorf("a role change announced %+v; want user_changed for Ana", got)
	}
	_, anaToken, err := f.svc.CreateToken(f.ctx, anaAdmin.User, "hers", 0)
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.UpdateUser(f.ctx, anaAdmin.User, f.ben.ID, inbox.UserPatch{Active: off})
	if err != nil {
		t.Fatalf("Ana, now an admin, deactivates Ben: %v", err)
	}
	_, err = f.svc.UpdateUser(f.ctx, f.admin, f.admin.ID, inbox.UserPatch{Active: off})
	wantError(t, "an admin deactivates themselves", err, inbox.KindConflict, "cannot_deactivate_self")
	_, err = f.svc.UpdateUser(f.ctx, f.ben, f.ana.ID, inbox.UserPatch{Active: off})
	wantError(t, "a recruiter deactivates someone", err, inbox.KindForbidden, "forbidden")
	_, err = f.svc.UpdateUser(f.ctx, f.admin, 99999, inbox.UserPatch{Active: off})
	wantError(t, "an unknown user", err, inbox.KindNotFound, "not_found")
	_, err = f.svc.UpdateUser(f.ctx, f.admin, f.ana.ID, inbox.UserPatch{Name: ptr("  ")})
	wantError(t, "an empty name", err, inbox.KindInvalid, "invalid_name")
	_, err = f.svc.UpdateUser(f.ctx, f.admin, f.ana.ID, inbox.UserPatch{Role: ptr(inbox.Role("owner"))})
	wantError(t, "an unknown role", err, inbox.KindInvalid, "invalid_role")

	f.bus.authChanges()
	a, err := f.svc.UpdateUser(f.ctx, f.admin, f.ana.ID, inbox.UserPatch{Active: off, Name: ptr(" Ana R. ")})
	if err != nil || a.Active || a.Name != "Ana R." {
		t.Fatalf("deactivate Ana = %+v, %v; want inactive, renamed", a, err)
	}
	if got := f.bus.authChanges(); len(got) != 1 || got[0] != (inbox.AuthChange{Kind: inbox.AuthUserEnded, UserID: f.ana.ID}) {
		t.Errorf("a deactivation announced %+v; want user_ended for Ana", got)
	}
	_, err = f.svc.Session(f.ctx, session)
	wantError(t, "a deactivated user's session", err, inbox.KindUnauthenticated, "unauthenticated")
	_, err = f.svc.TokenAuth(f.ctx, anaToken)
	wantError(t, "a deactivated user's token", err, inbox.KindUnauthenticated, "unauthenticated")
	_, err = f.svc.RedeemTicket(f.ctx, ticket)
	wantError(t, "a deactivated user's ticket", err, inbox.KindUnauthenticated, "unauthenticated")
	_, _, _, err = f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	wantError(t, "a deactivated user signs in", err, inbox.KindUnauthenticated, "invalid_credentials")
	accounts, _ := f.svc.Accounts(f.ctx, f.admin)
	if i := slices.IndexFunc(accounts, func(a inbox.Account) bool { return a.ID == f.ana.ID }); i < 0 || accounts[i].Active {
		t.Errorf("Accounts = %+v; want Ana listed inactive", accounts)
	}

	// The last active admin stays one.
	_, err = f.svc.UpdateUser(f.ctx, f.admin, f.admin.ID, inbox.UserPatch{Role: ptr(inbox.RoleRecruiter)})
	wantError(t, "the last admin demotes themselves", err, inbox.KindConflict, "last_admin")

	if _, err := f.svc.UpdateUser(f.ctx, f.admin, f.ana.ID, inbox.UserPatch{Active: on}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse"); err != nil {
		t.Errorf("a reactivated user signs in: %v", err)
	}
	_, err = f.svc.TokenAuth(f.ctx, anaToken)
	wantError(t, "a reactivated user's old token", err, inbox.KindUnauthenticated, "unauthenticated")
}

// Changing the password takes the current one, a new one of 12 characters
// at least, and ends every other session of the user.
func TestChangePassword(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	login := func() inbox.Auth {
		t.Helper()
		_, token, _, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.Session(f.ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	here, elsewhere := login(), login()
	err := f.svc.ChangePassword(f.ctx, here, "wrong horse", "a much longer password")
	if err != inbox.ErrWrongPassword {
		t.Errorf("a wrong current password: %v; want wrong_password", err)
	}
	err = f.svc.ChangePassword(f.ctx, here, "correct horse", "short pw 11")
	wantError(t, "11 characters", err, inbox.KindInvalid, "weak_password")
	err = f.svc.ChangePassword(f.ctx, here, "correct horse", strings.Repeat("p", 73))
	wantError(t, "73 bytes", err, inbox.KindInvalid, "invalid_password")
	f.bus.authChanges()
	if err := f.svc.ChangePassword(f.ctx, here, "correct horse", "twelve chars"); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if got := f.bus.authChanges(); len(got) != 1 || got[0] != (inbox.AuthChange{Kind: inbox.AuthOtherSessionsEnded, UserID: f.ana.ID, Session: here.SessionRef()}) {
		t.Errorf("the change announced %+v; want the other sessions' end", got)
	}
	live, err := f.svc.LiveAuths(f.ctx, []inbox.Auth{here, elsewhere, {User: f.ana}})
	if err != nil || !slices.Equal(live, []bool{true, false, true}) {
		t.Errorf("LiveAuths(this session, the other, the user) = %v, %v; want true, false, true", live, err)
	}
	_, _, _, err = f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	wantError(t, "the old password", err, inbox.KindUnauthenticated, "invalid_credentials")
	if _, _, _, err := f.svc.Login(f.ctx, "ana@acme.test", "twelve chars"); err != nil {
		t.Errorf("the new password: %v", err)
	}
}

// AuthChange.Affects: which sockets each control message closes.
func TestAuthChangeAffects(t *testing.T) {
	s1 := inbox.Auth{User: inbox.User{ID: 1}, Session: "s1"}
	s2 := inbox.Auth{User: inbox.User{ID: 1}, Session: "s2"}
	tok := inbox.Auth{User: inbox.User{ID: 1}, TokenID: 7}
	other := inbox.Auth{User: inbox.User{ID: 2}, Session: "s1"}
	for _, tt := range []struct {
		c    inbox.AuthChange
		want []bool // s1, s2, tok, other
	}{
		{inbox.AuthChange{Kind: inbox.AuthSessionEnded, UserID: 1, Session: inbox.SessionRef("s1")}, []bool{true, false, false, false}},
		{inbox.AuthChange{Kind: inbox.AuthTokenEnded, UserID: 1, TokenID: 7}, []bool{false, false, true, false}},
		{inbox.AuthChange{Kind: inbox.AuthOtherSessionsEnded, UserID: 1, Session: inbox.SessionRef("s1")}, []bool{false, true, false, false}},
		{inbox.AuthChange{Kind: inbox.AuthUserEnded, UserID: 1}, []bool{true, true, true, false}},
		{inbox.AuthChange{Kind: inbox.AuthUserChanged, UserID: 1}, []bool{true, true, true, false}},
		{inbox.AuthChange{Kind: "unknown", UserID: 1}, []bool{false, false, false, false}},
		{inbox.AuthChange{Kind: inbox.AuthSessionEnded, UserID: 1}, []bool{false, false, false, false}},
	} {
		var got []bool
		for _, a := range []inbox.Auth{s1, s2, tok, other} {
			got = append(got, tt.c.Affects(a))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v affects %v, want %v", tt.c, got, tt.want)
		}
		e, err := tt.c.Event()
		if back, ok := inbox.ParseAuthChange(e); err != nil || !ok || back != tt.c {
			t.Errorf("%+v through the bus: %+v, %v, %v", tt.c, back, ok, err)
		}
	}
	if inbox.SessionRef("s1") == "s1" || len(inbox.SessionRef("s1")) != 32 || inbox.SessionRef("") != "" {
		t.Errorf("SessionRef(s1) = %q; want a digest, never the key", inbox.SessionRef("s1"))
	}
}

// A session whose deadline lies beyond the idle window — made before idle
// timeouts existed, or before INBOX_SESSION_IDLE was shortened — gets the
// window at its next request.
func TestSessionDeadlineShortened(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFrozen(start)
	long := newFixture(t, nil, inbox.Config{SessionIdle: 12 * time.Hour, Clock: clk})
	_, token, _, err := long.svc.Login(long.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	short := inbox.New(long.db, long.bus, nil, inbox.Config{SessionIdle: time.Hour, Clock: clk, PasswordCost: 4}, nil)
	if _, err := short.Session(long.ctx, token); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour + time.Second)
	_, err = short.Session(long.ctx, token)
	wantError(t, "an hour idle under the shorter window", err, inbox.KindUnauthenticated, "unauthenticated")
}
