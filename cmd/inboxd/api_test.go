package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
)

func TestHealthReadyMetrics(t *testing.T) {
	s := startServer(t, nil)
	c := s.client(t)
	var ready map[string]any
	c.call("GET", "/healthz", nil, 200, nil)
	c.call("GET", "/readyz", nil, 200, &ready)
	if ready["store"] != "ok" || ready["bus"] != "ok" {
		t.Errorf("readyz = %v, want store and bus ok", ready)
	}
	code, body := c.raw("GET", "/metrics", nil, nil)
	for _, m := range []string{"smsinbox_http_requests_total", "smsinbox_outbox_queue_depth 0", "go_goroutines"} {
		if code != 200 || !strings.Contains(string(body), m) {
			t.Errorf("/metrics: got %d, want 200 with %s", code, m)
		}
	}
	if got := c.call("GET", "/api/nope", nil, 404, nil); got != "not_found" {
		t.Errorf("unknown API route: got code %q, want not_found", got)
	}
}

func TestAuthentication(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	anon := s.client(t)

	if code := anon.call("POST", "/api/session", map[string]string{"email": "admin@acme.test", "password": "wrong password"}, 401, nil); code != "invalid_credentials" {
		t.Errorf("wrong password: got %q, want invalid_credentials", code)
	}
	if code := anon.call("POST", "/api/session", map[string]string{"email": "nobody@acme.test", "password": "correct horse"}, 401, nil); code != "invalid_credentials" {
		t.Errorf("unknown email: got %q, want invalid_credentials", code)
	}
	for _, path := range []string{"/api/me", "/api/inbox", "/api/contacts", "/api/users"} {
		if code := anon.call("GET", path, nil, 401, nil); code != "unauthenticated" {
			t.Errorf("GET %s without a session: got %q, want unauthenticated", path, code)
		}
	}
	forged := s.client(t)
	forged.http.Jar.SetCookies(mustURL(t, s.URL), []*http.Cookie{{Name: "smsinbox_session", Value: "made-up"}})
	forged.call("GET", "/api/me", nil, 401, nil)
	bad := s.client(t)
	bad.token = "sit_not-a-real-token"
	bad.call("GET", "/api/me", nil, 401, nil)

	var me struct {
		inbox.User
		Numbers []inbox.Number `json:"numbers"`
	}
	admin.call("GET", "/api/me", nil, 200, &me)
	if me.Email != "admin@acme.test" || me.Role != inbox.RoleAdmin || me.Numbers == nil {
		t.Errorf("GET /api/me = %+v; want the admin with a numbers list", me)
	}

	// An expired session is refused like an unknown one.
	db, err := store.OpenSQLite(context.Background(), filepath.Join(s.cfg.DataDir, "smsinbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := sha256.Sum256([]byte("an-expired-session"))
	_, err = db.Tx(context.Background(), func(tx inbox.Tx) error {
		return tx.CreateSession(context.Background(), hex.EncodeToString(sum[:]), me.ID, time.Now().Add(-time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	expired := s.client(t)
	expired.http.Jar.SetCookies(mustURL(t, s.URL), []*http.Cookie{{Name: "smsinbox_session", Value: "an-expired-session"}})
	expired.call("GET", "/api/me", nil, 401, nil)

	// Signing out ends the session.
	admin.call("DELETE", "/api/session", nil, 204, nil)
	admin.call("GET", "/api/me", nil, 401, nil)
}

func TestSessionCookieAndCSRF(t *testing.T) {
	s := startServer(t, nil)
	s.bootstrap(t, "Acme", "admin@acme.test")
	c := s.client(t)
	req, _ := http.NewRequest("POST", s.URL+"/api/session", strings.NewReader(`{"email":"admin@acme.test","password":"correct horse"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := specClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "smsinbox_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, not Secure over http", cookie)
	}
	c.http.Jar.SetCookies(mustURL(t, s.URL), []*http.Cookie{cookie})

	// A cookie-authenticated write from another site is refused...
	c.origin = "https://evil.example"
	if code := c.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "x"}, 403, nil); code != "bad_origin" {
		t.Errorf("cross-site write: got %q, want bad_origin", code)
	}
	// ...and so is signing in from another site.
	if code := c.call("POST", "/api/session", map[string]string{"email": "admin@acme.test", "password": "correct horse"}, 403, nil); code != "bad_origin" {
		t.Errorf("cross-site sign-in: got %q, want bad_origin", code)
	}
	// The same write from the app itself works.
	c.origin = s.URL
	c.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "x"}, 201, nil)

	// A Bearer token is not a browser credential: no Origin needed.
	var tok struct{ Token string }
	c.call("POST", "/api/tokens", map[string]string{"name": "ATS"}, 201, &tok)
	ats := s.client(t)
	ats.token, ats.origin = tok.Token, ""
	if !strings.HasPrefix(tok.Token, "sit_") {
		t.Errorf("token %q; want the sit_ prefix", tok.Token)
	}
	ats.call("GET", "/api/users", nil, 200, nil)
	ats.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550190", "sms_opt_in": true}, 201, nil)

	// Secure cookies when the public URL is https.
	https := startServer(t, map[string]string{"INBOX_PUBLIC_URL": "https://inbox.example.com", "INBOX_ALLOWED_ORIGINS": s.URL})
	https.bootstrap(t, "Acme", "admin@acme.test")
	req, _ = http.NewRequest("POST", https.URL+"/api/session", strings.NewReader(`{"email":"admin@acme.test","password":"correct horse"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = specClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) == 0 || !resp.Cookies()[0].Secure {
		t.Errorf("cookie behind an https public URL = %+v; want Secure", resp.Cookies())
	}
}

func TestRecruiterCannotUseAdminRoutes(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
	rec, _ := s.createUser(t, admin, "ana@acme.test", "recruiter")
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/users", map[string]string{"email": "x@acme.test", "name": "x", "role": "admin", "password": "12345678"}},
		{"GET", "/api/users", nil},
		{"POST", "/api/numbers", map[string]string{"e164": "+14155550111", "label": "x"}},
		{"PUT", "/api/numbers/" + itoa(n.ID) + "/assignees", map[string]any{"user_ids": []int64{}}},
		{"PUT", "/api/company", map[string]any{"sms_enabled": false}},
		{"POST", "/api/tokens", map[string]string{"name": "x"}},
	} {
		if code := rec.call(r.method, r.path, r.body, 403, nil); code != "forbidden" {
			t.Errorf("recruiter %s %s: got %q, want forbidden", r.method, r.path, code)
		}
	}
	var numbers struct{ Numbers []inbox.Number }
	rec.call("GET", "/api/numbers", nil, 200, &numbers)
	if len(numbers.Numbers) != 0 {
		t.Errorf("unassigned recruiter sees numbers %+v; want none", numbers.Numbers)
	}
}

func TestCompanyIsolation(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		a := s.bootstrap(t, "Acme", "admin@acme.test")
		b := s.bootstrap(t, "Globex", "admin@globex.test")
		var na inbox.Number
		a.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Acme main"}, 201, &na)
		var ca inbox.Contact
		a.call("POST", "/api/contacts", map[string]any{"name": "Acme Candidate", "phone": "+14155550150", "sms_opt_in": true}, 201, &ca)
		s.createUser(t, a, "ana@acme.test", "recruiter")

		var users struct{ Users []inbox.User }
		b.call("GET", "/api/users", nil, 200, &users)
		for _, u := range users.Users {
			if strings.HasSuffix(u.Email, "@acme.test") {
				t.Errorf("Globex's admin sees Acme's user %s", u.Email)
			}
		}
		var numbers struct{ Numbers []inbox.Number }
		b.call("GET", "/api/numbers", nil, 200, &numbers)
		if len(numbers.Numbers) != 0 {
			t.Errorf("Globex's admin sees numbers %+v", numbers.Numbers)
		}
		var contacts struct{ Contacts []inbox.Contact }
		b.call("GET", "/api/contacts", nil, 200, &contacts)
		if len(contacts.Contacts) != 0 {
			t.Errorf("Globex's admin sees contacts %+v", contacts.Contacts)
		}
		b.call("GET", "/api/contacts/"+itoa(ca.ID), nil, 404, nil)
		b.call("GET", "/api/contacts/"+itoa(ca.ID)+"/messages", nil, 404, nil)
		b.call("POST", "/api/contacts/"+itoa(ca.ID)+"/messages", map[string]string{"body": "hi"}, 404, nil)
		b.call("PUT", "/api/numbers/"+itoa(na.ID)+"/assignees", map[string]any{"user_ids": []int64{}}, 404, nil)
		// The same phone may be a contact of both companies.
		b.call("POST", "/api/contacts", map[string]any{"name": "Globex Candidate", "phone": "+14155550150"}, 201, nil)
	})
}

func TestUsersAndNumbers(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	_, anaID := s.createUser(t, admin, "ana@acme.test", "recruiter")
	if code := admin.call("POST", "/api/users", map[string]string{"email": "ANA@acme.test", "name": "Ana 2", "role": "recruiter", "password": "correct horse"}, 409, nil); code != "email_taken" {
		t.Errorf("duplicate email: got %q, want email_taken", code)
	}
	for _, bad := range []map[string]string{
		{"email": "not-an-email", "name": "x", "role": "recruiter", "password": "correct horse"},
		{"email": "x@acme.test", "name": "x", "role": "boss", "password": "correct horse"},
		{"email": "x@acme.test", "name": "x", "role": "recruiter", "password": "short"},
		{"email": "x@acme.test", "name": "", "role": "recruiter", "password": "correct horse"},
	} {
		admin.call("POST", "/api/users", bad, 422, nil)
	}

	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "(415) 555-0100", "label": "Recruiting"}, 201, &n)
	if n.E164 != "+14155550100" {
		t.Errorf("number stored as %q, want +14155550100", n.E164)
	}
	if code := admin.call("POST", "/api/numbers", map[string]string{"e164": "+1 415 555 0100", "label": "again"}, 409, nil); code != "number_taken" {
		t.Errorf("duplicate number: got %q, want number_taken", code)
	}
	if code := admin.call("POST", "/api/numbers", map[string]string{"e164": "call me", "label": "x"}, 422, nil); code != "invalid_phone" {
		t.Errorf("garbage number: got %q, want invalid_phone", code)
	}
	var assigned inbox.Number
	admin.call("PUT", "/api/numbers/"+itoa(n.ID)+"/assignees", map[string]any{"user_ids": []int64{anaID, anaID}}, 200, &assigned)
	if len(assigned.Assignees) != 1 || assigned.Assignees[0].ID != anaID {
		t.Errorf("assignees = %+v; want Ana once", assigned.Assignees)
	}
	if code := admin.call("PUT", "/api/numbers/"+itoa(n.ID)+"/assignees", map[string]any{"user_ids": []int64{999}}, 422, nil); code != "unknown_user" {
		t.Errorf("assigning a stranger: got %q, want unknown_user", code)
	}
	admin.call("PUT", "/api/numbers/9999/assignees", map[string]any{"user_ids": []int64{}}, 404, nil)
	admin.call("PUT", "/api/numbers/abc/assignees", map[string]any{"user_ids": []int64{}}, 404, nil)

	ana := s.login(t, "ana@acme.test", "correct horse")
	var me struct {
		Numbers []inbox.Number `json:"numbers"`
	}
	ana.call("GET", "/api/me", nil, 200, &me)
	if len(me.Numbers) != 1 || me.Numbers[0].ID != n.ID {
		t.Errorf("Ana's numbers = %+v; want Recruiting", me.Numbers)
	}

	var company inbox.Company
	admin.call("PUT", "/api/company", map[string]any{"sms_enabled": false, "help_reply": "Call us."}, 200, &company)
	if company.SMSEnabled || company.HelpReply != "Call us." || company.OptoutReply == "" {
		t.Errorf("company = %+v; want texting off, the new help reply, the opt-out reply kept", company)
	}
}

func TestContactsUpsertAndConsent(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		admin := s.bootstrap(t, "Acme", "admin@acme.test")
		var c inbox.Contact
		in := map[string]any{"external_id": "ats-1", "name": "Casey Jones", "phone": "(415) 555-0123", "kind": "candidate", "sms_opt_in": true}
		admin.call("POST", "/api/contacts", in, 201, &c)
		if c.Phone != "+14155550123" || c.Consent != inbox.ConsentOptedIn || c.Icon() != inbox.IconBlue {
			t.Errorf("new contact = %+v; want +14155550123, opted in, blue icon", c)
		}
		var raw map[string]any
		admin.call("GET", "/api/contacts/"+itoa(c.ID), nil, 200, &raw)
		if sms, _ := raw["sms"].(map[string]any); sms["consent"] != "opted_in" || sms["icon"] != "blue" || raw["external_id"] != "ats-1" {
			t.Errorf("contact JSON = %v; want sms.consent opted_in, sms.icon blue, external_id ats-1", raw)
		}

		// The same external id updates, and sms_opt_in false withdraws consent.
		in["name"], in["kind"], in["sms_opt_in"] = "Casey J. Jones", "hire", false
		var updated inbox.Contact
		admin.call("POST", "/api/contacts", in, 200, &updated)
		if updated.ID != c.ID || updated.Name != "Casey J. Jones" || updated.Kind != "hire" ||
			updated.Consent != inbox.ConsentOptedOut || updated.Icon() != inbox.IconHidden {
			t.Errorf("updated contact = %+v; want the same id, new name, hire, opted out, hidden", updated)
		}
		// The ATS may restore what the ATS withdrew.
		in["sms_opt_in"] = true
		admin.call("POST", "/api/contacts", in, 200, &updated)
		if updated.Consent != inbox.ConsentOptedIn {
			t.Errorf("ATS re-opt-in: consent %s, want opted_in", updated.Consent)
		}
		var ledger inbox.ConsentProof
		admin.call("GET", "/api/contacts/"+itoa(c.ID)+"/consent", nil, 200, &ledger)
		if len(ledger.Entries) != 3 || ledger.Entries[0].Source != "application" || ledger.Entries[1].Source != "ats" ||
			ledger.Entries[1].State != inbox.ConsentOptedOut {
			t.Errorf("ledger = %+v; want application, ats (opted_out), application", ledger.Entries)
		}

		// Never asked: unknown, no icon.
		var quiet inbox.Contact
		admin.call("POST", "/api/contacts", map[string]any{"name": "Quiet", "phone": "+44 20 7183 8750", "sms_opt_in": false}, 201, &quiet)
		if quiet.Consent != inbox.ConsentUnknown || quiet.Icon() != inbox.IconHidden || quiet.Phone != "+442071838750" {
			t.Errorf("contact never asked = %+v; want unknown, hidden, +442071838750", quiet)
		}
		for _, bad := range []map[string]any{
			{"name": "x", "phone": "not a phone"},
			{"name": "x", "phone": "12"},
			{"name": "", "phone": "+14155550177"},
			{"name": "x", "phone": "+14155550177", "kind": "alien"},
		} {
			admin.call("POST", "/api/contacts", bad, 422, nil)
		}
		if code := admin.call("POST", "/api/contacts", map[string]any{"name": "x", "phone": "garbage"}, 422, nil); code != "invalid_phone" {
			t.Errorf("garbage phone: got %q, want invalid_phone", code)
		}
		if code := admin.call("POST", "/api/contacts", map[string]any{"external_id": "ats-2", "name": "Dup", "phone": "+14155550123"}, 409, nil); code != "phone_taken" {
			t.Errorf("another contact's phone: got %q, want phone_taken", code)
		}

		// Search and keyset paging.
		for i := range 5 {
			admin.call("POST", "/api/contacts", map[string]any{"name": "Pager " + itoa(int64(i)), "phone": "+1415555017" + itoa(int64(i))}, 201, nil)
		}
		var page struct {
			Contacts   []inbox.Contact
			NextCursor *string `json:"next_cursor"`
		}
		seen := map[int64]bool{}
		cursor := ""
		for {
			admin.call("GET", "/api/contacts?q=pager&limit=2&cursor="+cursor, nil, 200, &page)
			for _, c := range page.Contacts {
				if seen[c.ID] || !strings.HasPrefix(c.Name, "Pager") {
					t.Errorf("page has %+v again or off the search", c)
				}
				seen[c.ID] = true
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if len(seen) != 5 {
			t.Errorf("paging saw %d pager contacts, want 5", len(seen))
		}
	})
}

func TestJobs(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	var j, again inbox.Job
	admin.call("POST", "/api/jobs", map[string]string{"external_id": "j-1", "title": "Nurse"}, 201, &j)
	admin.call("POST", "/api/jobs", map[string]string{"external_id": "j-1", "title": "Night Nurse"}, 200, &again)
	if again.ID != j.ID || again.Title != "Night Nurse" {
		t.Errorf("job upsert = %+v; want job %d renamed", again, j.ID)
	}
	var c inbox.Contact
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &c)
	admin.call("POST", "/api/jobs/"+itoa(j.ID)+"/applicants", map[string]int64{"contact_id": c.ID}, 201, nil)
	admin.call("POST", "/api/jobs/"+itoa(j.ID)+"/applicants", map[string]int64{"contact_id": 9999}, 404, nil)
	var applicants struct{ Contacts []inbox.Contact }
	admin.call("GET", "/api/jobs/"+itoa(j.ID)+"/applicants", nil, 200, &applicants)
	if len(applicants.Contacts) != 1 || applicants.Contacts[0].ID != c.ID {
		t.Errorf("applicants = %+v; want Casey", applicants.Contacts)
	}
	var jobs struct{ Jobs []inbox.Job }
	admin.call("GET", "/api/jobs", nil, 200, &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].Applicants != 1 {
		t.Errorf("jobs = %+v; want one job with one applicant", jobs.Jobs)
	}
	admin.call("GET", "/api/jobs/"+itoa(j.ID), nil, 200, nil)
	admin.call("GET", "/api/jobs/424242", nil, 404, nil)
}

func TestBadRequests(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	if code := admin.call("POST", "/api/contacts", []byte(`{"name": `), 400, nil); code != "invalid_json" {
		t.Errorf("broken JSON: got %q, want invalid_json", code)
	}
	if code := admin.call("POST", "/api/contacts", []byte(`{"name": 5}`), 400, nil); code != "invalid_json" {
		t.Errorf("wrong type: got %q, want invalid_json", code)
	}
	huge := []byte(`{"name":"` + strings.Repeat("x", 70<<10) + `"}`)
	if code := admin.call("POST", "/api/contacts", huge, 413, nil); code != "body_too_large" {
		t.Errorf("huge body: got %q, want body_too_large", code)
	}
	admin.call("GET", "/api/contacts?limit=abc", nil, 400, nil)
}
