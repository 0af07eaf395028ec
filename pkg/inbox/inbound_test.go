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
// counted and held until release is closed; the one numbered fail (from 1)
// fails without running.
type heldStore struct {
	*store.DB
	armed   atomic.Bool
	txs     atomic.Int32
	release chan struct{}
	fail    int32
	// stall (from 1) is the transaction that runs out of time: it waits
	// for its context to end, as a statement kept waiting on locks would.
	stall int32
	// Statements of armed transactions: company reads, threads ensured
	// and messages inserted one at a time or a batch at a time, and
	// threads read one at a time.
	companyReads, threadOne, threadMany  atomic.Int32
	messageOne, messageMany, threadReads atomic.Int32
}

// countingTx counts a transaction's statements of the inbound path.
type countingTx struct {
	inbox.Tx
	h *heldStore
}

func (c countingTx) Company(ctx context.Context, id int64) (inbox.Company, error) {
	c.h.companyReads.Add(1)
	return c.Tx.Company(ctx, id)
}

func (c countingTx) EnsureThread(ctx context.Context, companyID, numberID, contactID int64) (int64, error) {
	c.h.threadOne.Add(1)
	return c.Tx.EnsureThread(ctx, companyID, numberID, contactID)
}

func (c countingTx) EnsureThreads(ctx context.Context, keys []inbox.ThreadKey) (map[inbox.ThreadKey]int64, error) {
	c.h.threadMany.Add(1)
	return c.Tx.EnsureThreads(ctx, keys)
}

func (c countingTx) InsertMessage(ctx context.Context, m *inbox.Message) (bool, error) {
	c.h.messageOne.Add(1)
	return c.Tx.InsertMessage(ctx, m)
}

func (c countingTx) InsertMessages(ctx context.Context, ms []*inbox.Message) error {
	c.h.messageMany.Add(1)
	return c.Tx.InsertMessages(ctx, ms)
}

func (c countingTx) Thread(ctx context.Context, companyID, id int64) (inbox.Thread, error) {
	c.h.threadReads.Add(1)
	return c.Tx.Thread(ctx, companyID, id)
}

func (h *heldStore) Tx(ctx context.Context, fn func(inbox.Tx) error) ([]inbox.Event, error) {
	if !h.armed.Load() {
		return h.DB.Tx(ctx, fn)
	}
	n := h.txs.Add(1)
	<-h.release
	if n == h.fail {
		return nil, inbox.Unavailable("the database (failed by the test)", errors.New("connection reset"))
	}
	if n == h.stall {
		<-ctx.Done()
		return nil, fmt.Errorf("store 2 events: %w", ctx.Err())
	}
	return h.DB.Tx(ctx, func(tx inbox.Tx) error { return fn(countingTx{tx, h}) })
}

// newHeldService is a Service on a heldStore over db, with a company, its
// admin and one number; the store is armed only once the caller says so.
func newHeldService(t *testing.T, db *store.DB) (*heldStore, *inbox.Service, inbox.User, inbox.Number) {
	t.Helper()
	ctx := context.Background()
	h := &heldStore{DB: db, release: make(chan struct{})}
	svc := inbox.New(h, pubsub.NewMemory(), nil, inbox.Config{PasswordCost: 4}, nil)
	admin, err := svc.Bootstrap(ctx, "Acme", inbox.NewUser{Email: "admin@acme.test", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	number, err := svc.CreateNumber(ctx, admin, "+14155550100", "Main")
	if err != nil {
		t.Fatal(err)
	}
	return h, svc, admin, number
}

// TestReceiveSMSGroupCommit: texts arriving while a transaction is in flight
// are stored together in the next one; each caller still gets its own
// outcome (stored, duplicate, or not_found), and seqs stay gapless. When the
// shared transaction fails, every text is stored alone and nothing is lost.
func TestReceiveSMSGroupCommit(t *testing.T) {
	// After the held transactions of the first texts (one per batch that
	// may be in flight):
	for _, tc := range []struct {
		name      string
		failBatch bool
		moreTxs   int
	}{
		{"batched", false, 1},         // one for the 40 queued behind them
		{"batch fails", true, 1 + 40}, // the failed batch, then each text alone
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				h, svc, admin, number := newHeldService(t, db)
				if tc.failBatch {
					h.fail = int32(svc.MaxInflight() + 1)
				}
				h.armed.Store(true)

				type result struct {
					m   inbox.Message
					err error
				}
				var texts []inbox.InboundSMS
				for i := range svc.MaxInflight() {
					texts = append(texts, inbox.InboundSMS{From: fmt.Sprintf("+1415555%04d", 900+i), To: number.E164,
						Text: "first", MessageUUID: fmt.Sprintf("u-first-%d", i)})
				}
				for i := range 30 {
					texts = append(texts, inbox.InboundSMS{From: fmt.Sprintf("+1415555%04d", 1000+i%10), To: number.E164,
						Text: fmt.Sprintf("text %d", i), MessageUUID: fmt.Sprintf("u-%d", i)})
				}
				for i := range 5 { // Plivo delivering again, in the same batch
					texts = append(texts, texts[svc.MaxInflight()+i])
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
				queueBehindHeld(t, h, svc, len(texts), receive)
				wg.Wait()

				if got, want := int(h.txs.Load()), svc.MaxInflight()+tc.moreTxs; got != want {
					t.Errorf("%d write transactions; want %d", got, want)
				}
				// A batch reads its company once and ensures its threads in
				// one call, not once per text.
				if !tc.failBatch {
					want := int32(svc.MaxInflight() + 1)
					if got := h.companyReads.Load(); got != want {
						t.Errorf("%d company reads; want %d (one per transaction)", got, want)
					}
					if one, many := h.threadOne.Load(), h.threadMany.Load(); one != 0 || many != want {
						t.Errorf("threads ensured %d times one by one and %d times together; want 0 and %d (one per transaction)", one, many, want)
					}
					// Each phone's first text in a batch is inserted with the
					// others' and its thread read with theirs; its later
					// texts (20) and the redeliveries (5) one by one, and
					// only the 20 stored that way read their thread alone.
					if one, many, reads := h.messageOne.Load(), h.messageMany.Load(), h.threadReads.Load(); one != 25 || many != want || reads != 20 {
						t.Errorf("messages inserted %d times one by one and %d times together, threads read alone %d times; want 25, %d (one per transaction) and 20",
							one, many, reads, want)
					}
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
				stored := svc.MaxInflight() + 30
				if len(ids) != stored {
					t.Errorf("%d distinct messages; want %d", len(ids), stored)
				}
				events, err := db.EventsAfter(ctx, inbox.NumberTopic(number.ID), 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				// One message.created per stored text, and one contact.updated
				// per phone: its first text made its consent implied.
				phones := svc.MaxInflight() + 10
				created := 0
				for i, e := range events {
					if e.Seq != int64(i+1) {
						t.Errorf("event %d: seq %d; want %d", i, e.Seq, i+1)
					}
					switch e.Type {
					case inbox.EventMessageCreated:
						created++
					case inbox.EventContactUpdated:
					default:
						t.Errorf("event %d: %s; want message.created or contact.updated", i, e.Type)
					}
				}
				if created != stored || len(events) != stored+phones {
					t.Errorf("%d events on the number, %d message.created; want %d message.created and a contact.updated per phone (%d)",
						len(events), created, stored, phones)
				}
				threads, err := db.Threads(ctx, admin.CompanyID, inbox.ThreadFilter{NumberIDs: []int64{number.ID}, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				unread := 0
				for _, th := range threads {
					unread += th.UnreadCount
				}
				if len(threads) != phones || unread != stored {
					t.Errorf("%d threads with %d unread; want %d threads (one per phone), %d unread",
						len(threads), unread, phones, stored)
				}
			})
		})
	}
}

// TestTimedOutBatchIsNotRetriedAlone: a batch that runs out of time fails
// its texts as unavailable (503: the provider delivers them again) instead
// of storing each alone, which under overload multiplied the transactions
// on the same counters and turned a slow batch into a storm of failures.
func TestTimedOutBatchIsNotRetriedAlone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, svc, _, number := newHeldService(t, db)
		svc.SetBatchTimeout(2 * time.Second) // the stalled batch waits it out; the others need a fraction of it
		h.stall = int32(svc.MaxInflight() + 1)
		h.armed.Store(true)
		var wg sync.WaitGroup
		errs := make([]error, svc.MaxInflight()+10)
		receive := func(i int) {
			wg.Go(func() {
				_, errs[i] = svc.ReceiveSMS(ctx, inbox.InboundSMS{From: fmt.Sprintf("+1415555%04d", 1200+i), To: number.E164,
					Text: "hello", MessageUUID: fmt.Sprintf("u-slow-%d", i)})
			})
		}
		queueBehindHeld(t, h, svc, len(errs), receive)
		wg.Wait()
		if got, want := int(h.txs.Load()), svc.MaxInflight()+1; got != want {
			t.Errorf("%d write transactions; want %d (the timed-out batch is not retried text by text)", got, want)
		}
		for i, err := range errs {
			switch {
			case i < svc.MaxInflight() && err != nil:
				t.Errorf("text %d, in a batch that kept its time: %v", i, err)
			case i >= svc.MaxInflight() && inbox.ErrorKind(err) != inbox.KindUnavailable:
				t.Errorf("text %d, in the batch that ran out of time: %v; want unavailable", i, err)
			}
		}
	})
}

// queueBehindHeld receives n texts: the first MaxInflight each start a
// transaction, which h holds; the rest queue behind them, to be stored in
// batches once h lets go — when all of them are queued.
func queueBehindHeld(t *testing.T, h *heldStore, svc *inbox.Service, n int, receive func(int)) {
	t.Helper()
	for i := range svc.MaxInflight() {
		receive(i)
	}
	waitFor(t, "the first transactions to start", func() bool { return int(h.txs.Load()) == svc.MaxInflight() })
	for i := svc.MaxInflight(); i < n; i++ {
		receive(i)
	}
	queued := n - svc.MaxInflight()
	waitFor(t, fmt.Sprintf("%d texts to queue", queued), func() bool { return svc.QueuedTexts() == queued })
	close(h.release)
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

// TestGroupCommitKeywords: a phone texting STOP twice, and a new phone
// texting twice, in one batch: the second text of each sees what the first
// changed — one consent change and one confirmation, one contact.
func TestGroupCommitKeywords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, svc, admin, number := newHeldService(t, db)
		const stopper, newcomer = "+14155551001", "+14155551002"
		if _, err := svc.ReceiveSMS(ctx, inbox.InboundSMS{From: stopper, To: number.E164, Text: "hello", MessageUUID: "u-hello"}); err != nil {
			t.Fatal(err)
		}
		h.armed.Store(true)
		var wg sync.WaitGroup
		receive := func(in inbox.InboundSMS) {
			wg.Go(func() {
				if _, err := svc.ReceiveSMS(ctx, in); err != nil {
					t.Errorf("text %s: %v", in.MessageUUID, err)
				}
			})
		}
		for i := range svc.MaxInflight() {
			receive(inbox.InboundSMS{From: fmt.Sprintf("+1415555%04d", 1100+i), To: number.E164, Text: "first",
				MessageUUID: fmt.Sprintf("u-first-%d", i)})
		}
		waitFor(t, "the first transactions to start", func() bool { return int(h.txs.Load()) == svc.MaxInflight() })
		receive(inbox.InboundSMS{From: stopper, To: number.E164, Text: "STOP", MessageUUID: "u-stop-1"})
		receive(inbox.InboundSMS{From: stopper, To: number.E164, Text: "stop", MessageUUID: "u-stop-2"})
		receive(inbox.InboundSMS{From: newcomer, To: number.E164, Text: "hi", MessageUUID: "u-new-1"})
		receive(inbox.InboundSMS{From: newcomer, To: number.E164, Text: "again", MessageUUID: "u-new-2"})
		waitFor(t, "4 texts to queue", func() bool { return svc.QueuedTexts() == 4 })
		close(h.release)
		wg.Wait()
		if got := int(h.txs.Load()); got != svc.MaxInflight()+1 {
			t.Fatalf("%d write transactions; want %d (the four texts together)", got, svc.MaxInflight()+1)
		}

		c, err := db.ContactByPhone(ctx, admin.CompanyID, stopper)
		if err != nil || c.Consent != inbox.ConsentOptedOut {
			t.Fatalf("stopper: %+v, %v; want opted out", c, err)
		}
		changes, err := db.ConsentChanges(ctx, admin.CompanyID, c.ID)
		// "hello" made consent implied (the phone texted first); the two
		// STOPs make one opt-out.
		if err != nil || len(changes) != 2 || changes[0].Source != inbox.SourceInbound || changes[1].Source != inbox.SourceKeyword {
			t.Errorf("stopper's consent changes: %+v, %v; want implied by inbound, then one opt-out by keyword", changes, err)
		}
		threads, err := db.Threads(ctx, admin.CompanyID, inbox.ThreadFilter{ContactID: c.ID, Limit: 10})
		if err != nil || len(threads) != 1 {
			t.Fatalf("stopper's threads: %d, %v", len(threads), err)
		}
		msgs, err := db.Messages(ctx, admin.CompanyID, []int64{threads[0].ID}, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		confirmations := 0
		for _, m := range msgs {
			if m.Direction == inbox.Outbound {
				confirmations++
			}
		}
		if len(msgs) != 4 || confirmations != 1 {
			t.Errorf("stopper's thread has %d messages, %d of them confirmations; want hello, STOP, stop and one confirmation", len(msgs), confirmations)
		}
		all, err := db.Contacts(ctx, admin.CompanyID, inbox.ContactFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != svc.MaxInflight()+2 {
			t.Errorf("%d contacts; want %d (the newcomer once)", len(all), svc.MaxInflight()+2)
		}
	})
}
