package main

// Browser tests of the web UI against the real inboxd: store, hub,
// outbox, the Plivo simulator and the embedded UI, driven through headless
// Chromium. The people are the demo company's: Ana and Ben, assigned to
// "Recruiting" (+14155550100), and Cy, assigned to "Warehouse"
// (+14155550111), each signed in in a browser context of their own; the
// candidates text from the simulator's phone. Elements are found only by
// the data-testid hooks (and static/README.md's extra hooks).

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"smsinbox/pkg/inbox"
)

const (
	recruitingNumber = "+14155550100"
	warehouseNumber  = "+14155550111"
)

// The plain-words refusal, as the modal shows it.
const optedOutText = "This candidate has opted out of text messages — email or call them instead."

// demoScene is the demo company on one server, with Ana, Ben and Cy signed
// in and looking at the Candidate Pool.
type demoScene struct {
	*scene
	ana, ben, cy *tab
	contacts     map[string]int64 // id by name
}

func newDemoScene(t *testing.T) *demoScene {
	t.Helper()
	browser(t) // skips (or fails under CI) before starting a server for nothing
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1"})
	d := &demoScene{scene: newScene(t, srv), contacts: map[string]int64{}}
	var list struct {
		Contacts []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"contacts"`
	}
	admin := srv.login(t, "admin@demo.test", demoPassword)
	// Quiet hours off: these tests must not depend on the time of day.
	admin.call("PUT", "/api/company", map[string]any{"quiet_hours": nil}, 200, nil)
	admin.call("GET", "/api/contacts?limit=200", nil, 200, &list)
	for _, c := range list.Contacts {
		d.contacts[c.Name] = c.ID
	}
	d.ana = d.login(t, "ana", "ana@demo.test")
	d.ben = d.login(t, "ben", "ben@demo.test")
	d.cy = d.login(t, "cy", "cy@demo.test")
	return d
}

// id is the demo contact's id.
func (d *demoScene) id(t *testing.T, name string) int64 {
	t.Helper()
	id, ok := d.contacts[name]
	if !ok {
		t.Fatalf("no demo contact %q", name)
	}
	return id
}

// row is the CSS selector of the contact's row in a list.
func (d *demoScene) row(t *testing.T, name string) string {
	t.Helper()
	return fmt.Sprintf(`%s[data-contact-id="%d"]`, tid("contact-row"), d.id(t, name))
}

// icon is the CSS selector of the contact's SMS icon in its row.
func (d *demoScene) icon(t *testing.T, name string) string {
	t.Helper()
	return d.row(t, name) + " " + tid("sms-icon")
}

// textFromPhone texts a company number from a candidate's phone through
// the simulator (the real signed webhook path).
func (d *demoScene) textFromPhone(t *testing.T, from, to, text string) {
	t.Helper()
	d.srv.client(t).call("POST", "/api/dev/phone", map[string]string{"from": from, "to": to, "text": text}, 202, nil)
}

// waitRead waits until the contact's thread has no unread message in the
// user's inbox, as the server sees it.
func (d *demoScene) waitRead(t *testing.T, email, contact string) {
	t.Helper()
	c := d.srv.login(t, email, demoPassword)
	eventually(t, wait, contact+"'s thread is read", func() bool {
		var in struct {
			Threads []struct {
				UnreadCount int `json:"unread_count"`
				Contact     struct {
					Name string `json:"name"`
				} `json:"contact"`
			} `json:"threads"`
		}
		c.call("GET", "/api/inbox", nil, 200, &in)
		for _, th := range in.Threads {
			if th.Contact.Name == contact && th.UnreadCount > 0 {
				return false
			}
		}
		return true
	})
}

// pool loads the Candidate Pool afresh in each tab; the tabs are then
// marked, so that noReload can tell that what follows came live.
func pool(t *testing.T, tabs ...*tab) {
	t.Helper()
	for _, tb := range tabs {
		tb.visit(t, "/")
		tb.waitEq(t, "the Candidate Pool", `document.querySelector('main').dataset.page`, "candidates")
		tb.markPage(t)
	}
}

// markPage leaves a mark in the page's window: a reload would wipe it.
func (tb *tab) markPage(t *testing.T) {
	t.Helper()
	tb.eval(t, `window.smsinboxTestMark = true`)
}

// noReload fails unless the page marked by markPage is still the same.
func (tb *tab) noReload(t *testing.T) {
	t.Helper()
	if got := tb.eval(t, `window.smsinboxTestMark === true`); got != "true" {
		t.Fatalf("%s: the page was reloaded (or never marked): mark %s, want true", tb.name, got)
	}
}

// openWidget opens the inbox widget from the bell.
func (tb *tab) openWidget(t *testing.T) {
	t.Helper()
	if tb.eval(t, `document.querySelector(`+jsq(tid("inbox-widget"))+`).hidden`) == "true" {
		tb.click(t, tid("bell"))
	}
	tb.waitVisible(t, tid("inbox-widget"))
}

// inboxItem is the CSS selector of the widget's item for the contact's
// thread (waiting until there is one).
func (tb *tab) inboxItem(t *testing.T, contact string) string {
	t.Helper()
	expr := `[...document.querySelectorAll(` + jsq(tid("inbox-item")) + `)].find(e => e.textContent.includes(` + jsq(contact) + `))?.dataset.threadId ?? ''`
	tb.waitFunc(t, "an inbox item for "+contact, expr, func(v string) bool { return v != "" }, "a thread id")
	return fmt.Sprintf(`%s[data-thread-id="%s"]`, tid("inbox-item"), tb.eval(t, expr))
}

// inboxTexts is the text of every item of the widget, one per line.
func (tb *tab) inboxTexts(t *testing.T) []string {
	t.Helper()
	v := tb.eval(t, `[...document.querySelectorAll(`+jsq(tid("inbox-item"))+`)].map(e => e.textContent.replace(/\s+/g, ' ')).join('\n')`)
	if v == "" {
		return nil
	}
	return strings.Split(v, "\n")
}

// waitModal waits until the SMS modal is open and done loading its thread.
func (tb *tab) waitModal(t *testing.T) {
	t.Helper()
	tb.waitEq(t, "the SMS modal is open", `document.querySelector(`+jsq(tid("sms-modal"))+`)?.open`, "true")
	tb.waitAttr(t, tid("sms-thread"), "aria-busy", "false")
}

// closeModal closes the SMS modal with its close button.
func (tb *tab) closeModal(t *testing.T) {
	t.Helper()
	tb.click(t, tid("sms-close"))
	tb.waitEq(t, "the SMS modal is closed", `!!document.querySelector(`+jsq(tid("sms-modal"))+`)?.open`, "false")
}

// TestBrowser walks the UI's acceptance checks in the browser, on one server:
// each subtest uses demo contacts of its own and starts from freshly loaded
// pages, so they do not depend on one another, and counts relative to what
// the bells showed when it started.
func TestBrowser(t *testing.T) {
	d := newDemoScene(t)
	for _, st := range []struct {
		name string
		run  func(*testing.T, *demoScene)
	}{
		{"ReplyRaisesBothAssigneesBells", testReplyRaisesBells},
		{"FirstMessageTurnsIconGreenLive", testIconTurnsGreen},
		{"ReadClearsTheBellForAll", testReadClearsBell},
		{"SendShowsDeliveryTicks", testSendTicks},
		{"OptOut", testOptOut},
		{"NumbersAreIsolated", testIsolation},
		{"TypingIndicator", testTyping},
		{"NarrowScreen", testNarrowScreen},
	} {
		t.Run(st.name, func(t *testing.T) {
			d.watch(t)
			st.run(t, d)
		})
	}
}

// A reply texted from the candidate phone page raises the bell by
// one in both assignees' tabs, live, and not in Cy's (another number); a
// reply to Cy's number raises only Cy's.
func testReplyRaisesBells(t *testing.T, d *demoScene) {
	ana, ben, cy := d.ana, d.ben, d.cy
	pool(t, ana, ben, cy)
	before, cyBefore := ana.unread(t), cy.unread(t)
	ana.waitUnread(t, before) // the title and the badge agree with the count
	ben.waitUnread(t, before) // both assignees see the same threads
	cy.waitUnread(t, cyBefore)

	phone := d.open(t, "phone")
	phone.do(t, "open the candidate phone", chromedp.Navigate(phone.base+"/dev/phone"))
	phone.waitEq(t, "the company numbers to text", `[...document.querySelector(`+jsq(tid("sim-to"))+`).options].map(o => o.value).sort().join(' ')`,
		recruitingNumber+" "+warehouseNumber)
	phone.fill(t, tid("sim-from"), "+14155550125") // over the phone the page suggests
	phone.do(t, "text Recruiting from Priya's phone",
		chromedp.SetValue(chromedp.CSS(tid("sim-to")), recruitingNumber),
		chromedp.SendKeys(chromedp.CSS(tid("sim-text")), "Hi! Is the nurse job still open?"),
		chromedp.Click(chromedp.CSS(tid("sim-send"))))
	phone.waitContains(t, tid("sim-message")+`[data-direction="from_phone"]`, "Hi! Is the nurse job still open?")
	phone.waitEq(t, "the send error", `document.querySelector(`+jsq(tid("sim-error"))+`).hidden`, "true")

	ana.waitUnread(t, before+1)
	ben.waitUnread(t, before+1)
	ana.noReload(t)
	ben.noReload(t)
	// Cy is told the contact changed (Priya's icon turns green in every
	// pool), so Cy's tab has seen this reply happen, and its bell stayed.
	cy.waitAttr(t, d.icon(t, "Priya Patel"), "data-state", "green")
	if got := cy.unread(t); got != cyBefore {
		t.Errorf("cy: bell after a reply to Recruiting: got %d, want %d", got, cyBefore)
	}
	cy.openWidget(t)
	for _, item := range cy.inboxTexts(t) {
		if strings.Contains(item, "Priya") {
			t.Errorf("cy: inbox widget shows Recruiting's thread %q", item)
		}
	}

	// A reply to Warehouse: only Cy's bell.
	d.textFromPhone(t, "+14155550126", warehouseNumber, "Tom here, I can take the Saturday shift.")
	cy.waitUnread(t, cyBefore+1)
	cy.waitPresent(t, cy.inboxItem(t, "Tom Becker")) // the open widget follows live
	ana.waitAttr(t, d.icon(t, "Tom Becker"), "data-state", "green")
	ben.waitAttr(t, d.icon(t, "Tom Becker"), "data-state", "green")
	if got := ana.unread(t); got != before+1 {
		t.Errorf("ana: bell after a reply to Warehouse: got %d, want %d", got, before+1)
	}
	if got := ben.unread(t); got != before+1 {
		t.Errorf("ben: bell after a reply to Warehouse: got %d, want %d", got, before+1)
	}
	cy.noReload(t)
}

// A contact with no messages has a blue icon; Ana's first text to
// them turns it green in Ben's open Candidate Pool, and in Cy's (who is not
// on the number), without a reload.
func testIconTurnsGreen(t *testing.T, d *demoScene) {
	ana, ben, cy := d.ana, d.ben, d.cy
	pool(t, ana, ben, cy)
	icon := d.icon(t, "Aisha Khan")
	for _, tb := range []*tab{ana, ben, cy} {
		tb.waitAttr(t, icon, "data-state", "blue")
	}
	// The pool as the README shows it: green, blue and no icons.
	ana.readmeScreenshot(t, "pool.png")

	ana.click(t, icon)
	ana.waitModal(t)
	ana.typeInto(t, tid("sms-compose"), "Hi Aisha, thanks for applying! When could you talk?")
	ana.click(t, tid("sms-send"))
	ana.waitCount(t, tid("thread-message")+`[data-direction="outbound"]`, 1)

	ben.waitAttr(t, icon, "data-state", "green")
	cy.waitAttr(t, icon, "data-state", "green")
	ben.noReload(t)
	cy.noReload(t)
	ana.closeModal(t)
	ana.waitAttr(t, icon, "data-state", "green")
}

// Ana opens a new reply from her inbox widget; Ben's bell goes back
// to what it showed before the reply, live; Ben's widget says Ana read it;
// Ben marks it unread, and both bells go up again.
func testReadClearsBell(t *testing.T, d *demoScene) {
	ana, ben := d.ana, d.ben
	pool(t, ana, ben)
	before := ana.unread(t)
	ben.waitUnread(t, before)

	d.textFromPhone(t, "+14155550129", recruitingNumber, "Emma here — is my start date still the 3rd?")
	ana.waitUnread(t, before+1)
	ben.waitUnread(t, before+1)

	ana.openWidget(t)
	item := ana.inboxItem(t, "Emma Wilson")
	ana.waitAttr(t, item, "data-unread", "1")
	ana.click(t, item+" "+tid("inbox-open"))
	ana.waitModal(t)
	ana.waitContains(t, tid("thread-message")+`[data-direction="inbound"]`, "Emma here — is my start date still the 3rd?")

	ben.waitUnread(t, before)
	ana.waitUnread(t, before)
	ben.noReload(t)

	ben.openWidget(t)
	ben.waitFunc(t, "Ben's widget says who read it", `document.querySelector(`+jsq(item+" "+tid("read-by"))+`)?.textContent ?? ''`,
		func(v string) bool { return strings.HasPrefix(v, "Read by Ana Ruiz") }, `"Read by Ana Ruiz…"`)
	// The bell with its widget open, as the README shows it.
	ben.readmeScreenshot(t, "bell.png")

	ana.closeModal(t)
	ben.click(t, item+" "+tid("mark-unread"))
	ben.waitUnread(t, before+1)
	ana.waitUnread(t, before+1)
	ben.waitAttr(t, item, "data-unread", "1")
	ben.waitCount(t, item+" "+tid("read-by"), 0)
	ana.noReload(t)
}

// A text sent from the modal shows as an outbound message that goes
// queued → … → delivered live, and the composer counts characters,
// encoding and segments by the server's own rule.
func testSendTicks(t *testing.T, d *demoScene) {
	ana, ben := d.ana, d.ben
	pool(t, ana, ben)
	before := ana.unread(t)

	ana.click(t, d.icon(t, "Diego Santos"))
	ana.waitModal(t)
	body := "Hi Diego — the forklift job is yours if you want it. Can you start Monday at 7am?"
	ana.typeInto(t, tid("sms-compose"), body)
	chars, segments, encoding := inbox.CountSegments(body)
	want := fmt.Sprintf("%d characters · %s · %d segment", chars, encoding, segments)
	if segments != 1 {
		want += "s"
	}
	ana.waitText(t, tid("sms-segments"), want)
	ana.waitAttr(t, tid("sms-segments"), "data-encoding", encoding)
	ana.waitAttr(t, tid("sms-segments"), "data-segments", strconv.Itoa(segments))

	// Record every status the outbound message shows, from the moment it
	// appears: the simulator is quick, so the steps are not polled but kept.
	ana.eval(t, `(() => {
		window.seenStatuses = [];
		const note = (el) => {
			const s = el.getAttribute('data-status');
			if (el.dataset.direction === 'outbound' && window.seenStatuses.at(-1) !== s) window.seenStatuses.push(s);
		};
		new MutationObserver((records) => {
			for (const r of records) {
				if (r.type === 'attributes') note(r.target);
				for (const n of r.addedNodes) if (n.matches?.('[data-testid="thread-message"]')) note(n);
			}
		}).observe(document.querySelector('[data-testid="sms-thread"]'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
	})()`)
	ana.click(t, tid("sms-send"))
	out := tid("thread-message") + `[data-direction="outbound"]`
	ana.waitCount(t, out, 1)
	ana.waitEq(t, "the compose box after sending", `document.querySelector(`+jsq(tid("sms-compose"))+`).value`, "")
	ana.waitAttr(t, out, "data-status", "delivered")
	ana.waitText(t, out+" "+tid("message-status"), "✓✓Delivered")
	seen := ana.eval(t, `window.seenStatuses.join(' → ')`)
	if !strings.HasPrefix(seen, "queued → ") || !strings.HasSuffix(seen, " → delivered") || strings.Count(seen, "queued") != 1 {
		t.Errorf("ana: the statuses the message showed: got %q, want queued → … → delivered", seen)
	}
	t.Logf("statuses shown: %s", seen)

	// Diego answers in the open modal, which marks it read for everyone.
	d.textFromPhone(t, "+14155550128", recruitingNumber, "Yes! Monday at 7 works for me.")
	ana.waitContains(t, tid("thread-message")+`[data-direction="inbound"]`, "Yes! Monday at 7 works for me.")
	ana.waitUnread(t, before)
	ben.waitUnread(t, before)

	// A draft for the counter, then the modal as the README shows it.
	draft := "Great, see you Monday! Please bring your ID — and safety boots."
	ana.typeInto(t, tid("sms-compose"), draft)
	_, segments, encoding = inbox.CountSegments(draft)
	ana.waitAttr(t, tid("sms-segments"), "data-encoding", encoding)
	ana.waitAttr(t, tid("sms-segments"), "data-segments", strconv.Itoa(segments))
	ana.readmeScreenshot(t, "modal.png")
	ana.closeModal(t)
}

// No icon for an opted-out contact (nor one never asked); STOP
// from a contact's phone removes their icon live in every open pool;
// sending to an opted-out contact is refused in plain words.
func testOptOut(t *testing.T, d *demoScene) {
	ana, cy := d.ana, d.cy
	pool(t, ana, cy)
	for _, name := range []string{"Olivia Brown", "Liam Garcia"} {
		ana.waitPresent(t, d.row(t, name))
		ana.waitCount(t, d.icon(t, name), 0)
	}
	ana.waitPresent(t, d.icon(t, "Noah Kim"))
	cy.waitPresent(t, d.icon(t, "Noah Kim"))

	d.textFromPhone(t, "+14155550130", recruitingNumber, "STOP")
	ana.waitCount(t, d.icon(t, "Noah Kim"), 0)
	cy.waitCount(t, d.icon(t, "Noah Kim"), 0)
	ana.noReload(t)
	cy.noReload(t)

	// Olivia's thread is still in the widget: open it and try to text her.
	ana.openWidget(t)
	ana.click(t, ana.inboxItem(t, "Olivia Brown")+" "+tid("inbox-open"))
	ana.waitModal(t)
	msgs := ana.eval(t, `document.querySelectorAll(`+jsq(tid("thread-message"))+`).length`)
	ana.typeInto(t, tid("sms-compose"), "Hi Olivia, one more question about the nurse role")
	ana.click(t, tid("sms-send"))
	ana.waitVisible(t, tid("sms-error"))
	ana.waitText(t, tid("sms-error"), optedOutText)
	ana.waitEq(t, "the send button is usable again", `document.querySelector(`+jsq(tid("sms-send"))+`).textContent`, "Send")
	ana.waitEq(t, "the messages in the thread", `document.querySelectorAll(`+jsq(tid("thread-message"))+`).length`, msgs)
	ana.closeModal(t)
}

// A recruiter never sees another number's thread, in the widget, the
// profile's history or the modal.
func testIsolation(t *testing.T, d *demoScene) {
	for _, c := range []struct {
		who                      *tab
		mine, theirs             string // number labels
		ownContact, otherContact string // a contact with history on mine / on theirs only
		ownText, otherText       string // a message of each
	}{
		{d.cy, "Warehouse", "Recruiting", "James Chen", "Maria Lopez", "Great, see you Monday!", "Yes, after 2pm works for me."},
		{d.ana, "Recruiting", "Warehouse", "Maria Lopez", "James Chen", "Yes, after 2pm works for me.", "Great, see you Monday!"},
	} {
		tb := c.who
		pool(t, tb)
		tb.openWidget(t)
		items := tb.inboxTexts(t)
		if len(items) == 0 {
			t.Errorf("%s: inbox widget: got no items, want %s's threads", tb.name, c.mine)
		}
		for _, item := range items {
			if !strings.Contains(item, c.mine) || strings.Contains(item, c.theirs) {
				t.Errorf("%s: inbox widget item %q: want only %s threads", tb.name, item, c.mine)
			}
		}

		history := func(contact string) string {
			tb.visit(t, fmt.Sprintf("/candidates/%d", d.id(t, contact)))
			tb.click(t, tid("sms-history-toggle"))
			tb.waitVisible(t, tid("sms-history"))
			tb.waitAttr(t, tid("sms-history"), "aria-busy", "false")
			return tb.eval(t, `document.querySelector(`+jsq(tid("sms-history"))+`).textContent`)
		}
		if h := history(c.ownContact); !strings.Contains(h, c.ownText) {
			t.Errorf("%s: %s's history: got %q, want it to hold %q", tb.name, c.ownContact, h, c.ownText)
		}
		h := history(c.otherContact)
		if strings.Contains(h, c.otherText) || strings.Contains(h, c.theirs) {
			t.Errorf("%s: %s's history shows %s's messages: %q", tb.name, c.otherContact, c.theirs, h)
		}
		tb.waitCount(t, tid("history-message"), 0)

		tb.click(t, tid("contact-phone")+" "+tid("sms-icon"))
		tb.waitModal(t)
		tb.waitCount(t, tid("thread-message"), 0)
		if m := tb.eval(t, `document.querySelector(`+jsq(tid("sms-modal"))+`).textContent`); strings.Contains(m, c.otherText) {
			t.Errorf("%s: %s's modal shows %s's messages: %q", tb.name, c.otherContact, c.theirs, m)
		}
		tb.closeModal(t)
	}
}

// What Ana types in a thread shows as "Ana is typing…" to Ben, who has
// the same thread open.
func testTyping(t *testing.T, d *demoScene) {
	ana, ben := d.ana, d.ben
	pool(t, ana, ben)
	for _, tb := range []*tab{ben, ana} {
		tb.click(t, d.icon(t, "Maria Lopez"))
		tb.waitModal(t)
		tb.waitFunc(t, "Maria's thread", `document.querySelectorAll(`+jsq(tid("thread-message"))+`).length`,
			func(v string) bool { n, _ := strconv.Atoi(v); return n >= 2 }, "at least 2 messages")
	}
	ben.waitEq(t, "the typing indicator before Ana types", `document.querySelector(`+jsq(tid("typing-indicator"))+`).hidden`, "true")
	ana.typeInto(t, tid("sms-compose"), "Let me check the calendar")
	ben.waitVisible(t, tid("typing-indicator"))
	ben.waitText(t, tid("typing-indicator"), "Ana Ruiz is typing…")
	if got := ana.eval(t, `document.querySelector(`+jsq(tid("typing-indicator"))+`).hidden`); got != "true" {
		t.Errorf("ana: her own typing shows to her: hidden = %s, want true", got)
	}
	// Opening Maria's thread marked it read: let that land before
	// another test counts unread threads.
	d.waitRead(t, "ana@demo.test", "Maria Lopez")
	ana.closeModal(t)
	ben.closeModal(t)
}

// The 360 px layout: the pool fits without sideways scrolling, and a text
// can be sent from the modal, which fits the screen.
func testNarrowScreen(t *testing.T, d *demoScene) {
	ben := d.login(t, "ben-360px", "ben@demo.test")
	ben.do(t, "a 360×740 screen", chromedp.EmulateViewport(360, 740))
	pool(t, ben)
	noSideways := `document.documentElement.scrollWidth <= window.innerWidth`
	ben.waitEq(t, "the page scrolls sideways", noSideways, "true")
	icon := d.icon(t, "Tom Becker")
	ben.waitVisible(t, icon)
	ben.waitEq(t, "the icon is on screen", `(r => r.left >= 0 && r.right <= 360)(document.querySelector(`+jsq(icon)+`).getBoundingClientRect())`, "true")

	ben.click(t, icon)
	ben.waitModal(t)
	fits := func(sel string) string {
		return `(r => r.width > 0 && r.left >= 0 && r.right <= 360 && r.top >= 0 && r.bottom <= 740)(document.querySelector(` + jsq(sel) + `).getBoundingClientRect())`
	}
	for _, sel := range []string{tid("sms-modal"), tid("sms-compose"), tid("sms-send"), tid("sms-segments"), tid("sms-close")} {
		ben.waitEq(t, sel+" fits the screen", fits(sel), "true")
	}
	ben.typeInto(t, tid("sms-compose"), "Hi Tom, Saturday is yours. Thanks!")
	ben.click(t, tid("sms-send"))
	ben.waitCount(t, tid("thread-message")+`[data-direction="outbound"]`, 1)
	ben.closeModal(t)

	ben.openWidget(t)
	ben.waitEq(t, "the inbox widget fits the screen", fits(tid("inbox-widget")), "true")
	ben.waitEq(t, "the page scrolls sideways with the widget open", noSideways, "true")
}
