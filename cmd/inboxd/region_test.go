package main

import (
	"net/url"
	"testing"

	"smsinbox/pkg/inbox"
)

// A national-format number ("(020) 7946 0018") is read in the company's
// default_region: British for a company set to GB, while a company that set
// none follows INBOX_DEFAULT_REGION (here the default, US) and finds no such
// US number. Plivo's digits stay international whatever the region.
func TestDefaultRegion(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		acme := s.bootstrap(t, "Acme", "admin@acme.test")
		globex := s.bootstrap(t, "Globex", "admin@globex.test")

		var company struct {
			DefaultRegion string `json:"default_region"`
		}
		acme.call("GET", "/api/company", nil, 200, &company)
		if company.DefaultRegion != "US" {
			t.Errorf("a new company's default_region = %q, want US (INBOX_DEFAULT_REGION's default)", company.DefaultRegion)
		}
		if code := acme.call("PUT", "/api/company", map[string]any{"default_region": "UK"}, 422, nil); code != "invalid_region" {
			t.Errorf("default_region UK: got %q, want invalid_region (the code is GB)", code)
		}
		acme.call("PUT", "/api/company", map[string]any{"default_region": "gb"}, 200, &company)
		if company.DefaultRegion != "GB" {
			t.Errorf("after PUT gb: default_region = %q, want GB", company.DefaultRegion)
		}
		acme.call("GET", "/api/company", nil, 200, &company)
		if company.DefaultRegion != "GB" {
			t.Errorf("GET after PUT: default_region = %q, want GB", company.DefaultRegion)
		}

		var c inbox.Contact
		acme.call("POST", "/api/contacts", map[string]any{"name": "Olivia", "phone": "(020) 7946 0018", "sms_opt_in": true}, 201, &c)
		if c.Phone != "+442079460018" {
			t.Errorf("(020) 7946 0018 at a GB company = %q, want +442079460018", c.Phone)
		}
		// Written with the country code, a number is the same anywhere.
		var us inbox.Contact
		acme.call("POST", "/api/contacts", map[string]any{"name": "Sam", "phone": "+1 415 555 0123"}, 201, &us)
		if us.Phone != "+14155550123" {
			t.Errorf("+1 415 555 0123 at a GB company = %q, want +14155550123", us.Phone)
		}
		// A search in the company's national form finds the contact.
		var found struct{ Contacts []inbox.Contact }
		acme.call("GET", "/api/contacts?q="+url.QueryEscape("020 7946 0018"), nil, 200, &found)
		if len(found.Contacts) != 1 || found.Contacts[0].ID != c.ID {
			t.Errorf("search for 020 7946 0018 found %+v, want Olivia", found.Contacts)
		}
		// A number registered in national form, too.
		var n inbox.Number
		acme.call("POST", "/api/numbers", map[string]string{"e164": "020 7946 0999", "label": "London"}, 201, &n)
		if n.E164 != "+442079460999" {
			t.Errorf("number 020 7946 0999 at a GB company = %q, want +442079460999", n.E164)
		}

		if code := globex.call("POST", "/api/contacts", map[string]any{"name": "Olivia", "phone": "(020) 7946 0018"}, 422, nil); code != "invalid_phone" {
			t.Errorf("(020) 7946 0018 at a US company: got %q, want invalid_phone", code)
		}
		var local inbox.Contact
		globex.call("POST", "/api/contacts", map[string]any{"name": "Sam", "phone": "(415) 555-0123"}, 201, &local)
		if local.Phone != "+14155550123" {
			t.Errorf("(415) 555-0123 at a US company = %q, want +14155550123", local.Phone)
		}

		// "" goes back to the server's region.
		acme.call("PUT", "/api/company", map[string]any{"default_region": ""}, 200, &company)
		if company.DefaultRegion != "US" {
			t.Errorf("after PUT \"\": default_region = %q, want the server's US", company.DefaultRegion)
		}
	})
}

// INBOX_DEFAULT_REGION is the region of every company that set none.
func TestDefaultRegionFromConfig(t *testing.T) {
	s := startServer(t, map[string]string{"INBOX_DEFAULT_REGION": "GB"})
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	var company struct {
		DefaultRegion string `json:"default_region"`
	}
	admin.call("GET", "/api/company", nil, 200, &company)
	if company.DefaultRegion != "GB" {
		t.Errorf("default_region = %q, want GB from INBOX_DEFAULT_REGION", company.DefaultRegion)
	}
	var c inbox.Contact
	admin.call("POST", "/api/contacts", map[string]any{"name": "Olivia", "phone": "020 7946 0018"}, 201, &c)
	if c.Phone != "+442079460018" {
		t.Errorf("020 7946 0018 = %q, want +442079460018", c.Phone)
	}
}
