package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// Claims, the lapse, filters and search in the browser, on a demo server of
// their own whose clock the test moves: Ana opens a new text from her inbox
// widget and the claim badge appears live in Ben's open widget; when
// claim_minutes pass with no reply both bells rise again; Ben finds the text
// with the header's search, and the hit opens the thread at that message;
// his release hands it back to Ana at once; the widget's filter keeps what
// it says.
func TestBrowserClaimsAndSearch(t *testing.T) {
	browser(t) // skips (or fails under CI) before starting a server for nothing
	clk := clock.NewFake(time.Now())
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1"}, withClock(clk))
	sc := newScene(t, srv)
	ana := sc.login(t, "ana", "ana@demo.test")
	ben := sc.login(t, "ben", "ben@demo.test")
	before := ana.unread(t)
	ben.waitUnread(t, before)

	const text = "Could the interview move to the zeppelin hangar on Friday?"
	srv.client(t).call("POST", "/api/dev/phone", map[string]string{"from": "+14155550125", "to": recruitingNumber, "text": text}, 202, nil)
	ana.waitUnread(t, before+1)
	ben.waitUnread(t, before+1)

	ben.openWidget(t)
	benItem := ben.inboxItem(t, "Priya Patel")
	ben.waitCount(t, benItem+" "+tid("claim-badge"), 0)
	ana.markPage(t)
	ben.markPage(t)

	// Ana opens it: her read claims it, and Ben's widget says so, live.
	ana.openWidget(t)
	anaItem := ana.inboxItem(t, "Priya Patel")
	ana.click(t, anaItem+" "+tid("inbox-open"))
	ana.waitModal(t)
	ben.waitText(t, benItem+" "+tid("claim-badge"), "Ana Ruiz is handling this")
	ben.waitUnread(t, before)
	ben.waitCount(t, benItem+" "+tid("claim-release"), 0) // only Ana (or an admin) may release it
	ben.readmeScreenshot(t, "claim.png")
	modal := tid("sms-modal") + " "
	ana.waitText(t, modal+tid("claim-badge"), "You are handling this")
	ana.waitVisible(t, modal+tid("claim-release"))
	ana.closeModal(t)
	ana.waitText(t, anaItem+" "+tid("claim-badge"), "You are handling this")

	// Nobody replies within claim_minutes: the claim lapses, and both
	// bells rise again.
	threadID, err := strconv.ParseInt(ben.eval(t, `document.querySelector(`+jsq(benItem)+`).dataset.threadId`), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var th struct{ Thread inbox.Thread }
	srv.login(t, "ana@demo.test", demoPassword).call("GET", "/api/threads/"+itoa(threadID)+"/messages", nil, 200, &th)
	if th.Thread.ClaimExpiresAt == nil {
		t.Fatalf("thread %d has no claim after Ana read it", threadID)
	}
	clk.Set(*th.Thread.ClaimExpiresAt)
	ben.waitUnread(t, before+1)
	ana.waitUnread(t, before+1)
	ben.waitCount(t, benItem+" "+tid("claim-badge"), 0)
	ben.waitAttr(t, benItem, "data-unread", "1")
	ana.noReload(t)
	ben.noReload(t)

	// Ben searches for the text from the header; the hit opens its thread
	// at that message, and his reading it claims it.
	ben.click(t, tid("search-input"))
	ben.typeInto(t, tid("search-input"), "zeppel")
	hit := tid("search-result") + `[data-thread-id="` + itoa(threadID) + `"]`
	ben.waitVisible(t, hit)
	ben.waitContains(t, hit, "zeppelin")
	ben.waitEq(t, "the hit's match is marked", `document.querySelector(`+jsq(hit+" mark")+`)?.textContent`, "zeppelin")
	ben.readmeScreenshot(t, "search.png")
	ben.click(t, hit+" button")
	ben.waitModal(t)
	ben.waitAttr(t, `[data-hit="true"]`, "data-direction", "inbound")
	ben.waitContains(t, `[data-hit="true"]`, text)
	ben.waitText(t, modal+tid("claim-badge"), "You are handling this")
	ana.waitText(t, anaItem+" "+tid("claim-badge"), "Ben Okafor is handling this")
	ana.waitUnread(t, before)

	// Ben releases it from the modal: Ana's bell rises at once.
	ben.click(t, modal+tid("claim-release"))
	ana.waitUnread(t, before+1)
	ana.waitCount(t, anaItem+" "+tid("claim-badge"), 0)
	ben.closeModal(t)

	// The widget's filter: unread shows only unread threads; mine only
	// Ana's (she answered Maria in the demo).
	filter := func(tb *tab, value string) {
		tb.eval(t, `(s => { s.value = `+jsq(value)+`; s.dispatchEvent(new Event('change', { bubbles: true })) })(document.querySelector(`+jsq(tid("inbox-filter"))+`))`)
	}
	ana.openWidget(t)
	filter(ana, "unread")
	ana.waitFunc(t, "only unread items", `[...document.querySelectorAll(`+jsq(tid("inbox-item"))+`)].map(e => e.dataset.unread).join(' ')`,
		func(v string) bool { return v != "" && !slices.Contains(strings.Fields(v), "0") }, "every item unread")
	filter(ana, "mine")
	ana.waitFunc(t, "only Ana's items", `[...document.querySelectorAll(`+jsq(tid("inbox-item"))+`)].map(e => e.textContent).join('|')`,
		func(v string) bool {
			return v != "" && !strings.Contains(v, "Priya Patel") && strings.Contains(v, "Maria Lopez")
		}, "Maria's thread, not Priya's")
	filter(ana, "all")
	ana.inboxItem(t, "Priya Patel")
	ana.waitCount(t, tid("inbox-more"), 1) // there, hidden while every thread is loaded
	ana.waitEq(t, "the load-more button is hidden", `document.querySelector(`+jsq(tid("inbox-more"))+`).hidden`, "true")
}
