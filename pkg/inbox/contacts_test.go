package inbox_test

import (
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

// TestUpsertContactValidation: every field's rule, and the normal forms
// stored.
func TestUpsertContactValidation(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	for _, tt := range []struct {
		name string
		in   inbox.ContactInput
		code string
	}{
		{"blank name", inbox.ContactInput{Name: "  ", Phone: "+14155550177"}, "invalid_name"},
		{"201-character name", inbox.ContactInput{Name: strings.Repeat("n", 201), Phone: "+14155550177"}, "invalid_name"},
		{"no phone", inbox.ContactInput{Name: "Casey"}, "invalid_phone"},
		{"garbage phone", inbox.ContactInput{Name: "Casey", Phone: "call me"}, "invalid_phone"},
		{"bad email", inbox.ContactInput{Name: "Casey", Phone: "+14155550177", Email: "casey-at-example"}, "invalid_email"},
		{"email with a display name", inbox.ContactInput{Name: "Casey", Phone: "+14155550177", Email: "Casey <c@example.com>"}, "invalid_email"},
		{"unknown kind", inbox.ContactInput{Name: "Casey", Phone: "+14155550177", Kind: "boss"}, "invalid_kind"},
		{"blank external id", inbox.ContactInput{Name: "Casey", Phone: "+14155550177", ExternalID: ptr("  ")}, "invalid_external_id"},
	} {
		_, _, err := f.svc.UpsertContact(f.ctx, f.admin, tt.in)
		wantError(t, tt.name, err, inbox.KindInvalid, tt.code)
	}
	if cs, _, _ := f.svc.Contacts(f.ctx, f.admin, inbox.ContactFilter{}); len(cs) != 0 {
		t.Errorf("refused upserts stored %d contacts", len(cs))
	}
	c, created, err := f.svc.UpsertContact(f.ctx, f.admin, inbox.ContactInput{Name: " Casey Jones ", Phone: "(415) 555-0177",
		Email: " casey@example.com ", ExternalID: ptr(" ats-1 ")})
	if err != nil || !created || c.Name != "Casey Jones" || c.Phone != "+14155550177" || c.Email != "casey@example.com" ||
		c.Kind != inbox.KindCandidate || c.ExternalID == nil || *c.ExternalID != "ats-1" || c.Consent != inbox.ConsentUnknown {
		t.Errorf("UpsertContact = %+v, created %v, %v; want trimmed fields, E.164 phone, kind candidate, consent unknown", c, created, err)
	}
}

// TestUpsertContactMatchesAndConsent: an upsert updates the contact with the
// same external id, else the same phone; consent follows the ATS rules and
// every change is in the ledger; an upsert that changes nothing tells no
// one.
func TestUpsertContactMatchesAndConsent(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	upsert := func(in inbox.ContactInput) (inbox.Contact, bool) {
		t.Helper()
		c, created, err := f.svc.UpsertContact(f.ctx, f.admin, in)
		if err != nil {
			t.Fatalf("UpsertContact(%+v): %v", in, err)
		}
		return c, created
	}
	ledger := func(c inbox.Contact) []inbox.ConsentChange {
		t.Helper()
		changes, err := f.svc.ConsentChanges(f.ctx, f.admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return changes
	}

	casey, created := upsert(inbox.ContactInput{Name: "Casey", Phone: "+14155550177", ExternalID: ptr("ats-1"), SMSOptIn: ptr(true)})
	if !created || casey.Consent != inbox.ConsentOptedIn || casey.ConsentSource != inbox.SourceApplication {
		t.Fatalf("new contact who opted in: %+v, created %v; want opted in by application", casey, created)
	}
	if l := ledger(casey); len(l) != 1 || l[0].From != inbox.ConsentUnknown || l[0].To != inbox.ConsentOptedIn ||
		l[0].UserID == nil || *l[0].UserID != f.admin.ID {
		t.Errorf("ledger: %+v; want one change unknown → opted in by the admin", l)
	}

	// Same external id, new phone and name: the same contact, updated; its
	// consent belonged to the old phone and starts again at unknown.
	moved, created := upsert(inbox.ContactInput{Name: "Casey J", Phone: "+14155550188", ExternalID: ptr("ats-1")})
	if created || moved.ID != casey.ID || moved.Phone != "+14155550188" || moved.Name != "Casey J" ||
		moved.Consent != inbox.ConsentUnknown || moved.ConsentSource != inbox.SourcePhoneChanged {
		t.Errorf("by external id: %+v, created %v; want contact %d with the new phone and name, consent unknown by phone_changed", moved, created, casey.ID)
	}
	if again, _ := upsert(inbox.ContactInput{Name: "Casey J", Phone: "+14155550188", ExternalID: ptr("ats-1"), SMSOptIn: ptr(true)}); again.Consent != inbox.ConsentOptedIn {
		t.Fatalf("the ATS opts the new phone in: %s; want opted_in", again.Consent)
	}
	// No external id: matched by phone.
	byPhone, created := upsert(inbox.ContactInput{Name: "Casey Jones", Phone: "(415) 555-0188"})
	if created || byPhone.ID != casey.ID || byPhone.Name != "Casey Jones" {
		t.Errorf("by phone: %+v, created %v; want contact %d renamed", byPhone, created, casey.ID)
	}

	// The same again changes nothing and emits nothing.
	topic := inbox.CompanyTopic(f.admin.CompanyID)
	seq := f.seq(topic)
	upsert(inbox.ContactInput{Name: "Casey Jones", Phone: "+14155550188"})
	if got := f.seq(topic); got != seq {
		t.Errorf("an upsert that changed nothing emitted %d events", got-seq)
	}

	// The ATS withdraws consent, then restores it.
	out, _ := upsert(inbox.ContactInput{Name: "Casey Jones", Phone: "+14155550188", SMSOptIn: ptr(false)})
	back, _ := upsert(inbox.ContactInput{Name: "Casey Jones", Phone: "+14155550188", SMSOptIn: ptr(true)})
	if out.Consent != inbox.ConsentOptedOut || out.ConsentSource != inbox.SourceATS || back.Consent != inbox.ConsentOptedIn {
		t.Errorf("ATS withdraws, then restores: %s by %s, then %s; want opted out by ats, then opted in", out.Consent, out.ConsentSource, back.Consent)
	}
	if got := f.seq(topic); got != seq+2 {
		t.Errorf("two consent changes emitted %d events; want 2", got-seq)
	}

	// The contact texts STOP: the ATS cannot opt them back in.
	f.receive("+14155550188", f.main, "STOP", "u-stop")
	stopped, _ := upsert(inbox.ContactInput{Name: "Casey Jones", Phone: "+14155550188", SMSOptIn: ptr(true)})
	if stopped.Consent != inbox.ConsentOptedOut || stopped.ConsentSource != inbox.SourceKeyword {
		t.Errorf("after STOP, the ATS says opted in: %s by %s; want opted out by keyword", stopped.Consent, stopped.ConsentSource)
	}
	l := ledger(casey)
	// Opted in, phone changed, opted in again, the ATS's opt-out and
	// restore, the contact's STOP.
	if len(l) != 6 || l[1].Source != inbox.SourcePhoneChanged || l[5].Source != inbox.SourceKeyword || l[5].Keyword != "STOP" || l[5].MessageID == nil {
		t.Errorf("ledger: %+v; want 6 changes, the second the phone's change, the last STOP's with its message", l)
	}

	// Another company's admin sees none of it.
	other, err := f.svc.Bootstrap(f.ctx, "Other Co", inbox.NewUser{Email: "admin@other.test", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Contact(f.ctx, other, casey.ID)
	wantError(t, "another company's contact", err, inbox.KindNotFound, "not_found")
	_, err = f.svc.ConsentChanges(f.ctx, other, casey.ID)
	wantError(t, "another company's ledger", err, inbox.KindNotFound, "not_found")
	if c, created := upsertAs(t, f, other, inbox.ContactInput{Name: "Casey", Phone: "+14155550188"}); !created || c.ID == casey.ID {
		t.Errorf("the same phone in another company: %+v, created %v; want a contact of its own", c, created)
	}
}

func upsertAs(t *testing.T, f *fixture, caller inbox.User, in inbox.ContactInput) (inbox.Contact, bool) {
	t.Helper()
	c, created, err := f.svc.UpsertContact(f.ctx, caller, in)
	if err != nil {
		t.Fatal(err)
	}
	return c, created
}

// TestContactsPages: newest first, a page at a time, with the cursor of the
// next page until the last.
func TestContactsPages(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	a := f.contact("A", "+14155550171", nil)
	b := f.contact("B", "+14155550172", nil)
	c := f.contact("C", "+14155550173", nil)
	page, next, err := f.svc.Contacts(f.ctx, f.admin, inbox.ContactFilter{Limit: 2})
	if err != nil || len(page) != 2 || page[0].ID != c.ID || page[1].ID != b.ID || next != b.ID {
		t.Fatalf("first page: %d contacts, next %d, %v; want C, B and a cursor", len(page), next, err)
	}
	page, next, err = f.svc.Contacts(f.ctx, f.admin, inbox.ContactFilter{Limit: 2, After: next})
	if err != nil || len(page) != 1 || page[0].ID != a.ID || next != 0 {
		t.Errorf("second page: %d contacts, next %d, %v; want A and no cursor", len(page), next, err)
	}
	_, _, err = f.svc.Contacts(f.ctx, f.admin, inbox.ContactFilter{JobID: 99999})
	wantError(t, "contacts of a job that does not exist", err, inbox.KindNotFound, "not_found")
}
