package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
	"smsinbox/pkg/store/storetest"
)

// backfillEnv is env with the server talking to the fake Plivo, and its
// embedded store (when it uses one) in a folder kept across restarts.
func backfillEnv(t *testing.T, env map[string]string, fake *plivotest.Server) map[string]string {
	out := map[string]string{"PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken, "PLIVO_API_URL": fake.URL,
		"PLIVO_TIMEOUT": "1s", "INBOX_DATA_DIR": t.TempDir()}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// missedWorld is a company with two numbers, Ana on both, and Casey, an
// opted-in candidate: what inboxd knew before it went down.
type missedWorld struct {
	numbers [2]inbox.Number
	casey   inbox.Contact
}

func newMissedWorld(t *testing.T, s *testServer) missedWorld {
	t.Helper()
	var w missedWorld
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	admin.call("PUT", "/api/company", map[string]any{"optout_reply": "You are unsubscribed."}, 200, nil)
	_, anaID := s.createUser(t, admin, "ana@acme.test", "recruiter")
	for i, e164 := range []string{"+14155550100", "+14155550101"} {
		admin.call("POST", "/api/numbers", map[string]string{"e164": e164, "label": fmt.Sprint("Line ", i+1)}, 201, &w.numbers[i])
		admin.call("PUT", "/api/numbers/"+itoa(w.numbers[i].ID)+"/assignees", map[string]any{"user_ids": []int64{anaID}}, 200, nil)
	}
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &w.casey)
	return w
}

// inboundMessages is every inbound message of c's threads.
func inboundMessages(t *testing.T, c *client) []inbox.Message {
	t.Helper()
	var in inbox.Inbox
	c.call("GET", "/api/inbox", nil, 200, &in)
	var out []inbox.Message
	for _, th := range in.Threads {
		var page struct{ Messages []inbox.Message }
		c.call("GET", "/api/threads/"+itoa(th.ID)+"/messages?limit=500", nil, 200, &page)
		for _, m := range page.Messages {
			if m.Direction == inbox.Inbound {
				out = append(out, m)
			}
		}
	}
	return out
}

// metric reads one sample of the server's /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// TestBackfillMissedTexts: inboxd is down while fifty texts to two numbers
// reach Plivo, whose webhooks reach nobody. When it starts again, within
// seconds, each is stored once as missed — Plivo's time, no words — with
// the bells raised and the events sent as for a webhook (a tab resuming
// from before the outage gets a message.created for each), and every
// sender under review. Then late webhooks arrive: their words fill in (one
// STOP opts out, with one confirmation; a sender all of whose texts are
// known again leaves review), and nothing is stored twice.
func TestBackfillMissedTexts(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now())
		fake := plivotest.NewServer(t, testAuthID, testAuthToken)
		fake.SetClock(clk)
		env = backfillEnv(t, env, fake)
		s := startServer(t, env, withClock(clk))
		w := newMissedWorld(t, s)
		before := s.login(t, "ana@acme.test", "correct horse").dial(t, nil)
		resumeFrom := before.hello.Topics
		s.stop()

		// Ten minutes down; fifty texts from ten phones reach Plivo.
		down := clk.Now()
		clk.Advance(10 * time.Minute)
		phones := []string{w.casey.Phone}
		for i := 1; i < 10; i++ {
			phones = append(phones, fmt.Sprintf("+1415555020%d", i))
		}
		type text struct {
			uuid, from string
			to         inbox.Number
		}
		var texts []text
		for i := range 50 {
			from, to := phones[i%10], w.numbers[(i/10)%2]
			texts = append(texts, text{fake.Receive(from, to.E164, down.Add(30*time.Second+time.Duration(i)*10*time.Second)), from, to})
		}

		s = startServer(t, env, withClock(clk))
		ana := s.login(t, "ana@acme.test", "correct horse")
		var got []inbox.Message
		eventually(t, 10*time.Second, "the 50 missed texts are stored", func() bool {
			got = inboundMessages(t, ana)
			return len(got) >= 50
		})
		byUUID := map[string]inbox.Message{}
		for _, m := range got {
			if !m.Missed || m.Body != "" || m.PlivoUUID == nil || m.CreatedAt.Before(down) || m.CreatedAt.After(down.Add(10*time.Minute)) {
				t.Errorf("stored %+v; want a missed text, no words, at Plivo's time during the outage", m)
				continue
			}
			byUUID[*m.PlivoUUID] = m
		}
		if len(got) != 50 || len(byUUID) != 50 {
			t.Fatalf("stored %d inbound texts, %d distinct; want the 50, once each", len(got), len(byUUID))
		}
		for _, x := range texts {
			if m, ok := byUUID[x.uuid]; !ok || m.NumberID != x.to.ID {
				t.Errorf("the text %s to %s: %+v; want it stored on that number", x.uuid, x.to.E164, m)
			}
		}
		var in inbox.Inbox
		ana.call("GET", "/api/inbox", nil, 200, &in)
		if in.UnreadTotal != 20 {
			t.Errorf("Ana's bell: %d unread threads; want 20 (ten phones, two numbers)", in.UnreadTotal)
		}
		for _, th := range in.Threads {
			if th.LastMessage == nil || !th.LastMessage.Missed {
				t.Errorf("thread %d's last message %+v; want a missed text", th.ID, th.LastMessage)
			}
		}
		for _, phone := range phones {
			var page struct{ Contacts []inbox.Contact }
			ana.call("GET", "/api/contacts?q="+strings.TrimPrefix(phone, "+"), nil, 200, &page)
			if len(page.Contacts) != 1 || !page.Contacts[0].ConsentReview || page.Contacts[0].ReviewReason() != inbox.ReviewReasonMissed {
				t.Errorf("contact of %s: %+v; want one, under review: a text was missed", phone, page.Contacts)
			}
		}
		if n := metric(t, s.URL, "smsinbox_backfilled_messages_total"); n != 50 {
			t.Errorf("smsinbox_backfilled_messages_total = %v; want 50", n)
		}

		// A tab resuming from before the outage gets each text as for a
		// webhook, and each sender's review.
		tab := ana.dial(t, resumeFrom)
		created, reviewed := 0, map[int64]bool{}
		deadline := time.After(10 * time.Second)
		for created < 50 || len(reviewed) < 10 {
			select {
			case f := <-tab.frames:
				switch f.Type {
				case "message.created":
					var d struct{ Message inbox.Message }
					json.Unmarshal(f.Data, &d)
					if !d.Message.Missed {
						t.Errorf("message.created of %+v; want a missed text", d.Message)
					}
					created++
				case "contact.updated":
					var d struct{ Contact inbox.Contact }
					json.Unmarshal(f.Data, &d)
					if d.Contact.ReviewReason() == inbox.ReviewReasonMissed {
						reviewed[d.Contact.ID] = true
					}
				}
			case <-deadline:
				t.Fatalf("after resuming: %d message.created and %d contacts under review; want 50 and 10", created, len(reviewed))
			}
		}
		tab.quiet(300*time.Millisecond, "message.created")

		// Late webhooks. Casey's first missed text was STOP.
		hook := func(x text, body string) {
			t.Helper()
			if code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm(x.from, x.to.E164, body, x.uuid), nil); code != 200 {
				t.Fatalf("late webhook of %s: got %d, want 200", x.uuid, code)
			}
		}
		hook(texts[0], "STOP")
		hook(texts[0], "STOP") // Plivo delivers it twice
		var casey inbox.Contact
		ana.call("GET", "/api/contacts/"+itoa(w.casey.ID), nil, 200, &casey)
		if casey.Consent != inbox.ConsentOptedOut || casey.ConsentReview {
			t.Errorf("Casey after her late STOP: %s, review %v; want opted out, no review", casey.Consent, casey.ConsentReview)
		}
		// The second phone's five texts all arrive late: its review ends.
		for i := 1; i < 50; i += 10 {
			hook(texts[i], fmt.Sprintf("Hello, text %d", i))
		}
		// The third phone's first: four of its texts stay missed, so does its review.
		hook(texts[2], "Is the job still open?")
		for _, want := range []struct {
			phone  string
			review bool
		}{{phones[1], false}, {phones[2], true}} {
			var page struct{ Contacts []inbox.Contact }
			ana.call("GET", "/api/contacts?q="+strings.TrimPrefix(want.phone, "+"), nil, 200, &page)
			if len(page.Contacts) != 1 || page.Contacts[0].ConsentReview != want.review {
				t.Errorf("contact of %s after its late texts: %+v; want review %v", want.phone, page.Contacts, want.review)
			}
		}
		updated := 0
		for updated < 7 {
			f := tab.expect("message.updated", 10*time.Second)
			var d struct {
				Thread  inbox.Thread
				Message inbox.Message
			}
			json.Unmarshal(f.Data, &d)
			if d.Message.Missed || d.Message.Body == "" || d.Thread.ID != d.Message.ThreadID {
				t.Errorf("message.updated = %+v; want the text with its words and its thread", d)
			}
			updated++
		}
		tab.quiet(300*time.Millisecond, "message.updated", "message.created")
		got = inboundMessages(t, ana)
		filled := 0
		for _, m := range got {
			if !m.Missed {
				filled++
			}
		}
		if len(got) != 50 || filled != 7 {
			t.Errorf("after the late webhooks: %d inbound texts, %d with words; want 50 (nothing twice) and 7", len(got), filled)
		}
		eventually(t, 10*time.Second, "the opt-out confirmation is sent", func() bool { return len(fake.Creates()) >= 1 })
		time.Sleep(200 * time.Millisecond)
		if c := fake.Creates(); len(c) != 1 || c[0].Dst != w.casey.Phone || c[0].Text != "You are unsubscribed." {
			t.Errorf("Plivo got %+v; want one opt-out confirmation to Casey", c)
		}
	})
}

// TestBackfillTwoInstances: two instances starting together on one
// database read Plivo's records once between them — one holds the lease —
// and store each missed text once.
func TestBackfillTwoInstances(t *testing.T) {
	endToEnd(t)
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	env := backfillEnv(t, map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "PLIVO_TIMEOUT": "5s"}, fake)
	s := startServer(t, env)
	w := newMissedWorld(t, s)
	s.stop()
	answeredBefore, _ := fake.Lists()
	for i := range 50 {
		fake.Receive(fmt.Sprintf("+1415555030%d", i%10), w.numbers[i%2].E164, time.Now().Add(-10*time.Minute+time.Duration(i)*time.Second))
	}
	fake.DelayLists(time.Second) // a run of three pages takes three seconds: both start meanwhile
	a := startServer(t, env)
	b := startServer(t, env)
	ana := a.login(t, "ana@acme.test", "correct horse")
	eventually(t, 20*time.Second, "the 50 missed texts are stored", func() bool { return len(inboundMessages(t, ana)) >= 50 })
	time.Sleep(500 * time.Millisecond)
	if n := len(inboundMessages(t, ana)); n != 50 {
		t.Errorf("%d texts stored; want 50", n)
	}
	if sum := metric(t, a.URL, "smsinbox_backfilled_messages_total") + metric(t, b.URL, "smsinbox_backfilled_messages_total"); sum != 50 {
		t.Errorf("the two instances backfilled %v texts between them; want 50", sum)
	}
	var events int
	if err := rawDB(t, a.cfg).Get(&events, `SELECT count(*) FROM events WHERE type = 'message.created'`); err != nil {
		t.Fatal(err)
	}
	if events != 50 {
		t.Errorf("%d message.created events; want 50, one per text", events)
	}
	if answered, _ := fake.Lists(); answered-answeredBefore != 3 {
		t.Errorf("Plivo answered %d list requests; want 3: one instance read the three pages, the other left it the lease", answered-answeredBefore)
	}
}

// TestBackfillPaging: 1,200 texts missed during an hour's outage, 60 pages
// of Plivo's records, are all stored, at no more than Plivo's 20 list
// requests a minute (the fake refuses more, on the same clock).
func TestBackfillPaging(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now())
		fake := plivotest.NewServer(t, testAuthID, testAuthToken)
		fake.SetClock(clk)
		fake.LimitLists(20)
		env = backfillEnv(t, env, fake)
		s := startServer(t, env, withClock(clk))
		w := newMissedWorld(t, s)
		s.stop()
		down := clk.Now()
		clk.Advance(time.Hour)
		for i := range 1200 {
			fake.Receive(fmt.Sprintf("+141555504%02d", i%60), w.numbers[i%2].E164, down.Add(time.Minute+time.Duration(i)*2*time.Second))
		}
		s = startServer(t, env, withClock(clk))
		admin := s.login(t, "admin@acme.test", "correct horse")
		eventually(t, 60*time.Second, "the 1,200 missed texts are stored", func() bool {
			if metric(t, s.URL, "smsinbox_backfilled_messages_total") < 1200 {
				clk.Advance(10 * time.Second) // Plivo's rate limit passes
				return false
			}
			return true
		})
		if answered, throttled := fake.Lists(); answered < 60 || throttled != 0 {
			t.Errorf("Plivo answered %d list requests and refused %d; want at least 60, none refused", answered, throttled)
		}
		var page struct{ Totals struct{ Inbound int } }
		admin.call("GET", "/api/reports/sms-activity?direction=inbound&limit=1", nil, 200, &page)
		if n := metric(t, s.URL, "smsinbox_backfilled_messages_total"); n != 1200 || page.Totals.Inbound != 1200 {
			t.Errorf("smsinbox_backfilled_messages_total = %v, the report's inbound total %d; want 1200 and 1200", n, page.Totals.Inbound)
		}
	})
}
