package main

import (
	"testing"

	"smsinbox/pkg/inbox"
)

// With no configuration, the server seeds the demo company on its
// embedded store, and the banner's logins work.
func TestDemoMode(t *testing.T) {
	s := startServer(t, map[string]string{"INBOX_DEMO": ""})
	admin := s.login(t, "admin@demo.test", demoPassword)
	var users struct{ Users []inbox.User }
	admin.call("GET", "/api/users", nil, 200, &users)
	if len(users.Users) != len(demoUsers) {
		t.Errorf("demo users = %d, want %d", len(users.Users), len(demoUsers))
	}
	var contacts struct{ Contacts []inbox.Contact }
	admin.call("GET", "/api/contacts", nil, 200, &contacts)
	icons := map[inbox.Icon]int{}
	for _, c := range contacts.Contacts {
		icons[c.Icon()]++
	}
	if len(contacts.Contacts) != 10 || icons[inbox.IconGreen] != 2 || icons[inbox.IconHidden] != 2 || icons[inbox.IconBlue] != 6 {
		t.Errorf("demo contacts: %d with icons %v; want 10: 2 green (earlier conversations), 2 hidden (opted out, never asked), 6 blue", len(contacts.Contacts), icons)
	}
	var jobs struct{ Jobs []inbox.Job }
	admin.call("GET", "/api/jobs", nil, 200, &jobs)
	if len(jobs.Jobs) != 2 {
		t.Errorf("demo jobs = %d, want 2", len(jobs.Jobs))
	}
	ana := s.login(t, "ana@demo.test", demoPassword)
	var in inbox.Inbox
	ana.call("GET", "/api/inbox", nil, 200, &in)
	if in.UnreadTotal != 1 {
		t.Errorf("Ana's demo inbox has %d unread threads, want 1 (Maria's reply)", in.UnreadTotal)
	}
	cy := s.login(t, "cy@demo.test", demoPassword)
	cy.call("GET", "/api/inbox", nil, 200, &in)
	for _, th := range in.Threads {
		if th.Number.Label != "Warehouse" {
			t.Errorf("Cy sees a thread of %s", th.Number.Label)
		}
	}
}
