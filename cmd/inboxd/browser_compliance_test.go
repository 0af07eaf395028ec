package main

// Browser tests of consent and quiet hours: what a recruiter sees of a text
// held by quiet hours, of a possible opt-out and its review, and of a
// contact's consent history. The demo company keeps its default quiet hours
// here, and the server's clock reads 3 AM in San Francisco, where the demo
// candidates live.

import (
	"fmt"
	"testing"
	"time"

	"smsinbox/pkg/clock"
)

func TestBrowserCompliance(t *testing.T) {
	browser(t)
	clk := clock.NewFake(localToday(t, "America/Los_Angeles", 0, 3, 0))
	srv := startServer(t, map[string]string{"INBOX_DEMO": "1"}, withClock(clk))
	sc := newScene(t, srv)
	ids := map[string]int64{}
	var list struct {
		Contacts []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"contacts"`
	}
	srv.login(t, "admin@demo.test", demoPassword).call("GET", "/api/contacts?limit=200", nil, 200, &list)
	for _, c := range list.Contacts {
		ids[c.Name] = c.ID
	}
	ana := sc.login(t, "ana", "ana@demo.test")
	text := func(from, body string) {
		t.Helper()
		srv.client(t).call("POST", "/api/dev/phone", map[string]string{"from": from, "to": recruitingNumber, "text": body}, 202, nil)
	}
	const noah, noahPhone = "Noah Kim", "+14155550130"
	icon := fmt.Sprintf(`%s[data-contact-id="%d"] %s`, tid("contact-row"), ids[noah], tid("sms-icon"))

	t.Run("HeldUntilMorning", func(t *testing.T) {
		sc.watch(t)
		pool(t, ana)
		ana.click(t, icon)
		ana.waitModal(t)
		ana.typeInto(t, tid("sms-compose"), "Hi Noah, are you free for a call today?")
		ana.click(t, tid("sms-send"))
		ana.waitContains(t, tid("sms-thread")+" "+tid("held-notice"), "Held until 8:00 AM candidate's time")
		ana.waitPresent(t, tid("thread-message")+`[data-status="scheduled"]`)
		ana.closeModal(t)
		ana.openWidget(t)
		ana.waitContains(t, ana.inboxItem(t, noah)+" "+tid("held-notice"), "Held until 8:00 AM candidate's time")
		// Morning: the text goes, and the notice leaves the item live.
		clk.Set(localToday(t, "America/Los_Angeles", 0, 8, 0).Add(time.Second))
		ana.waitCount(t, ana.inboxItem(t, noah)+" "+tid("held-notice"), 0)
	})

	t.Run("ReviewBanner", func(t *testing.T) {
		sc.watch(t)
		pool(t, ana)
		text(noahPhone, "please stop texting me")
		ana.openWidget(t)
		item := ana.inboxItem(t, noah)
		ana.waitPresent(t, item+" "+tid("review-banner"))
		ana.click(t, item+" "+tid("inbox-open"))
		ana.waitModal(t)
		ana.waitContains(t, tid("sms-modal")+" "+tid("review-banner"), "Possible opt-out — review")
		// Sending is refused while it waits, in words.
		ana.typeInto(t, tid("sms-compose"), "Sorry, one more thing")
		ana.click(t, tid("sms-send"))
		ana.waitContains(t, tid("sms-error"), "Possible opt-out")
		ana.click(t, tid("sms-modal")+" "+tid("review-keep"))
		ana.waitCount(t, tid("sms-modal")+" "+tid("review-banner"), 0)
		ana.closeModal(t)
		ana.openWidget(t)
		ana.waitCount(t, ana.inboxItem(t, noah)+" "+tid("review-banner"), 0)
	})

	t.Run("ConsentHistory", func(t *testing.T) {
		sc.watch(t)
		ana.visit(t, fmt.Sprintf("/candidates/%d", ids[noah]))
		history := tid("consent-history")
		ana.waitPresent(t, history+` [data-source="application"]`)
		ana.waitPresent(t, history+` [data-source="review"][data-state="opted_in"]`)
		ana.waitCount(t, tid("review-banner"), 0)
		// A second request to stop, decided from the profile.
		text(noahPhone, "Don't text me again.")
		ana.waitContains(t, "main "+tid("review-banner"), "Possible opt-out — review")
		ana.click(t, "main "+tid("review-optout"))
		ana.waitCount(t, "main "+tid("review-banner"), 0)
		ana.waitPresent(t, history+` [data-source="review"][data-state="opted_out"]`)
		ana.waitAttr(t, tid("contact-consent"), "data-consent", "opted_out")

		// Liam was never asked: the profile offers to ask by text.
		ana.visit(t, fmt.Sprintf("/candidates/%d", ids["Liam Garcia"]))
		ana.click(t, tid("ask-consent"))
		ana.waitContains(t, tid("ask-consent-status"), "Consent request sent") // it is morning now
		ana.waitPresent(t, history+` [data-source="request"]`)
	})
}
