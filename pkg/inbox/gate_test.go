package inbox_test

import (
	"testing"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// TestCheckSend: the send gate's rules as a table — consent, review, the
// implied window of a contact who texted first, quiet hours and their two
// exemptions (a reply within 30 min of the contact's text, a keyword's
// confirmation) — against a real store, at chosen instants.
func TestCheckSend(t *testing.T) {
	clk := clock.NewFake(utc("2026-06-14T00:00:00Z"))
	f := newFixture(t, nil, inbox.Config{Clock: clk})
	f.db.SetClock(clk)
	casey := f.contact("Casey", "+14155550177", ptr(true)) // Los Angeles
	pat := f.contact("Pat", "+14155550178", nil)           // never asked
	olly := f.contact("Olly", "+14155550179", ptr(true))   // opts out below
	robin := f.contact("Robin", "+14155550181", ptr(true)) // asks to stop in a sentence
	kai := f.contact("Kai", "+18085550100", ptr(true))     // Honolulu
	f.receive(olly.Phone, f.main, "STOP", "u-olly")
	f.receive(robin.Phone, f.main, "please stop texting me", "u-robin")
	clk.Set(utc("2026-06-15T09:50:00Z")) // 2:50 AM in Los Angeles
	f.receive(casey.Phone, f.main, "hi, still up?", "u-casey")
	clk.Set(utc("2026-06-15T09:55:00Z"))
	f.receive("+14155550190", f.main, "hello, is the job open?", "u-first")
	first, err := f.db.ContactByPhone(f.ctx, f.admin.CompanyID, "+14155550190")
	if err != nil || first.Consent != inbox.ConsentImplied {
		t.Fatalf("the phone that texted first: %+v, %v; want implied", first, err)
	}
	company, err := f.svc.Company(f.ctx, f.admin)
	if err != nil {
		t.Fatal(err)
	}
	quiet := inbox.DefaultQuietHours
	company.QuietHours = &quiet
	load := func(c inbox.Contact) inbox.Contact {
		t.Helper()
		got, err := f.db.Contact(f.ctx, f.admin.CompanyID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	tests := []struct {
		name      string
		contact   inbox.Contact
		number    inbox.Number
		purpose   inbox.Purpose
		at        string
		written   string // "" for at
		code      string // the refusal, or ""
		heldUntil string // "" when not held
	}{
		{"opted in, daytime", casey, f.main, inbox.PurposeText, "2026-06-15T19:00:00Z", "", "", ""},
		{"a reply 20 min after their text, at night", casey, f.main, inbox.PurposeText, "2026-06-15T10:10:00Z", "", "", ""},
		{"exactly 30 min after", casey, f.main, inbox.PurposeText, "2026-06-15T10:20:00Z", "", "", ""},
		{"31 min after: held until 8 AM", casey, f.main, inbox.PurposeText, "2026-06-15T10:21:00Z", "", "", "2026-06-15T15:00:00Z"},
		{"written within 30 min, checked again later", casey, f.main, inbox.PurposeText, "2026-06-15T10:21:00Z", "2026-06-15T10:15:00Z", "", ""},
		{"opted in, 9 PM", casey, f.main, inbox.PurposeText, "2026-06-16T04:00:00Z", "", "", "2026-06-16T15:00:00Z"},
		{"Honolulu at 9 AM in New York", kai, f.main, inbox.PurposeText, "2026-06-15T13:00:00Z", "", "", "2026-06-15T18:00:00Z"},
		{"a confirmation to an opted-out contact at night", olly, f.main, inbox.PurposeConfirmation, "2026-06-15T10:00:00Z", "", "", ""},
		{"a confirmation while under review", robin, f.main, inbox.PurposeConfirmation, "2026-06-15T10:00:00Z", "", "", ""},
		{"opted out", olly, f.main, inbox.PurposeText, "2026-06-15T19:00:00Z", "", "opted_out", ""},
		{"a consent request to an opted-out contact", olly, f.main, inbox.PurposeConsentRequest, "2026-06-15T19:00:00Z", "", "opted_out", ""},
		{"under review", robin, f.main, inbox.PurposeText, "2026-06-15T19:00:00Z", "", "opt_out_review", ""},
		{"a consent request under review", robin, f.main, inbox.PurposeConsentRequest, "2026-06-15T19:00:00Z", "", "opt_out_review", ""},
		{"never asked", pat, f.main, inbox.PurposeText, "2026-06-15T19:00:00Z", "", "no_consent", ""},
		{"a consent request to a contact never asked, at night", pat, f.main, inbox.PurposeConsentRequest, "2026-06-15T11:00:00Z", "", "", "2026-06-15T15:00:00Z"},
		{"a consent request to an opted-in contact", casey, f.main, inbox.PurposeConsentRequest, "2026-06-15T19:00:00Z", "", "already_opted_in", ""},
		{"texted first: a reply 5 min later, at night", first, f.main, inbox.PurposeText, "2026-06-15T10:00:00Z", "", "", ""},
		{"texted first: a reply 10 h later", first, f.main, inbox.PurposeText, "2026-06-15T20:00:00Z", "", "", ""},
		{"texted first: exactly 24 h later", first, f.main, inbox.PurposeText, "2026-06-16T09:55:00Z", "", "", "2026-06-16T15:00:00Z"},
		{"texted first: 24 h and a minute later", first, f.main, inbox.PurposeText, "2026-06-16T09:56:00Z", "", "no_consent", ""},
		{"texted first: from another number", first, f.second, inbox.PurposeText, "2026-06-15T20:00:00Z", "", "no_consent", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inbox.SendCheck{Company: company, Contact: load(tt.contact), NumberID: tt.number.ID, Purpose: tt.purpose, At: utc(tt.at)}
			if tt.written != "" {
				in.WrittenAt = utc(tt.written)
			}
			d, err := f.svc.CheckSend(f.ctx, f.db, in)
			if tt.code != "" {
				wantError(t, "CheckSend", err, inbox.KindConflict, tt.code)
				return
			}
			if err != nil {
				t.Fatalf("CheckSend: %v; want allowed", err)
			}
			switch {
			case tt.heldUntil == "" && d.Held:
				t.Errorf("held until %v (%q); want sent at once", d.At, d.HoldNote)
			case tt.heldUntil != "" && (!d.Held || !d.At.Equal(utc(tt.heldUntil)) || d.HoldNote != "Held until 8:00 AM candidate's time"):
				t.Errorf("held %v until %v (%q); want held until %s, 8:00 AM", d.Held, d.At, d.HoldNote, tt.heldUntil)
			case tt.heldUntil == "" && !d.At.Equal(utc(tt.at)):
				t.Errorf("goes at %v; want %s", d.At, tt.at)
			}
			if tt.contact.ID != pat.ID && d.ConsentEntryID == nil {
				t.Errorf("no consent entry allows it; want the contact's latest")
			}
		})
	}
	// Without quiet hours nothing is held.
	company.QuietHours = nil
	if d, err := f.svc.CheckSend(f.ctx, f.db, inbox.SendCheck{Company: company, Contact: load(casey), NumberID: f.main.ID,
		At: utc("2026-06-16T04:00:00Z")}); err != nil || d.Held {
		t.Errorf("quiet hours off, 9 PM: held %v, %v; want sent at once", d.Held, err)
	}
}
