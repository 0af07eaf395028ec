package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// TestLease: one holder at a time; the holder renews it; it lapses at its
// expiry for anyone; a release frees it at once; of holders asking at the
// same moment exactly one gets it.
func TestLease(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
		take := func(holder string, now time.Time) bool {
			t.Helper()
			ok, err := db.AcquireLease(ctx, "job", holder, now, now.Add(2*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !take("a", t0) {
			t.Fatal("a free lease: a did not get it")
		}
		if take("b", t0.Add(time.Minute)) {
			t.Error("b got the lease a holds")
		}
		if !take("a", t0.Add(time.Minute)) {
			t.Error("a could not renew its lease")
		}
		if take("b", t0.Add(2*time.Minute+59*time.Second)) {
			t.Error("b got the lease before a's renewal lapsed")
		}
		if !take("b", t0.Add(3*time.Minute)) {
			t.Error("b did not get a's lapsed lease")
		}
		if take("a", t0.Add(3*time.Minute)) {
			t.Error("a took back the lease b holds now")
		}
		if err := db.ReleaseLease(ctx, "job", "a"); err != nil {
			t.Fatal(err)
		}
		if take("c", t0.Add(3*time.Minute)) {
			t.Error("a released b's lease")
		}
		if err := db.ReleaseLease(ctx, "job", "b"); err != nil {
			t.Fatal(err)
		}
		if !take("c", t0.Add(3*time.Minute)) {
			t.Error("c did not get a released lease")
		}
		if ok, err := db.AcquireLease(ctx, "other job", "a", t0.Add(3*time.Minute), t0.Add(4*time.Minute)); err != nil || !ok {
			t.Errorf("a free lease of another name, while c holds this one: %v, %v; want it", ok, err)
		}

		// Ten holders at once: one wins.
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			won []string
		)
		for _, h := range []string{"h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.AcquireLease(ctx, "race", h, t0, t0.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won = append(won, h)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 {
			t.Errorf("holders that got one lease at once: %v; want exactly one", won)
		}
	})
}

// TestBackfillSucceeded: the last successful run, per name.
func TestBackfillSucceeded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, ok, err := db.BackfillSucceeded(ctx, "plivo"); err != nil || ok {
			t.Fatalf("never run: %v, %v; want none", ok, err)
		}
		t1 := time.Date(2026, 3, 2, 15, 0, 0, 123456000, time.UTC)
		for _, at := range []time.Time{t1, t1.Add(5 * time.Minute)} {
			mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetBackfillSucceeded(ctx, "plivo", at) })
			got, ok, err := db.BackfillSucceeded(ctx, "plivo")
			if err != nil || !ok || !got.Equal(at) {
				t.Errorf("after a run at %v: %v, %v, %v", at, got, ok, err)
			}
		}
		if _, ok, _ := db.BackfillSucceeded(ctx, "other"); ok {
			t.Error("another name has a run")
		}
	})
}

// insertInbound stores an inbound text of the fixture's contact.
func insertInbound(t *testing.T, db *store.DB, f fixture, m inbox.Message) (inbox.Message, bool) {
	t.Helper()
	ctx := context.Background()
	type out struct {
		m   inbox.Message
		dup bool
	}
	o := mustTx(t, db, func(tx inbox.Tx) (out, error) {
		thread, err := tx.EnsureThread(ctx, f.company.ID, f.number.ID, f.contact.ID)
		if err != nil {
			return out{}, err
		}
		m.CompanyID, m.ThreadID, m.Direction, m.Status = f.company.ID, thread, inbox.Inbound, inbox.StatusReceived
		dup, err := tx.InsertMessage(ctx, &m)
		return out{m, dup}, err
	})
	return o.m, o.dup
}

// TestMissedText: a missed text is stored once by its MessageUUID, raises
// the unread count, counts as missed until filled in — once: a second
// fill-in changes nothing — and a text stored from its webhook cannot be
// "filled".
func TestMissedText(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		uuid := "missed-1"
		at := time.Date(2026, 3, 2, 15, 2, 0, 0, time.UTC)
		m, dup := insertInbound(t, db, f, inbox.Message{PlivoUUID: &uuid, Missed: true, Encoding: "GSM-7", CreatedAt: at})
		if dup {
			t.Fatal("first insert of a missed text: duplicate")
		}
		if _, dup := insertInbound(t, db, f, inbox.Message{PlivoUUID: &uuid, Missed: true, Encoding: "GSM-7", CreatedAt: at}); !dup {
			t.Error("the same missed text again: not a duplicate")
		}
		got, err := db.MessageByID(ctx, m.ID)
		if err != nil || !got.Missed || got.Body != "" || !got.CreatedAt.Equal(at) {
			t.Fatalf("stored missed text = %+v, %v; want missed, no words, at Plivo's time", got, err)
		}
		th, err := db.Thread(ctx, f.company.ID, m.ThreadID)
		if err != nil || th.UnreadCount != 1 || th.LastMessage == nil || !th.LastMessage.Missed {
			t.Fatalf("thread = %+v, %v; want one unread, its last message the missed one", th, err)
		}
		if n, err := db.MissedTexts(ctx, f.contact.ID); err != nil || n != 1 {
			t.Errorf("MissedTexts = %d, %v; want 1", n, err)
		}

		fill := func(uuid, body string) (inbox.Message, bool) {
			t.Helper()
			w := inbox.Message{PlivoUUID: &uuid, Body: body, MediaURLs: []string{"https://media.example/a.jpg"},
				Segments: 1, Encoding: "GSM-7", Flagged: true}
			ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.FillMissed(ctx, &w) })
			return w, ok
		}
		w, ok := fill(uuid, "STOP please")
		if !ok || w.ID != m.ID {
			t.Fatalf("fill in: %v, id %d; want message %d filled", ok, w.ID, m.ID)
		}
		got, _ = db.MessageByID(ctx, m.ID)
		if got.Missed || got.Body != "STOP please" || got.Segments != 1 || !got.Flagged ||
			!slices.Equal(got.MediaURLs, []string{"https://media.example/a.jpg"}) || !got.CreatedAt.Equal(at) {
			t.Errorf("filled text = %+v; want its words, media and flag, missed no more, still at Plivo's time", got)
		}
		if _, ok := fill(uuid, "something else"); ok {
			t.Error("a second fill-in changed the text")
		}
		if got, _ := db.MessageByID(ctx, m.ID); got.Body != "STOP please" {
			t.Errorf("after a second fill-in the body is %q", got.Body)
		}
		if n, _ := db.MissedTexts(ctx, f.contact.ID); n != 0 {
			t.Errorf("MissedTexts after the fill-in = %d; want 0", n)
		}
		webhook := "webhook-1"
		insertInbound(t, db, f, inbox.Message{PlivoUUID: &webhook, Body: "hello", Segments: 1, Encoding: "GSM-7", CreatedAt: at})
		if _, ok := fill(webhook, "other words"); ok {
			t.Error("a text from its webhook was filled in")
		}
		if _, ok := fill("nobody", "x"); ok {
			t.Error("an unknown uuid was filled in")
		}
	})
}

// TestReviewReason: a contact under review for a missed text says so; the
// ordinary review, and clearing it, set the reason back.
func TestReviewReason(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		reason := func() string {
			t.Helper()
			c, err := db.Contact(ctx, f.company.ID, f.contact.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c.ReviewReason()
		}
		mustTx(t, db, func(tx inbox.Tx) (any, error) {
			return nil, tx.SetConsentReviewReason(ctx, f.contact.ID, inbox.ReviewReasonMissed)
		})
		if got := reason(); got != inbox.ReviewReasonMissed {
			t.Errorf("under review for a missed text: %q", got)
		}
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetConsentReview(ctx, f.contact.ID, true) })
		if got := reason(); got != inbox.ReviewReasonAskedToStop {
			t.Errorf("under review for a text asking to stop: %q", got)
		}
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetConsentReview(ctx, f.contact.ID, false) })
		if got := reason(); got != "" {
			t.Errorf("not under review: %q", got)
		}
	})
}

// TestSettleSends: the sends in doubt old enough to settle, with their
// route and the attempt's start; a record's uuid adopted once; a send
// queued again once; both only while still in doubt.
func TestSettleSends(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		db.SetClock(fixedClock{t0.Add(time.Hour)})
		inDoubt := func(at time.Time) int64 {
			t.Helper()
			id := queue(t, db, f, f.number, at)
			claim(t, db, at, time.Millisecond)
			mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.MarkSendUnknown(ctx, id) })
			return id
		}
		a := inDoubt(t0)
		b := inDoubt(t0.Add(time.Minute))
		c := inDoubt(t0.Add(10 * time.Minute))
		doubts, err := db.SendsInDoubt(ctx, t0.Add(5*time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(doubts) != 2 || doubts[0].MessageID != a || doubts[1].MessageID != b {
			t.Fatalf("sends in doubt begun before 10:05: %+v; want %d and %d", doubts, a, b)
		}
		if d := doubts[1]; !d.BeganAt.Equal(t0.Add(time.Minute)) || d.From != f.number.E164 || d.To != f.contact.Phone ||
			d.NumberID != f.number.ID || d.ContactID != f.contact.ID || d.CompanyID != f.company.ID {
			t.Errorf("send in doubt = %+v; want its attempt's start, route and ids", d)
		}

		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.AdoptSend(ctx, a, "rec-a") }); !ok {
			t.Fatal("AdoptSend of a send in doubt: not adopted")
		}
		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.AdoptSend(ctx, a, "rec-other") }); ok {
			t.Error("AdoptSend of a send that has a uuid now: adopted again")
		}
		if known, err := db.KnownProviderIDs(ctx, []string{"rec-a", "rec-b", "rec-other"}); err != nil || !slices.Equal(known, []string{"rec-a"}) {
			t.Errorf("KnownProviderIDs = %v, %v; want [rec-a]", known, err)
		}
		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.ResendInDoubt(ctx, a, t0.Add(time.Hour)) }); ok {
			t.Error("ResendInDoubt of a send with a record's uuid: queued again")
		}
		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.ResendInDoubt(ctx, b, t0.Add(time.Hour)) }); !ok {
			t.Fatal("ResendInDoubt of a send in doubt: not queued")
		}
		if m, _ := db.MessageByID(ctx, b); m.Status != inbox.StatusQueued {
			t.Errorf("a send queued again shows %s; want queued", m.Status)
		}
		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.ResendInDoubt(ctx, b, t0.Add(time.Hour)) }); ok {
			t.Error("ResendInDoubt twice: queued twice")
		}
		if got := claim(t, db, t0.Add(time.Hour), time.Millisecond); !slices.Equal(got, []int64{b}) {
			t.Errorf("claimed %v; want the send queued again, %d", got, b)
		}
		doubts, _ = db.SendsInDoubt(ctx, t0.Add(time.Hour), 10)
		if len(doubts) != 1 || doubts[0].MessageID != c {
			t.Errorf("sends in doubt left: %+v; want only %d (a has a uuid, b is being sent)", doubts, c)
		}
		// Many ids at once, in chunks.
		many := make([]string, 1200)
		for i := range many {
			many[i] = strings.Repeat("x", i%7) + "-" + time.Duration(i).String()
		}
		many[777] = "rec-a"
		if known, err := db.KnownProviderIDs(ctx, many); err != nil || !slices.Equal(known, []string{"rec-a"}) {
			t.Errorf("KnownProviderIDs of 1,200 ids = %v, %v; want [rec-a]", known, err)
		}
	})
}

// TestRollbackKeepsMissedTextsReadable: rolling back below version 8, a
// missed text's body says what it was, since the previous release would
// show it empty.
func TestRollbackKeepsMissedTextsReadable(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		uuid := "missed-1"
		m, _ := insertInbound(t, db, f, inbox.Message{PlivoUUID: &uuid, Missed: true, Encoding: "GSM-7", CreatedAt: time.Now()})
		if _, err := db.MigrateDownTo(ctx, 7); err != nil {
			t.Fatalf("roll back to 7: %v", err)
		}
		var body string
		if err := db.Read().GetContext(ctx, &body, db.Read().Rebind(`SELECT body FROM messages WHERE id = ?`), m.ID); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "missed while the server was down") {
			t.Errorf("after the roll back the missed text reads %q; want it to say it was missed", body)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
	})
}
