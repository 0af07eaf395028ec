package inbox_test

import (
	"testing"

	"smsinbox/pkg/inbox"
)

func TestValidRegion(t *testing.T) {
	for in, want := range map[string]string{"GB": "GB", "gb": "GB", " us ": "US", "DE": "DE", "UK": "", "": "", "USA": "", "001": "", "zz": ""} {
		got, ok := inbox.ValidRegion(in)
		if got != want || ok != (want != "") {
			t.Errorf("ValidRegion(%q) = %q, %v; want %q, %v", in, got, ok, want, want != "")
		}
	}
}

// TestCompanyRegion: a company's default_region decides how its national
// numbers read — contacts, numbers, a search — and "" follows the server's.
func TestCompanyRegion(t *testing.T) {
	f := newFixture(t, &fakeSender{}, inbox.Config{Region: "DE"})
	c, err := f.svc.Company(f.ctx, f.ana)
	if err != nil || c.DefaultRegion != "DE" {
		t.Fatalf("region of a company that set none = %q, %v; want the server's DE", c.DefaultRegion, err)
	}
	_, err = f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{DefaultRegion: ptr("XX")})
	wantError(t, "an unknown region", err, inbox.KindInvalid, "invalid_region")
	_, err = f.svc.UpdateCompany(f.ctx, f.ana, inbox.CompanySettings{DefaultRegion: ptr("GB")})
	wantError(t, "a recruiter setting it", err, inbox.KindForbidden, "forbidden")
	if c, err = f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{DefaultRegion: ptr("gb")}); err != nil || c.DefaultRegion != "GB" {
		t.Fatalf("set gb: %q, %v; want GB", c.DefaultRegion, err)
	}
	olivia := f.contact("Olivia", "(020) 7946 0018", ptr(true))
	if olivia.Phone != "+442079460018" {
		t.Errorf("(020) 7946 0018 in GB = %q, want +442079460018", olivia.Phone)
	}
	found, _, err := f.svc.Contacts(f.ctx, f.ana, inbox.ContactFilter{Q: "020 7946 0018"})
	if err != nil || len(found) != 1 || found[0].ID != olivia.ID {
		t.Errorf("search 020 7946 0018 = %v, %v; want Olivia", found, err)
	}
	n, err := f.svc.CreateNumber(f.ctx, f.admin, "020 7946 0999", "London")
	if err != nil || n.E164 != "+442079460999" {
		t.Errorf("number 020 7946 0999 in GB = %q, %v; want +442079460999", n.E164, err)
	}
	// Other settings keep the region; "" gives it back to the server.
	if c, err = f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{HelpReply: ptr("Help!")}); err != nil || c.DefaultRegion != "GB" {
		t.Errorf("after another setting: %q, %v; want GB kept", c.DefaultRegion, err)
	}
	if c, err = f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{DefaultRegion: ptr("")}); err != nil || c.DefaultRegion != "DE" {
		t.Errorf("after \"\": %q, %v; want the server's DE", c.DefaultRegion, err)
	}
	if _, _, err := f.svc.UpsertContact(f.ctx, f.admin, inbox.ContactInput{Name: "Otto", Phone: "030 901820"}); err != nil {
		t.Errorf("030 901820 (Berlin) in DE: %v", err)
	}
}
