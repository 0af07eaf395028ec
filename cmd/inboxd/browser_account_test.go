package main

// Browser tests of what keeps the UI safe to use: changing a password signs
// out the user's other tabs, a deactivated user's open tab is sent to the
// sign-in page, and admins manage API tokens. Elements are found by the
// hooks static/README.md lists.

import (
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

func TestBrowserAccount(t *testing.T) {
	browser(t) // skips (or fails under CI) before starting a server for nothing
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1"})
	sc := newScene(t, srv)
	var users struct{ Users []inbox.User }
	srv.login(t, "admin@demo.test", demoPassword).call("GET", "/api/users", nil, 200, &users)
	userID := func(email string) string {
		for _, u := range users.Users {
			if u.Email == email {
				return itoa(u.ID)
			}
		}
		t.Fatalf("no demo user %s", email)
		return ""
	}

	// A user changes their password on the account page: wrong current
	// password, refused; then changed, and their other tab is sent to the
	// sign-in page, which says why; the new password signs in there.
	t.Run("PasswordChange", func(t *testing.T) {
		sc.watch(t)
		here := sc.login(t, "ana-here", "ana@demo.test")
		there := sc.login(t, "ana-there", "ana@demo.test")
		here.click(t, tid("nav-account"))
		here.waitEq(t, "the account page", `document.querySelector('main').dataset.page`, "account")
		const next = "a much longer passphrase"
		here.fill(t, tid("password-current"), "not my password")
		here.fill(t, tid("password-new"), next)
		here.fill(t, tid("password-confirm"), next)
		here.click(t, tid("password-save"))
		here.waitVisible(t, tid("password-error"))
		here.waitContains(t, tid("password-error"), "current password is not right")

		here.fill(t, tid("password-current"), demoPassword)
		here.fill(t, tid("password-new"), next)
		here.fill(t, tid("password-confirm"), next)
		here.click(t, tid("password-save"))
		here.waitContains(t, tid("password-status"), "Password changed")

		there.waitEq(t, "the other tab's page", `location.pathname`, "/login")
		there.waitVisible(t, tid("login-notice"))
		// The tab where the change was made stays signed in, and live.
		here.waitAttr(t, tid("live-status"), "data-state", "open")
		if got := here.eval(t, `location.pathname`); got != "/account" {
			t.Errorf("the changing tab: at %s, want still /account", got)
		}
		there.typeInto(t, tid("login-email"), "ana@demo.test")
		there.typeInto(t, tid("login-password"), next)
		there.click(t, tid("login-submit"))
		there.waitEq(t, "signed in with the new password", `document.querySelector('main').dataset.page`, "candidates")
	})

	// An admin deactivates Ben on the users page: Ben's open tab is sent to
	// the sign-in page at once, with the notice, and his password no longer
	// signs in; reactivated, it does again.
	t.Run("DeactivatedUsersTabGoesToLogin", func(t *testing.T) {
		sc.watch(t)
		ben := sc.login(t, "ben", "ben@demo.test")
		admin := sc.login(t, "admin", "admin@demo.test")
		admin.visit(t, "/admin/users")
		row := tid("user-row") + `[data-user-id="` + userID("ben@demo.test") + `"]`
		admin.waitText(t, row+" "+tid("user-status"), "Active")
		admin.click(t, row+" "+tid("user-toggle-active"))
		admin.waitAttr(t, row, "data-active", "false")
		admin.waitText(t, row+" "+tid("user-status"), "Deactivated")
		if n := admin.eval(t, `document.querySelectorAll('`+tid("user-row")+`[data-user-id="`+userID("admin@demo.test")+`"] `+tid("user-toggle-active")+`').length`); n != "0" {
			t.Errorf("the admin's own row offers to deactivate them (%s buttons)", n)
		}

		ben.waitEq(t, "Ben's tab after the deactivation", `location.pathname`, "/login")
		ben.waitVisible(t, tid("login-notice"))
		ben.typeInto(t, tid("login-email"), "ben@demo.test")
		ben.typeInto(t, tid("login-password"), demoPassword)
		ben.click(t, tid("login-submit"))
		ben.waitVisible(t, tid("login-error"))
		ben.waitContains(t, tid("login-error"), "Wrong email or password")

		admin.click(t, row+" "+tid("user-toggle-active"))
		admin.waitAttr(t, row, "data-active", "true")
		ben.fill(t, tid("login-password"), demoPassword)
		ben.click(t, tid("login-submit"))
		ben.waitEq(t, "Ben signs in again", `location.pathname`, "/")
	})

	// An admin makes an API token, sees its secret once, and revokes it.
	t.Run("APITokens", func(t *testing.T) {
		sc.watch(t)
		admin := sc.login(t, "admin", "admin@demo.test")
		admin.click(t, tid("nav-tokens"))
		admin.waitEq(t, "the tokens page", `document.querySelector('main').dataset.page`, "tokens")
		admin.waitVisible(t, tid("token-create"))
		admin.fill(t, tid("token-name"), "ATS sync")
		admin.fill(t, tid("token-expiry"), "30")
		admin.click(t, tid("token-create"))
		admin.waitVisible(t, tid("token-shown"))
		secret := admin.eval(t, `document.querySelector('`+tid("token-secret")+`').value`)
		if !strings.HasPrefix(secret, "sit_") {
			t.Fatalf("the shown token: %q, want sit_…", secret)
		}
		ats := srv.client(t)
		ats.token = secret
		ats.call("GET", "/api/contacts", nil, 200, nil)
		admin.waitCount(t, tid("token-row"), 1)
		admin.waitContains(t, tid("token-row"), "ATS sync")

		admin.visit(t, "/admin/tokens") // afresh: the secret is gone for good
		admin.waitCount(t, tid("token-row"), 1)
		if v := admin.eval(t, `document.querySelector('`+tid("token-secret")+`')?.value ?? ''`); v != "" {
			t.Errorf("the token's secret after a reload: %q, want it shown only once", v)
		}
		admin.click(t, tid("token-revoke"))
		admin.waitCount(t, tid("token-row"), 0)
		ats.call("GET", "/api/contacts", nil, 401, nil)
	})
}
