package main

import (
	"encoding/json"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// claimOf decodes the data of thread.claimed, thread.released and
// thread.claim_lapsed.
func claimOf(t *testing.T, f frame) inbox.ClaimEvent {
	t.Helper()
	var e inbox.ClaimEvent
	if err := json.Unmarshal(f.Data, &e); err != nil {
		t.Fatalf("decode %s: %v", f.Type, err)
	}
	return e
}

// A read claims the thread for the reader, live for every assignee; another
// assignee's claim is refused (409) unless taken over; a reply ends the
// claim and nothing rises when its time passes; a claim left unanswered
// lapses at claim_minutes and the bell rises again for every assignee; a
// release hands the thread back at once; only the holder or an admin may
// release; mark-unread ends a claim; with claim_on_read off a read claims
// nothing.
func TestClaims(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now())
		tm := newTeam(t, startServer(t, env, withClock(clk)))
		var me struct{ ID int64 }
		tm.admin.call("GET", "/api/me", nil, 200, &me)
		tm.assign(t, tm.recruiting, tm.anaID, tm.benID, me.ID) // the admin watches Recruiting too
		a, b := tm.ana.dial(t, nil), tm.ben.dial(t, nil)
		path := func(id int64, what string) string { return "/api/threads/" + itoa(id) + "/" + what }

		tm.reply(t, "Is the job still open?")
		th := threadOf(t, b.expect("message.created", 10*time.Second))
		a.expect("message.created", 10*time.Second)

		// Ana's read claims it, for claim_minutes (10 by default).
		var read inbox.Thread
		readAt := clk.Now()
		tm.ana.call("POST", path(th.ID, "read"), nil, 200, &read)
		if read.ClaimedBy == nil || read.ClaimedBy.ID != tm.anaID || read.ClaimExpiresAt == nil ||
			read.ClaimExpiresAt.Sub(readAt) < 10*time.Minute-time.Second || read.ClaimExpiresAt.Sub(readAt) > 10*time.Minute+5*time.Second {
			t.Fatalf("read thread claimed by %v until %v; want Ana, about 10 minutes from %v", read.ClaimedBy, read.ClaimExpiresAt, readAt)
		}
		b.expect("thread.read", 10*time.Second)
		if e := claimOf(t, b.expect("thread.claimed", 10*time.Second)); e.User == nil || e.User.ID != tm.anaID ||
			e.Thread.ClaimedBy == nil || e.Thread.ClaimedBy.Name != "ana" {
			t.Errorf("Ben's thread.claimed = %+v; want Ana holding it", e)
		}
		a.expect("thread.claimed", 10*time.Second)
		if b.bell() != 0 || a.bell() != 0 {
			t.Errorf("bells after Ana's read = %d, %d; want 0, 0", a.bell(), b.bell())
		}
		var inboxB inbox.Inbox
		tm.ben.call("GET", "/api/inbox", nil, 200, &inboxB)
		if len(inboxB.Threads) != 1 || inboxB.Threads[0].ClaimedBy == nil || inboxB.Threads[0].ClaimedBy.ID != tm.anaID {
			t.Errorf("Ben's inbox = %+v; want the thread, claimed by Ana", inboxB.Threads)
		}

		// Ben may not claim it without taking it over, nor release it; Cy
		// (another number) does not see it.
		if code := tm.ben.call("POST", path(th.ID, "claim"), nil, 409, nil); code != "thread_claimed" {
			t.Errorf("Ben's claim of Ana's thread: got %q, want thread_claimed", code)
		}
		if code := tm.ben.call("DELETE", path(th.ID, "claim"), nil, 403, nil); code != "not_claimer" {
			t.Errorf("Ben's release of Ana's claim: got %q, want not_claimer", code)
		}
		tm.cy.call("POST", path(th.ID, "claim"), nil, 404, nil)
		tm.cy.call("DELETE", path(th.ID, "claim"), nil, 404, nil)
		b.quiet(300*time.Millisecond, "thread.claimed", "thread.released")

		// No reply within claim_minutes: the claim lapses and both bells rise.
		clk.Set(*read.ClaimExpiresAt)
		for name, s := range map[string]*socket{"Ana": a, "Ben": b} {
			e := claimOf(t, s.expect("thread.claim_lapsed", 10*time.Second))
			if e.User == nil || e.User.ID != tm.anaID || e.Thread.ClaimedBy != nil || e.Thread.UnreadCount < 1 || e.Thread.ReadBy != nil {
				t.Errorf("%s's thread.claim_lapsed = %+v; want Ana's claim gone, the thread unread with no reader", name, e)
			}
			if s.bell() != 1 {
				t.Errorf("%s's bell after the lapse = %d, want 1", name, s.bell())
			}
		}

		// Ana reads again (claims again) and replies: the claim ends, and
		// when its time would have come nothing rises.
		tm.ana.call("POST", path(th.ID, "read"), nil, 200, &read)
		b.expect("thread.claimed", 10*time.Second)
		tm.ana.call("POST", "/api/contacts/"+itoa(tm.contact.ID)+"/messages", map[string]any{"body": "Yes, it is!"}, 202, nil)
		e := claimOf(t, b.expect("thread.released", 10*time.Second))
		if e.Reason != inbox.ReleaseReplied || e.User == nil || e.User.ID != tm.anaID || e.Thread.ClaimedBy != nil {
			t.Errorf("thread.released after the reply = %+v; want Ana's claim ended by her reply", e)
		}
		clk.Advance(11 * time.Minute)
		for _, s := range []*socket{a, b} {
			s.quiet(1500*time.Millisecond, "thread.claim_lapsed", "thread.unread")
			if s.bell() != 0 {
				t.Errorf("bell after a replied claim's time passed = %d, want 0", s.bell())
			}
		}

		// Ben claims it explicitly; Ana takes it over; the admin releases
		// her claim: it is handed back to everyone at once.
		var claimed inbox.Thread
		tm.ben.call("POST", path(th.ID, "claim"), nil, 200, &claimed)
		if claimed.ClaimedBy == nil || claimed.ClaimedBy.ID != tm.benID {
			t.Errorf("Ben's claim = %+v, want his", claimed.ClaimedBy)
		}
		a.expect("thread.claimed", 10*time.Second)
		b.expect("thread.claimed", 10*time.Second) // his own tabs hear of it too
		tm.ana.call("POST", path(th.ID, "claim"), map[string]any{"take_over": true}, 200, &claimed)
		if e := claimOf(t, b.expect("thread.claimed", 10*time.Second)); e.Previous == nil || e.Previous.ID != tm.benID || e.User.ID != tm.anaID {
			t.Errorf("take-over event = %+v; want Ana taking over from Ben", e)
		}
		tm.admin.call("DELETE", path(th.ID, "claim"), nil, 200, &claimed)
		if claimed.ClaimedBy != nil || claimed.UnreadCount < 1 {
			t.Errorf("released thread = claimed by %v, %d unread; want no claim, unread", claimed.ClaimedBy, claimed.UnreadCount)
		}
		for _, s := range []*socket{a, b} {
			if e := claimOf(t, s.expect("thread.released", 10*time.Second)); e.Reason != inbox.ReleaseReleased || e.By == nil || e.By.Role != inbox.RoleAdmin {
				t.Errorf("thread.released = %+v; want released by the admin", e)
			}
			if s.bell() != 1 {
				t.Errorf("bell right after the release = %d, want 1", s.bell())
			}
		}
		// Releasing what nobody holds changes nothing.
		tm.ana.call("DELETE", path(th.ID, "claim"), nil, 200, nil)
		b.quiet(300*time.Millisecond, "thread.released")

		// Mark-unread ends a claim.
		tm.ben.call("POST", path(th.ID, "read"), nil, 200, nil)
		a.expect("thread.claimed", 10*time.Second)
		tm.ana.call("POST", path(th.ID, "unread"), nil, 200, nil)
		if e := claimOf(t, b.expect("thread.released", 10*time.Second)); e.Reason != inbox.ReleaseUnread || e.User.ID != tm.benID {
			t.Errorf("after mark-unread: %+v; want Ben's claim ended as unread", e)
		}

		// Settings: claim_on_read off, claim_minutes checked.
		var company inbox.Company
		tm.admin.call("GET", "/api/company", nil, 200, &company)
		if !company.ClaimOnRead || company.ClaimMinutes != 10 {
			t.Errorf("company claim settings = %v, %d; want true, 10", company.ClaimOnRead, company.ClaimMinutes)
		}
		if code := tm.admin.call("PUT", "/api/company", map[string]any{"claim_minutes": 0}, 422, nil); code != "invalid_claim_minutes" {
			t.Errorf("claim_minutes 0: got %q, want invalid_claim_minutes", code)
		}
		tm.ana.call("PUT", "/api/company", map[string]any{"claim_on_read": false}, 403, nil)
		tm.admin.call("PUT", "/api/company", map[string]any{"claim_on_read": false, "claim_minutes": 3}, 200, &company)
		if company.ClaimOnRead || company.ClaimMinutes != 3 {
			t.Errorf("company after PUT = %v, %d; want false, 3", company.ClaimOnRead, company.ClaimMinutes)
		}
		tm.ana.call("POST", path(th.ID, "read"), nil, 200, &read)
		if read.ClaimedBy != nil {
			t.Errorf("a read with claim_on_read off claimed the thread for %v", read.ClaimedBy)
		}
		start := clk.Now()
		tm.ana.call("POST", path(th.ID, "claim"), nil, 200, &claimed)
		if d := claimed.ClaimExpiresAt.Sub(start); d < 3*time.Minute-time.Second || d > 3*time.Minute+5*time.Second {
			t.Errorf("an explicit claim lasts %v, want claim_minutes (3m)", d)
		}
	})
}

// Two instances on one PostgreSQL and one Redis, sharing one fake clock:
// Ana's read on the first claims the thread, and Ben on the second sees it
// and his bell clears; when the clock passes claim_minutes with no reply,
// both bells rise again within a second of the lapse, on both instances,
// from one lapse; after a reply, nothing rises; a release on the second
// hands the thread back at once to Ana on the first.
func TestClaimsAcrossInstances(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "REDIS_URL": sharedRedis(t),
		"INBOX_REDIS_PREFIX": "test-" + newUUID(), "INBOX_SIMULATOR": "1"}
	clk := clock.NewFake(time.Now())
	s1 := startServer(t, env, withClock(clk))
	s2 := startServer(t, env, withClock(clk))
	admin := s1.bootstrap(t, "Acme", "admin@acme.test")
	_, anaID := s1.createUser(t, admin, "ana@acme.test", "recruiter")
	_, benID := s1.createUser(t, admin, "ben@acme.test", "recruiter")
	var number inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &number)
	admin.call("PUT", "/api/numbers/"+itoa(number.ID)+"/assignees", map[string]any{"user_ids": []int64{anaID, benID}}, 200, nil)
	var contact inbox.Contact
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &contact)
	ana, ben := s1.login(t, "ana@acme.test", "correct horse"), s2.login(t, "ben@acme.test", "correct horse")
	a, b := ana.dial(t, nil), ben.dial(t, nil)
	reply := func(text string) {
		t.Helper()
		if code := s1.webhook(t, "/webhooks/plivo/inbound", inboundForm(contact.Phone, number.E164, text, newUUID()), nil); code != 200 {
			t.Fatalf("inbound: got %d, want 200", code)
		}
		a.expect("message.created", 15*time.Second)
		b.expect("message.created", 15*time.Second)
	}
	path := func(id int64, what string) string { return "/api/threads/" + itoa(id) + "/" + what }

	reply("Is the job still open?")
	if a.bell() != 1 || b.bell() != 1 {
		t.Fatalf("bells after the text = %d, %d; want 1, 1", a.bell(), b.bell())
	}
	var th inbox.Thread
	ana.call("POST", path(a.onlyThread(t), "read"), nil, 200, &th)
	if e := claimOf(t, b.expect("thread.claimed", 15*time.Second)); e.Thread.ClaimedBy == nil || e.Thread.ClaimedBy.ID != anaID {
		t.Fatalf("Ben (instance 2) got thread.claimed %+v; want Ana holding it", e)
	}
	if b.bell() != 0 {
		t.Errorf("Ben's bell after Ana's read on the other instance = %d, want 0", b.bell())
	}

	// Past claim_minutes with no reply: both bells rise within a second.
	start := time.Now()
	clk.Set(*th.ClaimExpiresAt)
	for name, s := range map[string]*socket{"Ana (instance 1)": a, "Ben (instance 2)": b} {
		s.expect("thread.claim_lapsed", 15*time.Second)
		if s.bell() != 1 {
			t.Errorf("%s: bell after the lapse = %d, want 1", name, s.bell())
		}
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the bells rose %v after the lapse, want within 1 s", took)
	}
	a.quiet(time.Second, "thread.claim_lapsed") // one lapse, not one per instance
	b.quiet(10*time.Millisecond, "thread.claim_lapsed")

	// Ana claims by reading and replies: nothing rises when the time passes.
	ana.call("POST", path(th.ID, "read"), nil, 200, &th)
	b.expect("thread.claimed", 15*time.Second)
	ana.call("POST", "/api/contacts/"+itoa(contact.ID)+"/messages", map[string]any{"body": "Yes, it is!"}, 202, nil)
	if e := claimOf(t, b.expect("thread.released", 15*time.Second)); e.Reason != inbox.ReleaseReplied {
		t.Errorf("Ben got thread.released %+v; want the claim ended by Ana's reply", e)
	}
	clk.Set(th.ClaimExpiresAt.Add(time.Minute))
	a.quiet(1500*time.Millisecond, "thread.claim_lapsed", "thread.unread")
	b.quiet(10*time.Millisecond, "thread.claim_lapsed", "thread.unread")
	if a.bell() != 0 || b.bell() != 0 {
		t.Errorf("bells after an answered claim's time = %d, %d; want 0, 0", a.bell(), b.bell())
	}

	// A new text; Ben reads it on instance 2 and releases it: Ana's bell on
	// instance 1 rises at once.
	reply("One more question")
	ben.call("POST", path(th.ID, "read"), nil, 200, nil)
	a.expect("thread.claimed", 15*time.Second)
	if a.bell() != 0 {
		t.Errorf("Ana's bell after Ben's read = %d, want 0", a.bell())
	}
	ben.call("DELETE", path(th.ID, "claim"), nil, 200, nil)
	if e := claimOf(t, a.expect("thread.released", 15*time.Second)); e.Reason != inbox.ReleaseReleased || e.User.ID != benID {
		t.Errorf("Ana got thread.released %+v; want Ben's release", e)
	}
	b.expect("thread.released", 15*time.Second)
	if a.bell() != 1 || b.bell() != 1 {
		t.Errorf("bells after the release = %d, %d; want 1, 1", a.bell(), b.bell())
	}
}

// onlyThread is the id of the one thread the socket knows of.
func (s *socket) onlyThread(t *testing.T) int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unread) != 1 {
		t.Fatalf("the socket knows %d threads, want 1", len(s.unread))
	}
	for id := range s.unread {
		return id
	}
	return 0
}
