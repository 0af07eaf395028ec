package main

import (
	"testing"
	"time"

	"smsinbox/pkg/plivo/plivotest"
)

// TestBrowserMissedText: what a recruiter sees of a text Plivo took while
// its webhook reached nobody. Found in Plivo's records, it raises her bell
// live; the inbox item and the thread say plainly that a text was missed
// and its words are lost, with "call or text them" as the way forward, and
// the review banner says why the contact is under review. When the late
// webhook brings the words, they replace the notice in place and the
// review ends.
func TestBrowserMissedText(t *testing.T) {
	browser(t)
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	s := startServer(t, backfillEnv(t, map[string]string{"INBOX_PLIVO_BACKFILL": "1s"}, fake))
	w := newMissedWorld(t, s)
	sc := newScene(t, s)
	ana := sc.loginWith(t, "ana", "ana@acme.test", "correct horse")

	// Casey texted two minutes ago; the webhook never came.
	uuid := fake.Receive(w.casey.Phone, w.numbers[0].E164, time.Now().Add(-2*time.Minute))
	ana.waitUnread(t, 1)
	ana.openWidget(t)
	item := ana.inboxItem(t, "Casey")
	ana.waitAttr(t, item, "data-missed", "true")
	ana.waitContains(t, item, "while the server was down")
	ana.waitContains(t, item+" "+tid("review-banner"), "A text from them was missed")
	ana.click(t, item+" "+tid("inbox-open"))
	ana.waitModal(t)
	missed := tid("thread-message") + `[data-missed="true"]`
	ana.waitCount(t, missed, 1)
	ana.waitContains(t, missed, "Text missed at ")
	ana.waitContains(t, missed, "while the server was down — Plivo keeps no copy of its words. Call or text them.")
	ana.waitContains(t, tid("sms-modal")+" "+tid("review-banner"), "Plivo keeps no copy of its words, so it may have asked to stop")

	// The late webhook: the words take the notice's place.
	if code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm(w.casey.Phone, w.numbers[0].E164, "Yes, still interested!", uuid), nil); code != 200 {
		t.Fatalf("late webhook: got %d, want 200", code)
	}
	ana.waitCount(t, missed, 0)
	ana.waitCount(t, tid("thread-message"), 1)
	ana.waitContains(t, tid("thread-message"), "Yes, still interested!")
	ana.waitCount(t, tid("sms-modal")+" "+tid("review-banner"), 0)
	ana.closeModal(t)
	ana.openWidget(t)
	ana.waitContains(t, item, "Yes, still interested!")
	ana.waitEq(t, "the item is missed no more", `document.querySelector(`+jsq(item)+`).hasAttribute('data-missed')`, "false")
}
