package main

// End-to-end tests of GET /api/events, the company feed an ATS pulls.

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// tokenClient is an API token of admin's, as the ATS holds it.
func tokenClient(t *testing.T, s *testServer, admin *client) *client {
	t.Helper()
	var tok struct{ Token string }
	admin.call("POST", "/api/tokens", map[string]any{"name": "ATS"}, 201, &tok)
	c := s.client(t)
	c.token = tok.Token
	return c
}

// A long poll waits for the next event and wakes as soon as it is stored,
// well before its wait is up; without wait the answer is at once.
func TestEventFeedLongPoll(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		f := newPlivoFixture(t, env)
		ats := tokenClient(t, f.s, f.admin)
		var page inbox.FeedPage
		ats.call("GET", "/api/events", nil, 200, &page)
		head := page.Head
		if page.Last != page.Head {
			t.Fatalf("feed from 0: last_seq %d, head_seq %d; want all of it", page.Last, page.Head)
		}
		start := time.Now()
		ats.call("GET", "/api/events?after="+itoa(head), nil, 200, &page)
		if len(page.Events) != 0 || page.Last != head || time.Since(start) > 5*time.Second {
			t.Fatalf("no wait: %+v after %v; want nothing, at once", page, time.Since(start))
		}

		type result struct {
			page inbox.FeedPage
			took time.Duration
		}
		done := make(chan result, 1)
		go func() {
			var p inbox.FeedPage
			begin := time.Now()
			ats.call("GET", "/api/events?after="+itoa(head)+"&wait=12", nil, 200, &p)
			done <- result{p, time.Since(begin)}
		}()
		time.Sleep(300 * time.Millisecond) // the poll is waiting
		stored := time.Now()
		f.inbound(t, "are you there?")
		select {
		case r := <-done:
			if len(r.page.Events) == 0 || r.page.Events[0].Seq != head+1 || r.page.Events[0].Type != "message.received" {
				t.Fatalf("long poll got %+v; want the new text at seq %d", r.page, head+1)
			}
			// Generous: the poll must wake on the event, not at its 12 s.
			if woke := time.Since(stored); woke > 3*time.Second {
				t.Errorf("the long poll answered %v after the text was stored; want it woken by it", woke)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the long poll never answered")
		}
		// A seq past the head is a mistake of the caller.
		ats.call("GET", "/api/events?after=999999", nil, 422, nil)
		ats.call("GET", "/api/events?after=-1", nil, 400, nil)
	})
}

// Two instances write the company's events at once: the feed, read from
// either, is gapless, in order, and has every one of them.
func TestEventFeedGaplessAcrossInstances(t *testing.T) {
	endToEnd(t)
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1"}
	s1 := startServer(t, env)
	s2 := startServer(t, env)
	admin := s1.bootstrap(t, "Acme", "admin@acme.test")
	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
	ats := tokenClient(t, s1, admin)
	ats2 := s2.client(t)
	ats2.token = ats.token

	// A reader follows the feed on instance 2 while the texts come in.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu     sync.Mutex
		follow []inbox.FeedEvent
	)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		var after int64
		for ctx.Err() == nil {
			var page inbox.FeedPage
			code, raw := ats2.raw("GET", "/api/events?after="+itoa(after)+"&wait=2", nil, nil)
			if code != http.StatusOK {
				t.Errorf("follow: %d %s", code, raw)
				return
			}
			decodeJSON(t, raw, &page)
			mu.Lock()
			follow = append(follow, page.Events...)
			mu.Unlock()
			after = page.Last
		}
	}()

	const perInstance = 25
	var wg sync.WaitGroup
	for i, s := range []*testServer{s1, s2} {
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range perInstance / 2 {
					from := "+1415555" + strconv.Itoa(1000+i*100+g*50+k)
					code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm(from, n.E164, "hello "+from, newUUID()), nil)
					if code != 200 {
						t.Errorf("inbound on instance %d: %d", i+1, code)
					}
				}
			}()
		}
	}
	wg.Wait()
	want := 2 * 2 * (perInstance / 2)
	var all []inbox.FeedEvent
	eventually(t, 20*time.Second, "both instances' texts are in the feed", func() bool {
		all = feed(t, ats, 0)
		got := 0
		for _, e := range all {
			if e.Type == "message.received" {
				got++
			}
		}
		return got == want
	})
	checkGapless(t, all, 1)
	eventually(t, 10*time.Second, "the follower on instance 2 has caught up", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(follow) == len(all)
	})
	cancel()
	<-readerDone
	mu.Lock()
	checkGapless(t, follow, 1)
	mu.Unlock()
}

// Events older than the feed's retention are gone: 410 resync, for the
// feed and for a replay; from the head on, the feed goes on.
func TestEventFeedGoneAfterRetention(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now().UTC())
		f := newPlivoFixtureWith(t, merge(env, map[string]string{"INBOX_FEED_RETENTION": "1h", "PLIVO_TIMEOUT": "100ms"}), withClock(clk))
		ats := tokenClient(t, f.s, f.admin)
		r := newReceiver(t)
		hook := r.register(t, f.admin, "*")
		f.inbound(t, "an old text")
		var page inbox.FeedPage
		ats.call("GET", "/api/events", nil, 200, &page)
		if len(page.Events) == 0 {
			t.Fatal("the feed is empty")
		}
		head := page.Head
		clk.Advance(2 * time.Hour)
		eventually(t, 15*time.Second, "the janitor prunes the old events", func() bool {
			code, _ := ats.raw("GET", "/api/events?after=0", nil, nil)
			return code == http.StatusGone
		})
		if code := ats.call("GET", "/api/events?after=0", nil, 410, nil); code != "resync" {
			t.Errorf("past retention: code %q; want resync", code)
		}
		ats.call("GET", "/api/events?after="+itoa(head), nil, 200, &page)
		if page.Head != head || len(page.Events) != 0 {
			t.Errorf("from the head: %+v; want nothing new", page)
		}
		f.admin.call("POST", "/api/webhooks/"+itoa(hook.ID)+"/replay", map[string]any{"from_seq": 1}, 410, nil)
		f.inbound(t, "a new text")
		ats.call("GET", "/api/events?after="+itoa(head), nil, 200, &page)
		if len(page.Events) == 0 || page.Events[0].Seq != head+1 {
			t.Errorf("after the head: %+v; want seq %d", page, head+1)
		}
	})
}

// A long poll in progress answers at once when the server shuts down: a
// rolling deploy does not wait out every ATS's wait.
func TestEventFeedLongPollEndsAtShutdown(t *testing.T) {
	s := startServer(t, nil)
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	ats := tokenClient(t, s, admin)
	var page inbox.FeedPage
	ats.call("GET", "/api/events", nil, 200, &page)
	done := make(chan int, 1)
	go func() {
		code, _ := ats.raw("GET", "/api/events?wait=30&after="+itoa(page.Head), nil, nil)
		done <- code
	}()
	time.Sleep(300 * time.Millisecond) // the poll is waiting
	stopped := make(chan struct{})
	start := time.Now()
	go func() { s.stop(); close(stopped) }()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Errorf("the long poll answered %d at shutdown; want 200 with no events", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll held on through the shutdown")
	}
	<-stopped
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("shutdown took %v with a long poll open", took)
	}
}
