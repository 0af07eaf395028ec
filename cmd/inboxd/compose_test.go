package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// bulkAnswer is the answer to POST /api/bulk-sends.
type bulkAnswer struct {
	ID      int64            `json:"id"`
	Total   int              `json:"total"`
	Queued  int              `json:"queued"`
	Skipped []inbox.BulkSkip `json:"skipped"`
}

// phoneN is the n-th test phone of a block of New York numbers.
func phoneN(n int) string { return fmt.Sprintf("+1212555%04d", 1000+n) }

// optedIn creates n opted-in contacts as the admin, phones from phoneN(from).
func optedIn(t *testing.T, admin *client, n, from int) []inbox.Contact {
	t.Helper()
	out := make([]inbox.Contact, n)
	for i := range out {
		admin.call("POST", "/api/contacts", map[string]any{"name": "Cand " + itoa(int64(from+i)) + " Doe",
			"phone": phoneN(from + i), "sms_opt_in": true}, 201, &out[i])
	}
	return out
}

func ids(cs []inbox.Contact) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// TestBulkSendThroughPlivo: a bulk send of 300 contacts, 20 of whom may not
// be texted (opted out, no consent, a possible opt-out under review),
// makes exactly 280 Plivo sends, one per sendable contact, paced by the
// number's send lane; the 20 are skipped with their reasons; the sender's
// sockets, and only theirs, see the progress to 100 %.
func TestBulkSendThroughPlivo(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		const interval = 10 * time.Millisecond
		env["INBOX_SEND_INTERVAL"] = interval.String()
		env["INBOX_SEND_RATE"] = "1000"
		c := newCompliance(t, env, noonPacific(t), false)
		sendable := optedIn(t, c.admin, 280, 0)
		optedOut := optedIn(t, c.admin, 7, 280)
		for _, ct := range optedOut {
			c.admin.call("PATCH", "/api/contacts/"+itoa(ct.ID), map[string]any{"sms_opt_in": false}, 200, nil)
		}
		noConsent := make([]inbox.Contact, 7)
		for i := range noConsent {
			c.admin.call("POST", "/api/contacts", map[string]any{"name": "Unknown " + itoa(int64(i)), "phone": phoneN(287 + i)}, 201, &noConsent[i])
		}
		review := optedIn(t, c.admin, 6, 294)
		for _, ct := range review {
			c.text(t, ct.Phone, "please stop texting me", nil)
		}
		all := slices.Concat(sendable, optedOut, noConsent, review)
		if len(all) != 300 {
			t.Fatalf("%d contacts", len(all))
		}
		var anaID int64
		var me struct{ ID int64 }
		c.ana.call("GET", "/api/me", nil, 200, &me)
		anaID = me.ID
		tab := c.ana.dial(t, nil)
		other := c.admin.dial(t, nil)

		// A dry run says the same and stores nothing.
		var dry bulkAnswer
		c.ana.call("POST", "/api/bulk-sends", map[string]any{"number_id": c.number.ID, "contact_ids": ids(all),
			"body": "Hi! Are you still interested in the role?", "dry_run": true}, 200, &dry)
		if dry.ID != 0 || dry.Total != 300 || dry.Queued != 280 || len(dry.Skipped) != 20 {
			t.Fatalf("dry run %+v; want 300 total, 280 to text, 20 skipped, no id", dry)
		}
		var b bulkAnswer
		c.ana.call("POST", "/api/bulk-sends", map[string]any{"number_id": c.number.ID, "contact_ids": ids(all),
			"body": "Hi! Are you still interested in the role?"}, 202, &b)
		if b.Total != 300 || b.Queued != 280 || len(b.Skipped) != 20 {
			t.Fatalf("bulk answer %+v; want 300 total, 280 queued, 20 skipped", b)
		}
		want := map[int64]string{}
		for _, ct := range optedOut {
			want[ct.ID] = "opted_out"
		}
		for _, ct := range noConsent {
			want[ct.ID] = "no_consent"
		}
		for _, ct := range review {
			want[ct.ID] = "opt_out_review"
		}
		for _, s := range b.Skipped {
			if want[s.ContactID] != s.Reason {
				t.Errorf("contact %d skipped for %q; want %q", s.ContactID, s.Reason, want[s.ContactID])
			}
			delete(want, s.ContactID)
		}
		if len(want) != 0 {
			t.Errorf("not skipped: %v", want)
		}

		eventually(t, 60*time.Second, "Plivo gets 280 texts", func() bool { return len(c.fake.Creates()) >= 280 })
		time.Sleep(10 * interval) // one more, if any, would land now
		creates := c.fake.Creates()
		if len(creates) != 280 {
			t.Fatalf("Plivo got %d texts; want exactly 280", len(creates))
		}
		phones := map[string]int{}
		for _, ct := range sendable {
			phones[strings.TrimPrefix(ct.Phone, "+")] = 0
		}
		for _, cr := range creates {
			dst := strings.TrimPrefix(cr.Dst, "+")
			n, ok := phones[dst]
			if !ok {
				t.Errorf("a text went to %s, who is not sendable", dst)
			}
			phones[dst] = n + 1
			if cr.Src != strings.TrimPrefix(c.number.E164, "+") && cr.Src != c.number.E164 {
				t.Errorf("a text came from %s; want the bulk send's number", cr.Src)
			}
		}
		for p, n := range phones {
			if n != 1 {
				t.Errorf("%s got %d texts; want 1", p, n)
			}
		}
		// The number's lane paces them: 280 sends take at least 279
		// intervals (a lower bound only, less the jitter of the first and last arrivals; a busy machine is slower).
		if span := creates[len(creates)-1].At.Sub(creates[0].At); span < 279*interval-300*time.Millisecond {
			t.Errorf("280 sends took %v; the lane allows no less than about %v", span, 279*interval)
		}

		var got inbox.BulkSend
		eventually(t, 10*time.Second, "the bulk send is done", func() bool {
			c.ana.call("GET", "/api/bulk-sends/"+itoa(b.ID), nil, 200, &got)
			return got.Queued == 0
		})
		if got.Total != 300 || got.Sent+got.Delivered != 280 || got.Failed != 0 || got.Canceled != 0 ||
			len(got.Skipped) != 20 || got.Percent != 100 {
			t.Errorf("bulk send %+v; want 280 sent, 20 skipped, 100 %%", got)
		}
		// One thread each, on the bulk send's number.
		var th struct{ Messages []inbox.Message }
		c.ana.call("GET", "/api/contacts/"+itoa(sendable[7].ID)+"/messages", nil, 200, &th)
		if len(th.Messages) != 1 || th.Messages[0].BulkID == nil || *th.Messages[0].BulkID != b.ID ||
			th.Messages[0].NumberID != c.number.ID {
			t.Errorf("a contact's messages %+v; want the one bulk text", th.Messages)
		}
		// Another user may not read it.
		c.admin.call("GET", "/api/bulk-sends/"+itoa(b.ID), nil, 404, nil)

		// Live progress, to the sender's own topic, up to 100 %; the
		// number's assignees are told of the 280 texts with one bulk.queued.
		topic := inbox.UserTopic(anaID)
		deadline := time.Now().Add(15 * time.Second)
		last, queuedEvents, created := -1, 0, 0
		for last != 100 {
			if time.Now().After(deadline) {
				t.Fatalf("no bulk.progress at 100 %% within 15 s (last %d)", last)
			}
			f := tab.next(15 * time.Second)
			switch f.Type {
			case "bulk.queued":
				queuedEvents++
				if f.Topic != inbox.NumberTopic(c.number.ID) {
					t.Errorf("bulk.queued on %s", f.Topic)
				}
				continue
			case "message.created":
				created++
				continue
			case "bulk.progress":
			default:
				continue
			}
			if f.Topic != topic {
				t.Errorf("bulk.progress on %s; want %s", f.Topic, topic)
			}
			var p struct {
				BulkSend inbox.BulkSend `json:"bulk_send"`
			}
			if err := json.Unmarshal(f.Data, &p); err != nil {
				t.Fatal(err)
			}
			if p.BulkSend.ID != b.ID || p.BulkSend.Percent < last {
				t.Errorf("progress %+v after %d %%", p.BulkSend, last)
			}
			last = p.BulkSend.Percent
		}
		if queuedEvents != 1 || created != 0 {
			t.Errorf("the sender's tab got %d bulk.queued and %d message.created; want one bulk.queued", queuedEvents, created)
		}
		other.quiet(300*time.Millisecond, "bulk.progress")
	})
}

// TestBulkSendCancel: a cancel mid-way stops the rest; what went stays.
func TestBulkSendCancel(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["INBOX_SEND_INTERVAL"] = "100ms"
		c := newCompliance(t, env, noonPacific(t), false)
		cs := optedIn(t, c.admin, 40, 0)
		var b bulkAnswer
		c.ana.call("POST", "/api/bulk-sends", map[string]any{"number_id": c.number.ID, "contact_ids": ids(cs),
			"body": "Shift tomorrow?"}, 202, &b)
		eventually(t, 20*time.Second, "some texts go", func() bool { return len(c.fake.Creates()) >= 3 })
		var canceled inbox.BulkSend
		c.ana.call("POST", "/api/bulk-sends/"+itoa(b.ID)+"/cancel", nil, 200, &canceled)
		if canceled.Canceled == 0 || canceled.CanceledAt == nil || canceled.Queued > 1 {
			t.Fatalf("after cancel %+v; want the unsent canceled (one may be in flight)", canceled)
		}
		c.ben.call("POST", "/api/bulk-sends/"+itoa(b.ID)+"/cancel", nil, 404, nil)
		time.Sleep(time.Second) // ten intervals: the rest would have begun to go
		var got inbox.BulkSend
		eventually(t, 10*time.Second, "nothing waits", func() bool {
			c.ana.call("GET", "/api/bulk-sends/"+itoa(b.ID), nil, 200, &got)
			return got.Queued == 0
		})
		sent := len(c.fake.Creates())
		if sent >= 40 || got.Sent+got.Delivered != sent || got.Canceled+sent != 40 || got.Percent != 100 {
			t.Errorf("Plivo got %d; bulk send %+v; want sent + canceled = 40, fewer than 40 sent", sent, got)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(c.fake.Creates()); n != sent {
			t.Errorf("after the cancel Plivo got %d more texts", n-sent)
		}
		// A canceled text says so; canceling again changes nothing.
		var th struct{ Messages []inbox.Message }
		c.ana.call("GET", "/api/contacts/"+itoa(cs[39].ID)+"/messages", nil, 200, &th)
		if len(th.Messages) != 1 || th.Messages[0].Status != inbox.StatusCanceled || !strings.Contains(th.Messages[0].ErrorReason, "canceled") {
			t.Errorf("last contact's text %+v; want canceled, with why", th.Messages)
		}
		c.ana.call("POST", "/api/bulk-sends/"+itoa(b.ID)+"/cancel", nil, 200, &got)
		if got.Canceled+sent != 40 {
			t.Errorf("second cancel: %+v", got)
		}

		// The host ATS's feed tells of every text, and of each cancel.
		var page inbox.FeedPage
		tokenClient(t, c.s, c.admin).call("GET", "/api/events?limit=1000", nil, 200, &page)
		queued, canceledInFeed := map[int64]bool{}, map[int64]bool{}
		for _, e := range page.Events {
			var d struct{ Message inbox.Message }
			if err := json.Unmarshal(e.Data, &d); err != nil || d.Message.BulkID == nil || *d.Message.BulkID != b.ID {
				continue
			}
			switch {
			case e.Type == "message.sent":
				queued[d.Message.ID] = true
			case e.Type == "message.status" && d.Message.Status == inbox.StatusCanceled:
				canceledInFeed[d.Message.ID] = true
			}
		}
		if len(queued) != 40 || len(canceledInFeed) != got.Canceled {
			t.Errorf("feed: %d message.sent and %d canceled of the bulk send; want 40 and %d", len(queued), len(canceledInFeed), got.Canceled)
		}
	})
}

// TestBulkSendSurvivesRestart: a server stopped in the middle of a bulk
// send, and a new one on the same database, send every text exactly once.
func TestBulkSendSurvivesRestart(t *testing.T) {
	pg := storetest.PostgresURL(t)
	env := map[string]string{"DATABASE_URL": pg, "INBOX_SEND_INTERVAL": "50ms"}
	f := newPlivoFixture(t, env)
	cs := optedIn(t, f.admin, 60, 0)
	var b bulkAnswer
	f.ana.call("POST", "/api/bulk-sends", map[string]any{"number_id": f.number.ID, "contact_ids": ids(cs),
		"body": "Open day on Friday"}, 202, &b)
	eventually(t, 20*time.Second, "some texts go", func() bool { return len(f.fake.Creates()) >= 10 })
	f.s.stop()
	if n := len(f.fake.Creates()); n >= 60 {
		t.Fatalf("all %d sent before the stop; the test proves nothing", n)
	}
	vars := map[string]string{"DATABASE_URL": pg, "INBOX_SEND_INTERVAL": "50ms", "PLIVO_AUTH_ID": testAuthID,
		"PLIVO_AUTH_TOKEN": testAuthToken, "PLIVO_API_URL": f.fake.URL, "PLIVO_TIMEOUT": "1s"}
	s2 := startServer(t, vars)
	eventually(t, 30*time.Second, "every text is sent", func() bool { return len(f.fake.Creates()) >= 60 })
	time.Sleep(500 * time.Millisecond) // a double send, if any, would land now
	seen := map[string]int{}
	for _, cr := range f.fake.Creates() {
		seen[strings.TrimPrefix(cr.Dst, "+")]++
	}
	for _, ct := range cs {
		if n := seen[strings.TrimPrefix(ct.Phone, "+")]; n != 1 {
			t.Errorf("%s got %d texts; want exactly 1", ct.Phone, n)
		}
	}
	ana := s2.login(t, "ana@acme.test", "correct horse")
	var got inbox.BulkSend
	eventually(t, 10*time.Second, "the bulk send is done", func() bool {
		ana.call("GET", "/api/bulk-sends/"+itoa(b.ID), nil, 200, &got)
		return got.Queued == 0
	})
	if got.Sent+got.Delivered != 60 || got.Percent != 100 {
		t.Errorf("after the restart %+v; want 60 sent", got)
	}
}

// TestScheduledSend: a scheduled text goes at its time and not before;
// while scheduled it can be changed and canceled, after that not.
func TestScheduledSend(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		start := noonPacific(t)
		c := newCompliance(t, env, start, false)
		casey := c.contact(t, "Casey", "+14155550123", true)
		tab := c.ana.dial(t, nil)
		at := start.Add(2 * time.Hour).Truncate(time.Second)
		var first, second struct{ Message inbox.Message }
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"body": "Reminder: interview at 3",
			"send_at": at}, 202, &first)
		if m := first.Message; m.Status != inbox.StatusScheduled || m.SendAt == nil || !m.SendAt.Equal(at) {
			t.Fatalf("scheduled send: %s at %v; want scheduled at %v", m.Status, m.SendAt, at)
		}
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"body": "To cancel",
			"send_at": at}, 202, &second)
		if code := c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"body": "Yesterday",
			"send_at": start.Add(-time.Hour)}, 422, nil); code != "invalid_send_at" {
			t.Errorf("send_at in the past: %s; want invalid_send_at", code)
		}

		// Changed: new words, an hour later.
		later := at.Add(time.Hour)
		var edited struct{ Message inbox.Message }
		c.ana.call("PATCH", "/api/messages/"+itoa(first.Message.ID), map[string]any{"body": "Reminder: interview at 4",
			"send_at": later}, 200, &edited)
		if m := edited.Message; m.Body != "Reminder: interview at 4" || m.SendAt == nil || !m.SendAt.Equal(later) || m.Status != inbox.StatusScheduled {
			t.Errorf("edited: %+v", m)
		}
		c.ben.call("PATCH", "/api/messages/"+itoa(first.Message.ID), map[string]any{"body": "not mine"}, 404, nil)

		// Canceled: never goes; only once.
		var canceled struct{ Message inbox.Message }
		c.ana.call("POST", "/api/messages/"+itoa(second.Message.ID)+"/cancel", nil, 200, &canceled)
		if canceled.Message.Status != inbox.StatusCanceled {
			t.Errorf("canceled: %s", canceled.Message.Status)
		}
		var st struct{ Message inbox.Message }
		for {
			f := tab.expect("message.status", 10*time.Second)
			if err := json.Unmarshal(f.Data, &st); err != nil {
				t.Fatal(err)
			}
			if st.Message.ID == second.Message.ID {
				break
			}
		}
		if st.Message.Status != inbox.StatusCanceled {
			t.Errorf("message.status frame: %s; want canceled", st.Message.Status)
		}
		for _, call := range []struct{ method, path string }{
			{"POST", "/api/messages/" + itoa(second.Message.ID) + "/cancel"},
			{"PATCH", "/api/messages/" + itoa(second.Message.ID)},
		} {
			if code := c.ana.call(call.method, call.path, map[string]any{"body": "again"}, 409, nil); code != "not_scheduled" {
				t.Errorf("%s %s on a canceled text: %s; want not_scheduled", call.method, call.path, code)
			}
		}

		// Past the first time, not yet the new one: nothing goes.
		c.clk.Set(at.Add(30 * time.Minute))
		time.Sleep(300 * time.Millisecond)
		if texts := c.texts(casey.Phone); len(texts) != 0 {
			t.Fatalf("Plivo got %q before the scheduled time", texts)
		}
		c.clk.Set(later.Add(time.Second))
		if texts := c.waitTexts(t, casey.Phone, 1); texts[0] != "Reminder: interview at 4" {
			t.Errorf("texts %q; want the edited text", texts)
		}
		time.Sleep(200 * time.Millisecond)
		if texts := c.texts(casey.Phone); len(texts) != 1 {
			t.Errorf("texts %q; want only the edited one (not the canceled)", texts)
		}
		eventually(t, 5*time.Second, "the text is no longer scheduled", func() bool {
			return c.message(t, casey.ID, first.Message.ID).Status != inbox.StatusScheduled
		})
		if code := c.ana.call("PATCH", "/api/messages/"+itoa(first.Message.ID), map[string]any{"body": "too late"}, 409, nil); code != "not_scheduled" {
			t.Errorf("edit after sending: %s; want not_scheduled", code)
		}
		if code := c.ana.call("POST", "/api/messages/"+itoa(first.Message.ID)+"/cancel", nil, 409, nil); code != "not_scheduled" {
			t.Errorf("cancel after sending: %s; want not_scheduled", code)
		}
	})
}

// TestQuietHoursHoldScheduledAndBulkSends: the one gate holds a scheduled
// text that would arrive at night, and a bulk send made at night, until
// quiet hours end.
func TestQuietHoursHoldScheduledAndBulkSends(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["INBOX_SEND_INTERVAL"] = "10ms"
		c := newCompliance(t, env, noonPacific(t), true)
		casey := c.contact(t, "Casey", "+14155550123", true)
		night := localToday(t, "America/Los_Angeles", 0, 23, 0)
		morning := localToday(t, "America/Los_Angeles", 1, 8, 0)
		var m struct{ Message inbox.Message }
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"body": "Late note",
			"send_at": night}, 202, &m)
		if m.Message.Status != inbox.StatusScheduled || m.Message.SendAt == nil || !m.Message.SendAt.Equal(morning) ||
			m.Message.HoldNote == "" {
			t.Errorf("scheduled for 11 PM: %s at %v %q; want held until 8 AM (%v)", m.Message.Status, m.Message.SendAt,
				m.Message.HoldNote, morning)
		}

		// At 10 PM a bulk send is made: every text is held.
		c.clk.Set(localToday(t, "America/Los_Angeles", 0, 22, 0))
		cs := []inbox.Contact{c.contact(t, "Pat", "+14155550124", true), c.contact(t, "Sam", "+14155550125", true)}
		var b bulkAnswer
		c.ana.call("POST", "/api/bulk-sends", map[string]any{"number_id": c.number.ID, "contact_ids": ids(cs),
			"body": "Open day tomorrow"}, 202, &b)
		if b.Queued != 2 {
			t.Fatalf("bulk %+v", b)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(c.fake.Creates()); n != 0 {
			t.Fatalf("Plivo got %d texts in quiet hours", n)
		}
		var got inbox.BulkSend
		c.ana.call("GET", "/api/bulk-sends/"+itoa(b.ID), nil, 200, &got)
		if got.Queued != 2 || got.Percent != 0 {
			t.Errorf("bulk at night: %+v; want both waiting", got)
		}
		var th struct{ Messages []inbox.Message }
		c.ana.call("GET", "/api/contacts/"+itoa(cs[0].ID)+"/messages", nil, 200, &th)
		if len(th.Messages) != 1 || th.Messages[0].Status != inbox.StatusScheduled || th.Messages[0].SendAt == nil ||
			!th.Messages[0].SendAt.Equal(morning) {
			t.Errorf("bulk text at night: %+v; want held until 8 AM", th.Messages)
		}
		c.clk.Set(morning.Add(time.Second))
		c.waitTexts(t, casey.Phone, 1)
		c.waitTexts(t, cs[0].Phone, 1)
		c.waitTexts(t, cs[1].Phone, 1)
	})
}

// TestTemplates: saving (unknown fields refused), who sees and changes
// which, preview, sends by template (missing values refused), bulk sends
// by template to a job's applicants, and plain characters.
func TestTemplates(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["INBOX_SEND_INTERVAL"] = "10ms"
		c := newCompliance(t, env, noonPacific(t), false)
		casey := c.contact(t, "Casey Jones", "+14155550123", true)
		body := "Hi {{contact.first_name|there}}, are you still interested in {{job.title}}? {{user.first_name}}"
		var mine, shared inbox.Template
		c.ana.call("POST", "/api/templates", map[string]any{"name": "Still interested", "body": body}, 201, &mine)
		if code := c.ana.call("POST", "/api/templates", map[string]any{"name": "Bad", "body": "Hi {{contact.nickname}}"}, 422, nil); code != "unknown_field" {
			t.Errorf("unknown field: %s", code)
		}
		if code := c.ana.call("POST", "/api/templates", map[string]any{"name": "Team", "body": "x", "shared": true}, 403, nil); code != "forbidden" {
			t.Errorf("recruiter sharing: %s", code)
		}
		c.admin.call("POST", "/api/templates", map[string]any{"name": "Welcome", "body": "Welcome to {{company.name}}!", "shared": true}, 201, &shared)
		var list struct{ Templates []inbox.Template }
		c.ana.call("GET", "/api/templates", nil, 200, &list)
		if len(list.Templates) != 2 {
			t.Errorf("Ana sees %d templates; want her own and the shared one", len(list.Templates))
		}
		c.ben.call("GET", "/api/templates", nil, 200, &list)
		if len(list.Templates) != 1 || list.Templates[0].ID != shared.ID {
			t.Errorf("Ben sees %+v; want only the shared one", list.Templates)
		}
		c.ben.call("GET", "/api/templates/"+itoa(mine.ID), nil, 404, nil)
		c.ana.call("PATCH", "/api/templates/"+itoa(shared.ID), map[string]any{"name": "Mine now"}, 403, nil)
		if code := c.ana.call("PATCH", "/api/templates/"+itoa(mine.ID), map[string]any{"body": "{{job.name}}"}, 422, nil); code != "unknown_field" {
			t.Errorf("patch with unknown field: %s", code)
		}

		var job inbox.Job
		c.admin.call("POST", "/api/jobs", map[string]any{"title": "Night nurse"}, 201, &job)
		var p inbox.Preview
		c.ana.call("POST", "/api/templates/"+itoa(mine.ID)+"/preview", map[string]any{"contact_id": casey.ID, "job_id": job.ID}, 200, &p)
		if want := "Hi Casey, are you still interested in Night nurse? ana"; p.Body != want || p.Encoding != "GSM-7" || p.Segments != 1 {
			t.Errorf("preview %+v; want %q, GSM-7, 1 segment", p, want)
		}
		if code := c.ana.call("POST", "/api/templates/"+itoa(mine.ID)+"/preview", map[string]any{"contact_id": casey.ID}, 422, nil); code != "missing_field" {
			t.Errorf("preview without the job: %s; want missing_field", code)
		}

		var sent struct{ Message inbox.Message }
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"template_id": mine.ID, "job_id": job.ID}, 202, &sent)
		if sent.Message.Body != p.Body {
			t.Errorf("sent %q; want the preview %q", sent.Message.Body, p.Body)
		}
		if code := c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"template_id": mine.ID}, 422, nil); code != "missing_field" {
			t.Errorf("template send without the job: %s; want missing_field", code)
		}
		if texts := c.waitTexts(t, casey.Phone, 1); texts[0] != p.Body {
			t.Errorf("Plivo got %q", texts)
		}

		// Plain characters: curly quotes and dashes alone made it UCS-2.
		fancy := "It\u2019s on \u2014 see you\u2026"
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"body": fancy}, 202, &sent)
		if sent.Message.Encoding != "UCS-2" {
			t.Errorf("fancy text: %s", sent.Message.Encoding)
		}
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/messages", map[string]any{"body": fancy, "plain_characters": true}, 202, &sent)
		if sent.Message.Body != "It's on - see you..." || sent.Message.Encoding != "GSM-7" {
			t.Errorf("plain text: %q %s; want GSM-7 plain", sent.Message.Body, sent.Message.Encoding)
		}

		// A bulk send by template to a job's applicants: each text its own.
		pat := c.contact(t, "Pat Lee", "+14155550124", true)
		nameless := c.contact(t, "Cher", "+14155550125", true) // no last name
		for _, id := range []int64{pat.ID, nameless.ID} {
			c.admin.call("POST", "/api/jobs/"+itoa(job.ID)+"/applicants", map[string]any{"contact_id": id}, 201, nil)
		}
		strict := inbox.Template{}
		c.ana.call("POST", "/api/templates", map[string]any{"name": "Strict", "body": "{{contact.last_name}}: {{job.title}} shift?"}, 201, &strict)
		var b bulkAnswer
		c.ana.call("POST", "/api/bulk-sends", map[string]any{"number_id": c.number.ID, "job_id": job.ID, "template_id": strict.ID}, 202, &b)
		if b.Total != 2 || b.Queued != 1 || len(b.Skipped) != 1 || b.Skipped[0].ContactID != nameless.ID || b.Skipped[0].Reason != "missing_field" {
			t.Errorf("bulk by template %+v; want Pat queued, Cher skipped (missing_field)", b)
		}
		if texts := c.waitTexts(t, pat.Phone, 1); texts[0] != "Lee: Night nurse shift?" {
			t.Errorf("Pat got %q", texts)
		}

		c.ana.call("DELETE", "/api/templates/"+itoa(mine.ID), nil, 204, nil)
		c.ana.call("GET", "/api/templates/"+itoa(mine.ID), nil, 404, nil)
	})
}

// TestResend: a failed text is sent again as a new message; any other
// text is not_failed.
func TestResend(t *testing.T) {
	f := newPlivoFixture(t, nil)
	m, _ := f.send(t, "Can you call me back?", "", 202)
	eventually(t, 10*time.Second, "Plivo gets the text", func() bool { return len(f.fake.Creates()) == 1 })
	uuid := f.fake.Creates()[0].MessageUUID
	if code := f.ana.call("POST", "/api/messages/"+itoa(m.ID)+"/resend", nil, 409, nil); code != "not_failed" {
		t.Errorf("resend of a sent text: %s; want not_failed", code)
	}
	form := url.Values{"MessageUUID": {uuid}, "Status": {"failed"}, "ErrorCode": {"30"}}
	if code := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(m.ID), form, nil); code != 200 {
		t.Fatalf("report: %d", code)
	}
	var again struct{ Message inbox.Message }
	f.ana.call("POST", "/api/messages/"+itoa(m.ID)+"/resend", nil, 202, &again)
	if again.Message.ID == m.ID || again.Message.ResendOf == nil || *again.Message.ResendOf != m.ID ||
		again.Message.Body != m.Body || again.Message.ThreadID != m.ThreadID {
		t.Errorf("resend %+v; want a new message on the thread with resend_of %d", again.Message, m.ID)
	}
	eventually(t, 10*time.Second, "Plivo gets the resend", func() bool { return len(f.fake.Creates()) == 2 })
	if cr := f.fake.Creates()[1]; cr.Text != m.Body {
		t.Errorf("resent %q", cr.Text)
	}
	f.admin.call("POST", "/api/messages/"+itoa(m.ID)+"/resend", nil, 404, nil) // not assigned to the number
}
