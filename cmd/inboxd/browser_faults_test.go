package main

import (
	"fmt"
	"net/url"
	"testing"

	"smsinbox/pkg/inbox"
)

// TestBrowserFaults: what the UI shows of this release's fault handling,
// against a server sending through plivo-go to the fake Plivo API.
//   - A send whose call to Plivo timed out (it may have reached Plivo) shows
//     as unknown, "checking with Plivo", live in the open modal, until
//     Plivo's report settles it.
//   - The activity report shows what Plivo charged, per row and in total.
//   - The admin sets the company's country for national-format numbers, and
//     its quiet hours, claims and START reply, from the settings card.
func TestBrowserFaults(t *testing.T) {
	browser(t) // skips (or fails under CI) before starting a server for nothing
	f := newPlivoFixture(t, nil)
	sc := newScene(t, f.s)
	ana := sc.loginWith(t, "ana", "ana@acme.test", "correct horse")

	// Casey's modal, from the SMS icon in the Candidate Pool.
	ana.click(t, fmt.Sprintf(`%s[data-contact-id="%d"] %s`, tid("contact-row"), f.contact.ID, tid("sms-icon")))
	ana.waitModal(t)
	f.fake.HangNext(1)
	ana.typeInto(t, tid("sms-compose"), "Did this reach you?")
	ana.click(t, tid("sms-send"))
	out := tid("thread-message") + `[data-direction="outbound"]`
	ana.waitCount(t, out, 1)
	ana.waitAttr(t, out, "data-status", "unknown")
	ana.waitContains(t, out+" "+tid("message-status"), "checking with Plivo")
	eventually(t, wait, "Plivo has the text", func() bool { return len(f.fake.Creates()) == 1 })

	// Plivo's report settles it, with the charge.
	var id int64
	fmt.Sscan(ana.eval(t, `document.querySelector(`+jsq(out)+`).dataset.messageId`), &id)
	form := url.Values{"MessageUUID": {f.fake.Creates()[0].MessageUUID}, "Status": {"delivered"},
		"Units": {"1"}, "TotalRate": {"0.00650"}, "TotalAmount": {"0.00650"}}
	if code := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(id), form, nil); code != 200 {
		t.Fatalf("status report: got %d, want 200", code)
	}
	ana.waitAttr(t, out, "data-status", "delivered")
	ana.closeModal(t)

	// The report: the row's units and amount, and the totals.
	admin := sc.loginWith(t, "admin", "admin@acme.test", "correct horse")
	admin.visit(t, "/admin/reports/sms-activity")
	row := fmt.Sprintf(`%s[data-message-id="%d"]`, tid("report-row"), id)
	admin.waitText(t, row+" "+tid("report-units"), "1")
	admin.waitText(t, row+" "+tid("report-amount"), "0.00650")
	admin.waitContains(t, tid("report-totals"), "1 units billed · amount 0.00650")

	// The company's country for numbers written without a country code.
	admin.visit(t, "/admin/numbers")
	admin.waitEq(t, "the region in effect", `document.querySelector(`+jsq(tid("company-default-region"))+`)?.value`, "US")
	admin.eval(t, `document.querySelector(`+jsq(tid("company-default-region"))+`).value = ''`)
	admin.typeInto(t, tid("company-default-region"), "gb")
	admin.click(t, tid("company-save"))
	admin.waitText(t, tid("company-status"), "Settings saved.")
	var company struct {
		DefaultRegion string `json:"default_region"`
	}
	f.admin.call("GET", "/api/company", nil, 200, &company)
	if company.DefaultRegion != "GB" {
		t.Errorf("default_region after saving gb in the settings = %q, want GB", company.DefaultRegion)
	}
	var c inbox.Contact
	f.admin.call("POST", "/api/contacts", map[string]any{"name": "Olivia", "phone": "020 7946 0018"}, 201, &c)
	if c.Phone != "+442079460018" {
		t.Errorf("020 7946 0018 after the admin chose GB = %q, want +442079460018", c.Phone)
	}

	// Quiet hours, claims and the START reply, saved from the same card and
	// shown again after a reload.
	admin.visit(t, "/admin/numbers")
	admin.waitPresent(t, tid("company-quiet-enabled"))
	if admin.eval(t, `document.querySelector(`+jsq(tid("company-quiet-enabled"))+`).checked`) == "false" {
		admin.click(t, tid("company-quiet-enabled")) // the fixture's company has none
	}
	setInput := func(id, v string) {
		admin.eval(t, `(() => { const e = document.querySelector(`+jsq(tid(id))+`); e.value = `+jsq(v)+`; e.dispatchEvent(new Event('input')); return 1 })()`)
	}
	setInput("company-quiet-start", "22:30")
	setInput("company-quiet-end", "07:15")
	setInput("company-claim-minutes", "25")
	admin.click(t, tid("company-claim-on-read"))
	admin.fill(t, tid("company-optin-reply"), "Welcome back to {company} texts.")
	admin.click(t, tid("company-save"))
	admin.waitText(t, tid("company-status"), "Settings saved.")
	var settings struct {
		QuietHours  *struct{ Start, End string } `json:"quiet_hours"`
		ClaimOnRead bool                         `json:"claim_on_read"`
		ClaimMin    int                          `json:"claim_minutes"`
		OptinReply  string                       `json:"optin_reply"`
	}
	f.admin.call("GET", "/api/company", nil, 200, &settings)
	if settings.QuietHours == nil || settings.QuietHours.Start != "22:30" || settings.QuietHours.End != "07:15" ||
		settings.ClaimOnRead || settings.ClaimMin != 25 || settings.OptinReply != "Welcome back to {company} texts." {
		t.Errorf("settings after saving the card = %+v (quiet %+v)", settings, settings.QuietHours)
	}
	admin.visit(t, "/admin/numbers")
	admin.waitEq(t, "claim minutes after a reload", `document.querySelector(`+jsq(tid("company-claim-minutes"))+`)?.value`, "25")
	// Quiet hours off: saved as none.
	admin.click(t, tid("company-quiet-enabled"))
	if got := admin.eval(t, `document.querySelector(`+jsq(tid("company-quiet-start"))+`).disabled`); got != "true" {
		t.Errorf("quiet hours start editable while quiet hours are off")
	}
	admin.click(t, tid("company-save"))
	admin.waitText(t, tid("company-status"), "Settings saved.")
	f.admin.call("GET", "/api/company", nil, 200, &settings)
	if settings.QuietHours != nil {
		t.Errorf("quiet hours after switching them off = %+v, want none", settings.QuietHours)
	}
}
