package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

// Composing in the browser, on a demo server of its own: a template's live
// preview in the modal, the plain-characters suggestion, a text scheduled
// and canceled in its thread, and a bulk send from selected rows of the
// Candidate Pool — the skip list before sending, then the progress bar to
// 100 %.
func TestBrowserCompose(t *testing.T) {
	browser(t) // skips (or fails under CI) before starting a server for nothing
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1"})
	admin := srv.login(t, "admin@demo.test", demoPassword)
	admin.call("PUT", "/api/company", map[string]any{"quiet_hours": nil}, 200, nil) // not the time of day
	var list struct{ Contacts []inbox.Contact }
	admin.call("GET", "/api/contacts?limit=200", nil, 200, &list)
	ids := map[string]int64{}
	for _, c := range list.Contacts {
		ids[c.Name] = c.ID
	}
	id := func(name string) int64 {
		t.Helper()
		v, ok := ids[name]
		if !ok {
			t.Fatalf("no demo contact %q", name)
		}
		return v
	}
	row := func(name string) string { return fmt.Sprintf(`%s[data-contact-id="%d"]`, tid("contact-row"), id(name)) }
	apiAna := srv.login(t, "ana@demo.test", demoPassword)

	sc := newScene(t, srv)
	ana := sc.login(t, "ana", "ana@demo.test")

	// Ana saves a template on the Templates page; an unknown field is
	// refused there, in words.
	ana.visit(t, "/templates")
	ana.waitEq(t, "the Templates page", `document.querySelector('main').dataset.page`, "templates")
	ana.typeInto(t, tid("template-name"), "Still interested")
	ana.typeInto(t, tid("template-body"), "Hi {{contact.nickname}}")
	ana.click(t, tid("template-create"))
	ana.waitContains(t, tid("template-error"), "is not a merge field")
	ana.fill(t, tid("template-body"), "Hi {{contact.first_name|there}}, are you still interested? {{user.first_name}}")
	ana.click(t, tid("template-create"))
	ana.waitCount(t, tid("template-row"), 1)
	var tmpls struct{ Templates []inbox.Template }
	apiAna.call("GET", "/api/templates", nil, 200, &tmpls)
	if len(tmpls.Templates) != 1 {
		t.Fatalf("templates %+v; want the one Ana saved", tmpls.Templates)
	}
	tmpl := tmpls.Templates[0]
	// Edit: the form takes the row's template, and saves it in place.
	ana.click(t, tid("template-edit"))
	ana.waitEq(t, "the form edits the template", `document.querySelector(`+jsq(tid("template-name"))+`).value`, "Still interested")
	ana.fill(t, tid("template-name"), "Still interested?")
	ana.click(t, tid("template-create"))
	ana.waitContains(t, tid("template-row"), "Still interested?")
	apiAna.call("GET", "/api/templates", nil, 200, &tmpls)
	if len(tmpls.Templates) != 1 || tmpls.Templates[0].Name != "Still interested?" || tmpls.Templates[0].Body != tmpl.Body {
		t.Fatalf("templates after the edit %+v; want the one, renamed, its text kept", tmpls.Templates)
	}
	tmpl = tmpls.Templates[0]

	ana.click(t, tid("nav-candidates"))
	ana.waitEq(t, "the Candidate Pool", `document.querySelector('main').dataset.page`, "candidates")

	// The template picker renders the template for Noah, live, with its
	// counter, into the composer.
	ana.click(t, row("Noah Kim")+" "+tid("sms-icon"))
	ana.waitModal(t)
	picker := tid("sms-modal") + " " + tid("template-picker")
	ana.waitAttr(t, picker, "data-loaded", "true")
	ana.eval(t, `(s => { s.value = '`+itoa(tmpl.ID)+`'; s.dispatchEvent(new Event('change', { bubbles: true })) })(document.querySelector(`+jsq(picker)+`))`)
	ana.waitAttr(t, tid("template-preview"), "data-state", "ok")
	want := "Hi Noah, are you still interested? Ana"
	ana.waitContains(t, tid("template-preview"), want)
	ana.waitAttr(t, tid("template-preview"), "data-encoding", "GSM-7")
	ana.waitAttr(t, tid("template-preview"), "data-segments", "1")
	ana.waitEq(t, "the composer holds the rendered template", `document.querySelector(`+jsq(tid("sms-compose"))+`).value`, want)

	// Curly quotes and a dash: the suggestion under the counter makes the
	// text GSM-7.
	ana.fill(t, tid("sms-compose"), "It\u2019s on \u2014 see you Monday")
	ana.waitAttr(t, tid("sms-segments"), "data-encoding", "UCS-2")
	ana.waitVisible(t, tid("plain-characters"))
	ana.click(t, tid("plain-characters-use"))
	ana.waitEq(t, "the plain text", `document.querySelector(`+jsq(tid("sms-compose"))+`).value`, "It's on - see you Monday")
	ana.waitAttr(t, tid("sms-segments"), "data-encoding", "GSM-7")
	ana.waitEq(t, "the suggestion is gone", `document.querySelector(`+jsq(tid("plain-characters"))+`).hidden`, "true")

	// Scheduled (an hour ahead, the default), shown in the thread, then
	// canceled there.
	ana.click(t, tid("schedule-toggle"))
	ana.waitVisible(t, tid("schedule-at"))
	ana.waitText(t, tid("sms-send"), "Schedule")
	ana.click(t, tid("sms-send"))
	scheduled := tid("thread-message") + `[data-status="scheduled"]`
	ana.waitCount(t, scheduled, 1)
	ana.waitContains(t, scheduled+" "+tid("scheduled-badge"), "Scheduled for")
	ana.click(t, scheduled+" "+tid("cancel-scheduled"))
	canceled := tid("thread-message") + `[data-status="canceled"]`
	ana.waitCount(t, canceled, 1)
	ana.waitCount(t, scheduled, 0)
	var hist struct{ Messages []inbox.Message }
	apiAna.call("GET", "/api/contacts/"+itoa(id("Noah Kim"))+"/messages", nil, 200, &hist)
	if n := len(hist.Messages); n == 0 || hist.Messages[n-1].Status != inbox.StatusCanceled || hist.Messages[n-1].Body != "It's on - see you Monday" {
		t.Errorf("Noah's last message %+v; want the scheduled text, canceled", hist.Messages)
	}
	ana.closeModal(t)

	// Bulk: three rows selected, one of whom (Liam) never opted in: the
	// skip list says so before anything is sent; then the bar fills.
	for _, name := range []string{"James Chen", "Tom Becker", "Liam Garcia"} {
		ana.click(t, row(name)+" "+tid("row-select"))
	}
	ana.waitText(t, tid("bulk-open"), "Text 3 selected")
	ana.click(t, tid("bulk-open"))
	ana.waitVisible(t, tid("bulk-modal"))
	ana.typeInto(t, tid("bulk-body"), "Open day on Friday at 10. Reply YES to book a slot.")
	ana.click(t, tid("bulk-check"))
	ana.waitAttr(t, tid("bulk-skips"), "data-skipped", "1")
	ana.waitAttr(t, tid("bulk-skip"), "data-reason", "no_consent")
	ana.waitContains(t, tid("bulk-skip"), "Liam Garcia")
	ana.waitText(t, tid("bulk-send"), "Send to 2")
	ana.click(t, tid("bulk-send"))
	ana.waitVisible(t, tid("bulk-progress"))
	ana.waitAttr(t, tid("bulk-progress"), "data-percent", "100")
	ana.waitAttr(t, tid("bulk-progress"), "data-live", "true") // fed by bulk.progress, not only the slow poll
	for _, name := range []string{"James Chen", "Tom Becker"} {
		apiAna.call("GET", "/api/contacts/"+itoa(id(name))+"/messages", nil, 200, &hist)
		n := len(hist.Messages)
		if n == 0 || hist.Messages[n-1].BulkID == nil || !strings.HasPrefix(hist.Messages[n-1].Body, "Open day on Friday") {
			t.Errorf("%s's last message %+v; want the bulk text", name, hist.Messages)
		}
	}
	if errs := ana.takeErrors(); len(errs) > 0 {
		t.Errorf("browser errors: %q", errs)
	}
}

// Resend in the browser, through the fake Plivo API: a text Plivo reports
// failed shows "Resend"; the click sends it again as a new text.
func TestBrowserResend(t *testing.T) {
	browser(t)
	f := newPlivoFixture(t, nil)
	m, _ := f.send(t, "Can you call me back?", "", 202)
	eventually(t, wait, "Plivo gets the text", func() bool { return len(f.fake.Creates()) == 1 })
	form := url.Values{"MessageUUID": {f.fake.Creates()[0].MessageUUID}, "Status": {"failed"}, "ErrorCode": {"30"}}
	if code := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(m.ID), form, nil); code != 200 {
		t.Fatalf("report: %d", code)
	}
	sc := newScene(t, f.s)
	ana := sc.loginWith(t, "ana", "ana@acme.test", "correct horse")
	ana.click(t, fmt.Sprintf(`%s[data-contact-id="%d"] %s`, tid("contact-row"), f.contact.ID, tid("sms-icon")))
	ana.waitModal(t)
	failed := fmt.Sprintf(`%s[data-message-id="%d"]`, tid("thread-message"), m.ID)
	ana.waitAttr(t, failed, "data-status", "failed")
	ana.click(t, failed+" "+tid("resend"))
	ana.waitCount(t, tid("thread-message")+`[data-direction="outbound"]`, 2)
	eventually(t, wait, "Plivo gets the resend", func() bool { return len(f.fake.Creates()) == 2 })
	if got := f.fake.Creates()[1].Text; got != "Can you call me back?" {
		t.Errorf("resent %q", got)
	}
	if errs := ana.takeErrors(); len(errs) > 0 {
		t.Errorf("browser errors: %q", errs)
	}
}
