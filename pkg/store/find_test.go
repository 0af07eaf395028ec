package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// The store's part of finding and owning threads: inbox pages, claims,
// search, and the report's rollups and response times, on both engines.

// add stores a message on the thread of number and contact at the given
// time, in a transaction of its own, and returns it.
func add(t *testing.T, db *store.DB, companyID, numberID, contactID int64, m inbox.Message) inbox.Message {
	t.Helper()
	ctx := context.Background()
	m.CompanyID = companyID
	if m.Status == "" {
		m.Status = inbox.StatusReceived
		if m.Direction == inbox.Outbound {
			m.Status = inbox.StatusQueued
		}
	}
	m.Segments, m.Encoding = 1, "GSM-7"
	mustTx(t, db, func(tx inbox.Tx) (any, error) {
		var err error
		if m.ThreadID, err = tx.EnsureThread(ctx, companyID, numberID, contactID); err != nil {
			return nil, err
		}
		_, err = tx.InsertMessage(ctx, &m)
		return nil, err
	})
	return m
}

// newContact adds a contact to the fixture's company.
func newContact(t *testing.T, db *store.DB, f fixture, name, phone, email string) inbox.Contact {
	t.Helper()
	c := inbox.Contact{CompanyID: f.company.ID, Name: name, Phone: phone, Email: email, Kind: inbox.KindCandidate, Consent: inbox.ConsentOptedIn}
	mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.CreateContact(context.Background(), &c) })
	return c
}

// Paging through an inbox visits every thread once, unread first, then
// newest first, across numbers and read states, and past 200 threads; the
// filters keep what they say.
func TestInboxThreadsPaging(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		other := newFixture(t, db, "globex")
		second := mustTx(t, db, func(tx inbox.Tx) (inbox.Number, error) {
			n := inbox.Number{CompanyID: f.company.ID, E164: "+14155550902", Label: "Warehouse"}
			return n, tx.CreateNumber(ctx, &n)
		})
		numbers := []int64{f.number.ID, second.ID}
		base := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		type want struct {
			id            int64
			at            time.Time
			unread, await bool
			mine          bool
		}
		var all []want
		// 230 threads over two numbers, all in one transaction: every third
		// is read, every fourth answered (by the recruiter), and times tie
		// in pairs so that the id decides.
		mustTx(t, db, func(tx inbox.Tx) (any, error) {
			for i := range 230 {
				c := inbox.Contact{CompanyID: f.company.ID, Name: fmt.Sprintf("C%d", i), Phone: fmt.Sprintf("+1650555%04d", i),
					Kind: inbox.KindCandidate, Consent: inbox.ConsentOptedIn}
				if err := tx.CreateContact(ctx, &c); err != nil {
					return nil, err
				}
				th, err := tx.EnsureThread(ctx, f.company.ID, numbers[i%2], c.ID)
				if err != nil {
					return nil, err
				}
				at := base.Add(time.Duration(i/2) * time.Minute)
				m := inbox.Message{CompanyID: f.company.ID, ThreadID: th, Direction: inbox.Inbound, Body: "hi", Status: inbox.StatusReceived,
					Segments: 1, Encoding: "GSM-7", CreatedAt: at}
				if _, err := tx.InsertMessage(ctx, &m); err != nil {
					return nil, err
				}
				w := want{id: th, at: at, unread: true, await: true}
				if i%4 == 0 {
					r := inbox.Message{CompanyID: f.company.ID, ThreadID: th, Direction: inbox.Outbound, Body: "hello", Status: inbox.StatusQueued,
						Segments: 1, Encoding: "GSM-7", CreatedAt: at, SentBy: &f.recruiter}
					if _, err := tx.InsertMessage(ctx, &r); err != nil {
						return nil, err
					}
					w.await, w.mine = false, true
				}
				if i%3 == 0 {
					if _, err := tx.MarkRead(ctx, th, f.recruiter.ID, at); err != nil {
						return nil, err
					}
					w.unread = false
				}
				all = append(all, w)
			}
			return nil, nil
		})
		// Another company's thread at the newest time: never listed.
		add(t, db, other.company.ID, other.number.ID, other.contact.ID, inbox.Message{Direction: inbox.Inbound, Body: "x", CreatedAt: base.Add(time.Hour * 24)})
		// A thread claimed by the recruiter, not answered, is "mine" too.
		claimed := all[1].id
		mustTx(t, db, func(tx inbox.Tx) (bool, error) {
			return tx.ClaimThread(ctx, claimed, f.recruiter.ID, base, base.Add(time.Hour), false)
		})
		all[1].mine = true

		order := func(keep func(want) bool) []int64 {
			var ws []want
			for _, w := range all {
				if keep(w) {
					ws = append(ws, w)
				}
			}
			slices.SortFunc(ws, func(a, b want) int {
				if a.unread != b.unread {
					if a.unread {
						return -1
					}
					return 1
				}
				if c := b.at.Compare(a.at); c != 0 {
					return c
				}
				return int(b.id - a.id)
			})
			return ids(ws, func(w want) int64 { return w.id })
		}
		page := func(q inbox.InboxQuery, size int) []int64 {
			var got []int64
			for _, unread := range []bool{true, false} {
				q := q
				q.Unread, q.After, q.Limit = unread, nil, size
				for {
					threads, err := db.InboxThreads(ctx, f.company.ID, q)
					if err != nil {
						t.Fatalf("InboxThreads(%+v): %v", q, err)
					}
					for _, th := range threads {
						if (th.UnreadCount > 0) != unread {
							t.Fatalf("thread %d with %d unread listed among unread=%v", th.ID, th.UnreadCount, unread)
						}
						got = append(got, th.ID)
					}
					if len(threads) < size {
						break
					}
					last := threads[len(threads)-1]
					q.After = &inbox.InboxPosition{At: *last.LastMessageAt, ID: last.ID}
				}
			}
			return got
		}
		for name, c := range map[string]struct {
			q    inbox.InboxQuery
			keep func(want) bool
		}{
			"all":      {inbox.InboxQuery{NumberIDs: numbers}, func(want) bool { return true }},
			"one":      {inbox.InboxQuery{NumberIDs: []int64{second.ID}}, func(w want) bool { return slices.Index(ids(all, func(x want) int64 { return x.id }), w.id)%2 == 1 }},
			"awaiting": {inbox.InboxQuery{NumberIDs: numbers, Awaiting: true}, func(w want) bool { return w.await }},
			"mine":     {inbox.InboxQuery{NumberIDs: numbers, Mine: f.recruiter.ID}, func(w want) bool { return w.mine }},
			"others":   {inbox.InboxQuery{NumberIDs: numbers, Mine: f.admin.ID}, func(want) bool { return false }},
		} {
			want := order(c.keep)
			for _, size := range []int{7, 200} {
				if got := page(c.q, size); !slices.Equal(got, want) {
					t.Errorf("%s, pages of %d: got %d threads %v\nwant %d %v", name, size, len(got), got, len(want), want)
				}
			}
		}
		if got := page(inbox.InboxQuery{NumberIDs: []int64{other.number.ID}}, 50); len(got) != 0 {
			t.Errorf("another company's number listed %v for acme", got)
		}
		th, err := db.Thread(ctx, f.company.ID, all[1].id)
		if err != nil || th.AwaitingSince == nil || !th.AwaitingSince.Equal(all[1].at) {
			t.Errorf("awaiting_since of an unanswered thread = %v (%v), want %v", th.AwaitingSince, err, all[1].at)
		}
		if th, _ := db.Thread(ctx, f.company.ID, all[0].id); th.AwaitingSince != nil {
			t.Errorf("awaiting_since of an answered thread = %v, want none", th.AwaitingSince)
		}
	})
}

// awaiting_since is the first inbound text after the last outbound one.
func TestAwaitingSince(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		msg := func(dir inbox.Direction, min int) inbox.Thread {
			m := inbox.Message{Direction: dir, Body: "x", CreatedAt: at.Add(time.Duration(min) * time.Minute)}
			if dir == inbox.Outbound {
				m.SentBy = &f.recruiter
			}
			m = add(t, db, f.company.ID, f.number.ID, f.contact.ID, m)
			th, err := db.Thread(ctx, f.company.ID, m.ThreadID)
			if err != nil {
				t.Fatal(err)
			}
			return th
		}
		for _, step := range []struct {
			dir  inbox.Direction
			min  int
			want int // minutes after at; -1: none
		}{
			{inbox.Inbound, 0, 0}, {inbox.Inbound, 1, 0}, {inbox.Outbound, 2, -1}, {inbox.Outbound, 3, -1}, {inbox.Inbound, 4, 4},
		} {
			th := msg(step.dir, step.min)
			switch {
			case step.want < 0 && th.AwaitingSince != nil:
				t.Errorf("after %s at +%d: awaiting since %v, want not awaiting", step.dir, step.min, th.AwaitingSince)
			case step.want >= 0 && (th.AwaitingSince == nil || !th.AwaitingSince.Equal(at.Add(time.Duration(step.want)*time.Minute))):
				t.Errorf("after %s at +%d: awaiting since %v, want +%d", step.dir, step.min, th.AwaitingSince, step.want)
			}
		}
	})
}

// A claim is taken once; another user's live claim is kept unless taken
// over; an expired one is free; ending needs the holder; a hand-back makes
// the thread unread with no reader.
func TestClaims(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		in := add(t, db, f.company.ID, f.number.ID, f.contact.ID, inbox.Message{Direction: inbox.Inbound, Body: "hi", CreatedAt: now})
		th := in.ThreadID
		claim := func(user int64, at time.Time, takeOver bool) bool {
			t.Helper()
			return mustTx(t, db, func(tx inbox.Tx) (bool, error) {
				return tx.ClaimThread(ctx, th, user, at, at.Add(10*time.Minute), takeOver)
			})
		}
		if next, err := db.NextClaimExpiry(ctx); err != nil || next != nil {
			t.Errorf("NextClaimExpiry with no claims = %v, %v; want none", next, err)
		}
		if !claim(f.recruiter.ID, now, false) {
			t.Fatal("first claim refused")
		}
		got, _ := db.Thread(ctx, f.company.ID, th)
		if got.ClaimedBy == nil || got.ClaimedBy.ID != f.recruiter.ID || got.ClaimExpiresAt == nil ||
			!got.ClaimExpiresAt.Equal(now.Add(10*time.Minute)) || got.ClaimedAt == nil || !got.ClaimedAt.Equal(now) {
			t.Errorf("claimed thread = by %v at %v until %v; want the recruiter at %v until +10m", got.ClaimedBy, got.ClaimedAt, got.ClaimExpiresAt, now)
		}
		if next, err := db.NextClaimExpiry(ctx); err != nil || next == nil || !next.Equal(now.Add(10*time.Minute)) {
			t.Errorf("NextClaimExpiry = %v, %v; want %v", next, err, now.Add(10*time.Minute))
		}
		if claim(f.admin.ID, now.Add(time.Minute), false) {
			t.Error("another user's live claim was taken without take-over")
		}
		if !claim(f.recruiter.ID, now.Add(2*time.Minute), false) {
			t.Error("the holder could not renew their claim")
		}
		if !claim(f.admin.ID, now.Add(3*time.Minute), true) {
			t.Error("take-over refused")
		}
		if !claim(f.recruiter.ID, now.Add(20*time.Minute), false) {
			t.Error("an expired claim of another user was not free")
		}
		end := func(user int64, hand bool) bool {
			return mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.EndClaim(ctx, th, user, hand) })
		}
		if end(f.admin.ID, true) {
			t.Error("a user who holds no claim ended one")
		}
		mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.MarkRead(ctx, th, f.recruiter.ID, now) })
		if !end(f.recruiter.ID, true) {
			t.Fatal("the holder could not end their claim")
		}
		got, _ = db.Thread(ctx, f.company.ID, th)
		if got.ClaimedBy != nil || got.ClaimExpiresAt != nil || got.UnreadCount != 1 || got.ReadBy != nil {
			t.Errorf("handed back = claimed by %v until %v, %d unread, read by %v; want no claim, 1 unread, no reader",
				got.ClaimedBy, got.ClaimExpiresAt, got.UnreadCount, got.ReadBy)
		}
	})
}

// Expired claims lapse once each, even when several processes lapse at
// once: unanswered ones leave their thread unread with no reader; an
// answered one just ends; live ones stay.
func TestLapseClaims(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		var threads []int64
		for i := range 30 {
			c := newContact(t, db, f, fmt.Sprintf("L%d", i), fmt.Sprintf("+1650444%04d", i), "")
			m := add(t, db, f.company.ID, f.number.ID, c.ID, inbox.Message{Direction: inbox.Inbound, Body: "hi", CreatedAt: now})
			expires := now.Add(time.Duration(i%3) * time.Minute) // 0, 1, 2 minutes: the 2-minute ones stay live
			mustTx(t, db, func(tx inbox.Tx) (bool, error) {
				if _, err := tx.MarkRead(ctx, m.ThreadID, f.recruiter.ID, now); err != nil {
					return false, err
				}
				return tx.ClaimThread(ctx, m.ThreadID, f.recruiter.ID, now.Add(-time.Minute), expires, false)
			})
			threads = append(threads, m.ThreadID)
		}
		// A person answered the first thread after its claim began.
		add(t, db, f.company.ID, f.number.ID, newContact(t, db, f, "x", "+16504449999", "").ID, inbox.Message{Direction: inbox.Inbound, Body: "x", CreatedAt: now})
		answered, _ := db.Thread(ctx, f.company.ID, threads[0])
		add(t, db, f.company.ID, f.number.ID, answered.Contact.ID, inbox.Message{Direction: inbox.Outbound, Body: "on it", SentBy: &f.recruiter, CreatedAt: now})

		at := now.Add(90 * time.Second)
		workers := 1
		if db.Engine() == "postgres" {
			workers = 4 // lapsing at once, as several instances do
		}
		var mu sync.Mutex
		seen := map[int64]inbox.LapsedClaim{}
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					var got []inbox.LapsedClaim
					_, err := db.Tx(ctx, func(tx inbox.Tx) (err error) {
						got, err = tx.LapseClaims(ctx, at, 3)
						return err
					})
					if err != nil {
						t.Errorf("LapseClaims: %v", err)
						return
					}
					mu.Lock()
					for _, l := range got {
						if _, dup := seen[l.ThreadID]; dup {
							t.Errorf("thread %d lapsed twice", l.ThreadID)
						}
						seen[l.ThreadID] = l
					}
					mu.Unlock()
					if len(got) == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		for i, id := range threads {
			l, lapsed := seen[id]
			th, _ := db.Thread(ctx, f.company.ID, id)
			switch {
			case i%3 == 2:
				if lapsed || th.ClaimedBy == nil {
					t.Errorf("thread %d: a live claim lapsed", id)
				}
			case !lapsed:
				t.Errorf("thread %d: an expired claim did not lapse", id)
			case l.UserID != f.recruiter.ID || l.CompanyID != f.company.ID:
				t.Errorf("thread %d lapsed as %+v; want the recruiter's, of acme", id, l)
			case i == 0:
				if !l.Replied || th.UnreadCount != 0 || th.ClaimedBy != nil {
					t.Errorf("answered thread: lapse %+v, %d unread, claimed by %v; want replied, still read, no claim", l, th.UnreadCount, th.ClaimedBy)
				}
			default:
				if l.Replied || th.UnreadCount != 1 || th.ReadBy != nil || th.ClaimedBy != nil {
					t.Errorf("thread %d after lapse: %d unread, read by %v, claimed by %v; want unread again, no reader, no claim",
						id, th.UnreadCount, th.ReadBy, th.ClaimedBy)
				}
			}
		}
		if next, _ := db.NextClaimExpiry(ctx); next == nil || !next.Equal(now.Add(2*time.Minute)) {
			t.Errorf("next expiry after lapsing = %v, want the live claims' %v", next, now.Add(2*time.Minute))
		}
	})
}

// Search finds messages by word prefixes (stemmed), only on the numbers it
// is given and only of its company; the better match ranks first; snippets
// mark the matches; windows page through the matches; contacts are found by
// name, email and phone digits.
func TestSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		other := newFixture(t, db, "globex")
		second := mustTx(t, db, func(tx inbox.Tx) (inbox.Number, error) {
			n := inbox.Number{CompanyID: f.company.ID, E164: "+14155550903", Label: "Warehouse"}
			return n, tx.CreateNumber(ctx, &n)
		})
		dana := newContact(t, db, f, "Dana Whitfield", "+14155550777", "dana@example.test")
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		weak := add(t, db, f.company.ID, f.number.ID, f.contact.ID, inbox.Message{Direction: inbox.Inbound, CreatedAt: at,
			Body: "The weather was nice on the way home and we should talk about the interview some time next week perhaps"})
		strong := add(t, db, f.company.ID, f.number.ID, dana.ID, inbox.Message{Direction: inbox.Inbound, CreatedAt: at.Add(-time.Hour),
			Body: "Interview tomorrow? The interview panel wants two interviews."})
		hidden := add(t, db, f.company.ID, second.ID, f.contact.ID, inbox.Message{Direction: inbox.Inbound, CreatedAt: at,
			Body: "Warehouse interview on Friday"})
		add(t, db, other.company.ID, other.number.ID, other.contact.ID, inbox.Message{Direction: inbox.Inbound, CreatedAt: at,
			Body: "globex interview"})

		search := func(q string, numbers []int64, window, offset, limit int, before int64) inbox.MessageHits {
			t.Helper()
			hits, err := db.SearchMessages(ctx, f.company.ID, inbox.MessageSearch{Terms: inbox.SearchTerms(q), NumberIDs: numbers,
				Window: window, Offset: offset, Limit: limit, Before: before})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			return hits
		}
		hitIDs := func(h inbox.MessageHits) []int64 {
			return ids(h.Hits, func(x inbox.SearchHit) int64 { return x.Message.ID })
		}
		recruiting := []int64{f.number.ID}
		got := search("interv", recruiting, 1000, 0, 20, 0)
		if want := []int64{strong.ID, weak.ID}; !slices.Equal(hitIDs(got), want) || got.Window != 2 {
			t.Fatalf("search interv on Recruiting: got %v (window %d), want %v best first (window 2)", hitIDs(got), got.Window, want)
		}
		h := got.Hits[0]
		if h.ThreadID != strong.ThreadID || h.Contact.ID != dana.ID || h.Message.Body != strong.Body || h.Message.Direction != inbox.Inbound {
			t.Errorf("hit = thread %d, contact %d, %+v; want the message of thread %d with Dana", h.ThreadID, h.Contact.ID, h.Message, strong.ThreadID)
		}
		if !strings.Contains(h.Snippet, inbox.HighlightStart+"Interview"+inbox.HighlightEnd) {
			t.Errorf("snippet %q: want Interview marked", h.Snippet)
		}
		if n := len(search("interviews tomorrow", recruiting, 1000, 0, 20, 0).Hits); n != 1 {
			t.Errorf("two words: got %d hits, want 1 (both words in one message)", n)
		}
		if got := hitIDs(search("warehouse", recruiting, 1000, 0, 20, 0)); len(got) != 0 {
			t.Errorf("a word only on another number found %v", got)
		}
		if got := hitIDs(search("interview", []int64{f.number.ID, second.ID}, 1000, 0, 20, 0)); len(got) != 3 || !slices.Contains(got, hidden.ID) {
			t.Errorf("both numbers: got %v, want the three acme messages", got)
		}
		if got := hitIDs(search("globex", []int64{f.number.ID, second.ID, other.number.ID}, 1000, 0, 20, 0)); len(got) != 0 {
			t.Errorf("another company's message found: %v", got)
		}
		// Windows of two, pages of one: every match once, the newest
		// window first — with the newest messages probed two at a time, so
		// that windows are gathered from every part of PostgreSQL's way:
		// the probe and the index (no scan allowed), and the probe and a
		// scan of the next messages.
		add(t, db, f.company.ID, f.number.ID, f.contact.ID, inbox.Message{Direction: inbox.Inbound, CreatedAt: at, Body: "See you then"})
		for _, scanMax := range []int{0, 100} {
			store.SetSearchSlices(t, 2, scanMax)
			var paged []int64
			before := int64(0)
			for range 5 {
				w := search("interview", []int64{f.number.ID, second.ID}, 2, 0, 1, before)
				paged = append(paged, hitIDs(w)...)
				if w.Window > 1 {
					paged = append(paged, hitIDs(search("interview", []int64{f.number.ID, second.ID}, 2, 1, 1, before))...)
				}
				if w.Window < 2 {
					break
				}
				before = w.WindowMinID
			}
			slices.Sort(paged)
			if want := []int64{weak.ID, strong.ID, hidden.ID}; !slices.Equal(paged, sorted(want)) {
				t.Errorf("scanning at most %d: paged through windows: got %v, want %v", scanMax, paged, sorted(want))
			}
		}

		contacts := func(q string, numberID int64) []string {
			t.Helper()
			cs, err := db.SearchContacts(ctx, f.company.ID, inbox.SearchTerms(q), digitsOf(q), numberID, 10)
			if err != nil {
				t.Fatal(err)
			}
			return ids2names(cs)
		}
		for q, want := range map[string][]string{
			"dan":           {"Dana Whitfield"},
			"whitfield dan": {"Dana Whitfield"},
			"whit dana":     nil, // only the last word is a prefix
			"dana@exa":      {"Dana Whitfield"},
			"555 0777":      {"Dana Whitfield"},
			"casey":         {"Casey"},
			"nobody":        nil,
		} {
			if got := contacts(q, 0); !slices.Equal(got, want) {
				t.Errorf("contacts %q: got %v, want %v", q, got, want)
			}
		}
		if got := contacts("dana", second.ID); len(got) != 0 {
			t.Errorf("contacts on Warehouse: got %v, want none (Dana has no thread there)", got)
		}
		if cs, _ := db.SearchContacts(ctx, other.company.ID, []string{"dana"}, "", 0, 10); len(cs) != 0 {
			t.Errorf("another company found %v", ids2names(cs))
		}
	})
}

func sorted(s []int64) []int64 { s = slices.Clone(s); slices.Sort(s); return s }

func ids2names(cs []inbox.Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// digitsOf is the digits of q when q is only digits and phone punctuation.
func digitsOf(q string) string {
	var b strings.Builder
	for _, r := range q {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if !strings.ContainsRune(" +-().", r) {
			return ""
		}
	}
	if b.Len() < 3 {
		return ""
	}
	return b.String()
}

// Every outbound text answers the inbound texts since the outbound one
// before it: one response time each, by the replier, counted by bucket.
func TestResponseTimes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		msg := func(dir inbox.Direction, d time.Duration, by *inbox.User) {
			add(t, db, f.company.ID, f.number.ID, f.contact.ID, inbox.Message{Direction: dir, Body: "x", CreatedAt: at.Add(d), SentBy: by})
		}
		msg(inbox.Inbound, 0, nil)
		msg(inbox.Inbound, 30*time.Second, nil)
		msg(inbox.Outbound, 90*time.Second+400*time.Millisecond, &f.recruiter) // answers both: 90 s and 60 s
		msg(inbox.Outbound, 100*time.Second, &f.admin)                         // answers nothing
		msg(inbox.Inbound, time.Hour, nil)
		msg(inbox.Outbound, time.Hour+7*time.Minute, nil) // an automatic reply: 420 s
		msg(inbox.Inbound, 2*time.Hour, nil)              // not answered

		f2 := inbox.ReportFilter{From: at.Add(-time.Hour), To: at.Add(3 * time.Hour)}
		groups, err := db.ReportResponses(ctx, f.company.ID, f2)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, g := range groups {
			who := "auto"
			if g.User != nil {
				who = g.User.Name
			}
			if g.Number.ID != f.number.ID || g.Number.E164 == "" {
				t.Errorf("group number = %+v, want the fixture's", g.Number)
			}
			got[fmt.Sprintf("%s/%d", who, g.Bucket)] += g.Count
		}
		want := map[string]int64{
			fmt.Sprintf("Ana/%d", inbox.ResponseBucket(90)):   1,
			fmt.Sprintf("Ana/%d", inbox.ResponseBucket(60)):   1,
			fmt.Sprintf("auto/%d", inbox.ResponseBucket(420)): 1,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("response groups = %v, want %v", got, want)
		}
		f2.UserID = f.recruiter.ID
		if groups, _ := db.ReportResponses(ctx, f.company.ID, f2); len(groups) != 2 {
			t.Errorf("the recruiter's responses: %d groups, want 2", len(groups))
		}
		f2.UserID, f2.From = 0, at.Add(time.Minute) // the first two texts are before the window
		if groups, _ := db.ReportResponses(ctx, f.company.ID, f2); len(groups) != 1 || groups[0].User != nil {
			t.Errorf("responses to texts in the window: %+v, want the automatic reply's only", groups)
		}
		// The store's SQL buckets as the domain does.
		for _, s := range []int64{0, 1, 59, 119, 120, 124, 125, 599, 600, 629, 630, 3599, 3600, 3899, 3900, 86399, 86400, 90000, 1_000_000} {
			b, err := db.ResponseBucketForTest(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if want := inbox.ResponseBucket(s); b != want {
				t.Errorf("SQL bucket of %d s = %d, want %d", s, b, want)
			}
		}
	})
}

// The rollups follow status changes and the charge Plivo's callbacks set
// after the insert (a later one changing it), and folding the deltas changes
// no total: the rollups then hold every message's count and charge, equal to
// a sum over the messages themselves.
func TestRollupsFollowStatusAndFold(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		var outs []inbox.Message
		for i := range 6 {
			outs = append(outs, add(t, db, f.company.ID, f.number.ID, f.contact.ID, inbox.Message{Direction: inbox.Outbound, Body: "x",
				SentBy: &f.recruiter, CreatedAt: at.AddDate(0, 0, -i)}))
		}
		// Plivo's "sent" report charges, then the final status comes; one
		// text's charge is corrected by a later report. Amounts a float
		// would not add exactly.
		charges := []inbox.Billing{{Units: "1", TotalAmount: "0.10000"}, {Units: "2", TotalAmount: "0.20000"},
			{Units: "1", TotalAmount: "0.00650"}, {Units: "3", TotalAmount: "0.01950"}, {}, {Units: "1", TotalAmount: "0.70000"}}
		for i, m := range outs {
			if !charges[i].IsZero() {
				mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetBilling(ctx, m.ID, charges[i]) })
			}
			m.Status = inbox.StatusDelivered
			if i%2 == 0 {
				m.Status = inbox.StatusFailed
			}
			mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetStatus(ctx, m) })
		}
		charges[1] = inbox.Billing{Units: "1", TotalAmount: "0.10010"}
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetBilling(ctx, outs[1].ID, charges[1]) })

		type total struct {
			messages, units int64
			amount          string
		}
		totals := func() map[inbox.Status]total {
			t.Helper()
			// Whole days only: every count and charge comes from the rollups.
			groups, err := db.ReportGroups(ctx, f.company.ID, inbox.ReportFilter{From: at.AddDate(0, 0, -10), To: at.AddDate(0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[inbox.Status]total{}
			for _, g := range groups {
				c := got[g.Status]
				c.messages += g.Messages
				c.units += g.Units
				c.amount = inbox.AddDecimals(c.amount, g.Amount)
				got[g.Status] = c
			}
			return got
		}
		want := map[inbox.Status]total{
			inbox.StatusDelivered: {3, 1 + 3 + 1, "0.81960"}, // 0.10010 + 0.01950 + 0.70000
			inbox.StatusFailed:    {3, 1 + 1, "0.10650"},     // 0.10000 + 0.00650 + none
		}
		if got := totals(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("totals after charges and status changes = %v, want %v (queued moved out, the corrected charge counted once)", got, want)
		}
		units, amount, err := db.ChargeForTest(ctx, "messages", f.company.ID)
		if err != nil || units != 7 || amount != "0.92610" {
			t.Fatalf("the messages' own charge: %d units, %q, %v; want 7 units, 0.92610", units, amount, err)
		}

		folded, err := db.FoldRollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if db.Engine() == "postgres" && folded == 0 {
			t.Error("FoldRollups folded nothing on PostgreSQL")
		}
		if got := totals(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("totals after folding = %v, want %v", got, want)
		}
		if n, _ := db.FoldRollups(ctx); n != 0 {
			t.Errorf("a second fold folded %d, want 0", n)
		}
		// Folded, the rollups alone hold what the messages say: the deltas
		// carried the charge through the fold.
		ru, ra, err := db.ChargeForTest(ctx, "message_rollups", f.company.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ru != units || ra != amount {
			t.Errorf("message_rollups hold %d units, %s; want the messages' %d units, %s", ru, ra, units, amount)
		}
		if du, da, err := db.ChargeForTest(ctx, "message_rollup_deltas", f.company.ID); err != nil || du != 0 || (da != "" && da != "0") {
			t.Errorf("deltas after the fold: %d units, %q, %v; want none", du, da, err)
		}
	})
}

// decimal_add adds signed decimals exactly, for SQLite's rollup triggers.
func TestDecimalAdd(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	for _, c := range []struct {
		a, b any
		want string
	}{
		{"0.0065", "0.01300", "0.01950"},
		{"-0.00650", "0.00650", "0.00000"},
		{"0", "-0.0130", "-0.0130"},
		{"0.1", "0.2", "0.3"},
		{nil, nil, "0"},
		{"7", nil, "7"},
		{int64(2), "1.50", "3.50"},
		{"-1", "0.25", "-0.75"},
		{"123456789012345678.5", "0.5", "123456789012345679.0"},
	} {
		got, err := db.DecimalAddForTest(ctx, c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("decimal_add(%v, %v) = %q, %v; want %q", c.a, c.b, got, err, c.want)
		}
	}
	for _, bad := range []any{"abc", "1e3", "--1", " 1", "1.", "+1", 1.5} {
		if got, err := db.DecimalAddForTest(ctx, bad, "0"); err == nil {
			t.Errorf("decimal_add(%v, 0) = %q; want an error, never a guess", bad, got)
		}
	}
}
