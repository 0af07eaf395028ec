package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// heldStore is a real store whose write transactions, once armed, are
// counted; the first is held until release is closed, and the one numbered
// fail (from 1) fails without running.
type heldStore struct {
	*store.DB
	armed   atomic.Bool
	txs     atomic.Int32
	release chan struct{}
	fail    int32
}

func (h *heldStore) Tx(ctx context.Context, fn func(inbox.Tx) error) ([]inbox.Event, error) {
	if !h.armed.Load() {
		return h.DB.Tx(ctx, fn)
	}
	n := h.txs.Add(1)
	if n == 1 {
		<-h.release
	}
	if n == h.fail {
		return nil, inbox.Unavailable("the database (failed by the test)", errors.New("connection reset"))
	}
	return h.DB.Tx(ctx, fn)
}

// TestReceiveSMSGroupCommit: texts arriving while a transaction is in flight
// are stored together in the next one; each caller still gets its own
// outcome (stored, duplicate, or not_found), and seqs stay gapless. When the
// shared transaction fails, every text is stored alone and nothing is lost.
func TestReceiveSMSGroupCommit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    int32
		wantTxs int32
	}{
		// The held transaction, then one for the 40 queued behind it.
		{"batched", 0, 2},
		// The held one, the failed batch, then each of the 40 alone.
		{"batch fails", 2, 2 + 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				h := &heldStore{DB: db, release: make(chan struct{}), fail: tc.fail}
				svc := inbox.New(h, pubsub.NewMemory(), nil, inbox.Config{PasswordCost: 4}, nil)
				admin, err := svc.Bootstrap(ctx, "Acme", inbox.NewUser{Email: "admin@acme.test", Password: "correct horse"})
				if err != nil {
					t.Fatal(err)
				}
				number, err := svc.CreateNumber(ctx, admin, "+14155550100", "Main")
				if err != nil {
					t.Fatal(err)
				}
				h.armed.Store(true)

				type result struct {
					m   inbox.Message
					err error
				}
				texts := []inbox.InboundSMS{{From: "+14155550999", To: number.E164, Text: "first", MessageUUID: "u-first"}}
				for i := range 30 {
					texts = append(texts, inbox.InboundSMS{From: fmt.Sprintf("+1415555%04d", 1000+i%10), To: number.E164,
						Text: fmt.Sprintf("text %d", i), MessageUUID: fmt.Sprintf("u-%d", i)})
				}
				for i := range 5 { // Plivo delivering again, in the same batch
					texts = append(texts, texts[1+i])
				}
				for i := range 5 {
					texts = append(texts, inbox.InboundSMS{From: "+14155551000", To: "+14155550199",
						Text: "to a number nobody manages", MessageUUID: fmt.Sprintf("u-lost-%d", i)})
				}
				results := make([]result, len(texts))
				var wg sync.WaitGroup
				receive := func(i int) {
					wg.Go(func() {
						m, err := svc.ReceiveSMS(ctx, texts[i])
						results[i] = result{m, err}
					})
				}
				receive(0)
				waitFor(t, "the first transaction to start", func() bool { return h.txs.Load() == 1 })
				for i := 1; i < len(texts); i++ {
					receive(i)
				}
				waitFor(t, "40 texts to queue", func() bool { return svc.QueuedTexts() == 40 })
				close(h.release)
				wg.Wait()

				if got := h.txs.Load(); got != tc.wantTxs {
					t.Errorf("%d write transactions; want %d", got, tc.wantTxs)
				}
				ids := map[string]int64{}
				for i, r := range results {
					in := texts[i]
					switch {
					case in.To != number.E164:
						if inbox.ErrorKind(r.err) != inbox.KindNotFound {
							t.Errorf("text to an unknown number: %v; want not_found", r.err)
						}
					case r.err != nil:
						t.Errorf("text %s: %v", in.MessageUUID, r.err)
					case r.m.ID == 0 || r.m.Body != in.Text || r.m.PlivoUUID == nil || *r.m.PlivoUUID != in.MessageUUID:
						t.Errorf("text %s: stored as %+v", in.MessageUUID, r.m)
					case ids[in.MessageUUID] != 0 && ids[in.MessageUUID] != r.m.ID:
						t.Errorf("text %s stored twice: messages %d and %d", in.MessageUUID, ids[in.MessageUUID], r.m.ID)
					default:
						ids[in.MessageUUID] = r.m.ID
					}
				}
				if len(ids) != 31 {
					t.Errorf("%d distinct messages; want 31", len(ids))
				}
				events, err := db.EventsAfter(ctx, inbox.NumberTopic(number.ID), 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				if len(events) != 31 {
					t.Errorf("%d events on the number; want one per stored text, 31", len(events))
				}
				for i, e := range events {
					if e.Seq != int64(i+1) || e.Type != inbox.EventMessageCreated {
						t.Errorf("event %d: seq %d %s; want seq %d message.created", i, e.Seq, e.Type, i+1)
					}
				}
				threads, err := db.Threads(ctx, admin.CompanyID, inbox.ThreadFilter{NumberIDs: []int64{number.ID}, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				unread := 0
				for _, th := range threads {
					unread += th.UnreadCount
				}
				if len(threads) != 11 || unread != 31 {
					t.Errorf("%d threads with %d unread; want 11 threads (11 phones), 31 unread", len(threads), unread)
				}
			})
		})
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
