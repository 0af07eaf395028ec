package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// feedSeqs reads a feed's stored events in seq order, as the feed does.
func feedSeqs(t *testing.T, db *store.DB, topic string) []inbox.Event {
	t.Helper()
	events, err := db.EventsAfter(context.Background(), topic, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestFeedSeqsAreGaplessUnderConcurrency: transactions that write the same
// company feed at once each get their feed events back numbered, and the
// feed holds every event once, gapless, each transaction's in the order it
// emitted them.
func TestFeedSeqsAreGaplessUnderConcurrency(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const topic = "feed:7"
		const workers, perWorker = 8, 20
		var mu sync.Mutex
		returned := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					events, err := db.Tx(ctx, func(tx inbox.Tx) error {
						tx.Emit(fmt.Sprintf("number:%d", w), "e", map[string]int{"w": w, "i": i})
						tx.Emit(topic, "e", map[string]any{"w": w, "i": i, "k": 1})
						return tx.Emit(topic, "e", map[string]any{"w": w, "i": i, "k": 2})
					})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, e := range events {
						if e.Topic != topic {
							continue
						}
						if e.Seq <= 0 {
							errs <- fmt.Errorf("a feed event came back unnumbered: %+v", e)
						} else if _, dup := returned[e.Seq]; dup {
							errs <- fmt.Errorf("feed seq %d came back twice", e.Seq)
						}
						returned[e.Seq] = string(e.Data)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		stored := feedSeqs(t, db, topic)
		if len(stored) != 2*workers*perWorker {
			t.Fatalf("the feed holds %d events, want %d", len(stored), 2*workers*perWorker)
		}
		type mark struct{ W, I, K int }
		seen := map[mark]bool{}
		for i, e := range stored {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: the feed has a gap", i, e.Seq)
			}
			var m mark
			if err := json.Unmarshal(e.Data, &m); err != nil {
				t.Fatal(err)
			}
			if seen[m] {
				t.Fatalf("event %s is in the feed twice", e.Data)
			}
			seen[m] = true
			if returned[e.Seq] != string(e.Data) {
				t.Fatalf("seq %d: stored %s, the transaction got back %q", e.Seq, e.Data, returned[e.Seq])
			}
			// A transaction's feed events keep their order (another's may
			// come between them: they are numbered in the order stored).
			if m.K == 2 && !seen[mark{m.W, m.I, 1}] {
				t.Fatalf("seq %d (%s) comes before its transaction's first event", e.Seq, e.Data)
			}
		}
		seqs, err := db.TopicSeqs(ctx, []string{topic})
		if err != nil {
			t.Fatal(err)
		}
		if seqs[topic] != int64(len(stored)) {
			t.Fatalf("the feed's head is %d, want %d", seqs[topic], len(stored))
		}
	})
}

// TestFeedIsNumberedAfterCommit: on PostgreSQL a transaction that writes a
// company feed commits without waiting for the feed's counter, which
// another transaction holds; its feed events are numbered once the counter
// is free. (Holding the counter to the commit made every write of a
// company wait for the one before it, and for everything that one waited
// on.)
func TestFeedIsNumberedAfterCommit(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	const topic = "feed:9"
	if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.Emit(topic, "first", map[string]int{"n": 1}) }); err != nil {
		t.Fatal(err)
	}
	// Another connection holds the feed's counter.
	holder, err := db.Read().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck
	if _, err := holder.ExecContext(ctx, `SELECT seq FROM topic_seqs WHERE topic = $1 FOR UPDATE`, topic); err != nil {
		t.Fatal(err)
	}
	done := make(chan []inbox.Event, 1)
	go func() {
		events, err := db.Tx(ctx, func(tx inbox.Tx) error {
			if err := tx.Emit("number:9", "created", map[string]int{"n": 2}); err != nil {
				return err
			}
			return tx.Emit(topic, "second", map[string]int{"n": 2})
		})
		if err != nil {
			t.Error(err)
		}
		done <- events
	}()
	// The change, its number topic's event among it, is committed while the
	// feed's counter is still held.
	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := db.EventsAfter(ctx, "number:9", 0, 10)
		if err == nil && len(events) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the transaction did not commit while another held its company feed's counter")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("the feed event was numbered while its counter was held")
	default:
	}
	if got := feedSeqs(t, db, topic); len(got) != 1 {
		t.Fatalf("the feed shows %d events before the counter is free, want 1", len(got))
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	var events []inbox.Event
	select {
	case events = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the feed event was not numbered once its counter was free")
	}
	var feed []inbox.Event
	for _, e := range events {
		if e.Topic == topic {
			feed = append(feed, e)
		}
	}
	if len(feed) != 1 || feed[0].Seq != 2 || feed[0].Type != "second" {
		t.Fatalf("the transaction got back feed events %+v, want seq 2 of type second", feed)
	}
	if got := feedSeqs(t, db, topic); len(got) != 2 || got[1].Seq != 2 || got[1].Type != "second" {
		t.Fatalf("the feed holds %+v", got)
	}
}

// TestNumberFeedsNumbersLeftovers: feed events committed but never
// numbered (their process stopped in between) are numbered by NumberFeeds
// after what the feed holds, in the order they were stored, once.
func TestNumberFeedsNumbersLeftovers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const topic = "feed:11"
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.Emit(topic, "stored", map[string]int{"n": 1}) }); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"left-1", "left-2"} {
			if err := db.ExecForTest(ctx, `INSERT INTO feed_pending (topic, type, payload, created_at)
				VALUES ('`+topic+`', '`+typ+`', '{}', CURRENT_TIMESTAMP)`); err != nil {
				t.Fatal(err)
			}
		}
		events, err := db.NumberFeeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Seq != 2 || events[0].Type != "left-1" || events[1].Seq != 3 || events[1].Type != "left-2" {
			t.Fatalf("NumberFeeds returned %+v, want left-1 and left-2 as seqs 2 and 3", events)
		}
		if again, err := db.NumberFeeds(ctx); err != nil || len(again) != 0 {
			t.Fatalf("a second NumberFeeds returned %+v, %v: want nothing", again, err)
		}
		if got := feedSeqs(t, db, topic); len(got) != 3 || got[2].Type != "left-2" {
			t.Fatalf("the feed holds %+v", got)
		}
		seqs, err := db.TopicSeqs(ctx, []string{topic})
		if err != nil || seqs[topic] != 3 {
			t.Fatalf("the feed's head is %v (%v), want 3", seqs[topic], err)
		}
	})
}

// TestErasureScrubsPendingFeedEvents: a feed event committed but not yet
// numbered when its contact is erased is numbered without their data.
func TestErasureScrubsPendingFeedEvents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "pending-erasure")
		topic := inbox.FeedTopic(f.company.ID)
		if err := db.ExecForTest(ctx, fmt.Sprintf(`INSERT INTO feed_pending (topic, type, payload, created_at, contact_id)
			VALUES ('%s', 'message.received', '{"phone":"+14155550199"}', CURRENT_TIMESTAMP, %d)`, topic, f.contact.ID)); err != nil {
			t.Fatal(err)
		}
		scrub := func(json.RawMessage) json.RawMessage { return json.RawMessage(`{"phone":"[erased]"}`) }
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
			return tx.EraseContact(ctx, f.company.ID, f.contact.ID, time.Now(), scrub)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.NumberFeeds(ctx); err != nil {
			t.Fatal(err)
		}
		got := feedSeqs(t, db, topic)
		if len(got) != 1 || string(got[0].Data) != `{"phone":"[erased]"}` {
			t.Fatalf("the feed holds %+v, want the event scrubbed", got)
		}
	})
}
