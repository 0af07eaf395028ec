package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// queue stores an outbound text from the fixture's number n, queued at at.
func queue(t *testing.T, db *store.DB, f fixture, n inbox.Number, at time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	return mustTx(t, db, func(tx inbox.Tx) (int64, error) {
		thread, err := tx.EnsureThread(ctx, f.company.ID, n.ID, f.contact.ID)
		if err != nil {
			return 0, err
		}
		m := inbox.Message{CompanyID: f.company.ID, ThreadID: thread, Direction: inbox.Outbound, Body: "hi",
			Status: inbox.StatusQueued, Segments: 1, Encoding: "GSM-7", CreatedAt: at}
		_, err = tx.InsertMessage(ctx, &m)
		return m.ID, err
	})
}

func claim(t *testing.T, db *store.DB, now time.Time, perNumber time.Duration) []int64 {
	t.Helper()
	jobs := mustTx(t, db, func(tx inbox.Tx) ([]inbox.OutboundJob, error) {
		return tx.ClaimSends(context.Background(), now, perNumber, 10)
	})
	return ids(jobs, func(j inbox.OutboundJob) int64 { return j.MessageID })
}

// TestNextSendAt: when the outbox may claim next — the earliest queued
// text's time or its number's lane, whichever is later — so that it sleeps
// until then instead of polling.
func TestNextSendAt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		next := func() (time.Time, bool) {
			t.Helper()
			at, ok, err := db.NextSendAt(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return at, ok
		}
		if at, ok := next(); ok {
			t.Fatalf("nothing queued: next send at %v; want none", at)
		}
		t0 := time.Date(2026, 3, 2, 10, 0, 0, 123456000, time.UTC)
		first := queue(t, db, f, f.number, t0)
		if at, ok := next(); !ok || !at.Equal(t0) {
			t.Errorf("one text queued at %v: next send at %v, %v; want then", t0, at, ok)
		}
		if got := claim(t, db, t0, time.Second); !slices.Equal(got, []int64{first}) {
			t.Fatalf("claimed %v, want %v", got, []int64{first})
		}
		queue(t, db, f, f.number, t0.Add(100*time.Millisecond))
		if at, ok := next(); !ok || !at.Equal(t0.Add(time.Second)) {
			t.Errorf("a text queued behind a busy lane: next send at %v, %v; want when the lane frees, %v", at, ok, t0.Add(time.Second))
		}
		if got := claim(t, db, t0.Add(999*time.Millisecond), time.Second); len(got) != 0 {
			t.Errorf("claimed %v before the lane freed; want nothing", got)
		}
		second := inbox.Number{CompanyID: f.company.ID, E164: "+14155550901", Label: "Second"}
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.CreateNumber(ctx, &second) })
		queue(t, db, f, second, t0.Add(200*time.Millisecond))
		if at, ok := next(); !ok || !at.Equal(t0.Add(200*time.Millisecond)) {
			t.Errorf("a text on a free number: next send at %v, %v; want %v", at, ok, t0.Add(200*time.Millisecond))
		}
		if got := claim(t, db, t0.Add(time.Second), time.Second); len(got) != 2 {
			t.Errorf("when both lanes are free: claimed %v; want one text of each number", got)
		}
		if at, ok := next(); ok {
			t.Errorf("nothing left queued: next send at %v; want none", at)
		}
	})
}

// TestSendsInDoubt: a send that may have reached the provider shows status
// unknown (unless a report moved it on meanwhile); sends stuck in flight are
// marked so by the sweep, which names them; and unknown sends that had no
// report in time are listed to fail.
func TestSendsInDoubt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		db.SetClock(fixedClock{t0})
		status := func(id int64) inbox.Status {
			t.Helper()
			m, err := db.MessageByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return m.Status
		}
		timedOut := queue(t, db, f, f.number, t0)
		claim(t, db, t0, time.Millisecond)
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.MarkSendUnknown(ctx, timedOut) })
		if got := status(timedOut); got != inbox.StatusUnknown {
			t.Errorf("a send that timed out: %s; want unknown", got)
		}

		overtaken := queue(t, db, f, f.number, t0)
		claim(t, db, t0.Add(time.Second), time.Millisecond)
		mustTx(t, db, func(tx inbox.Tx) (any, error) {
			m, err := tx.MessageByID(ctx, overtaken)
			if err != nil {
				return nil, err
			}
			m.Status = inbox.StatusDelivered // the report came during the call
			if err := tx.SetStatus(ctx, m); err != nil {
				return nil, err
			}
			return nil, tx.MarkSendUnknown(ctx, overtaken)
		})
		if got := status(overtaken); got != inbox.StatusDelivered {
			t.Errorf("a send whose report overtook its timeout: %s; want delivered", got)
		}

		stuck := queue(t, db, f, f.number, t0)
		claim(t, db, t0.Add(2*time.Second), time.Millisecond) // its process dies
		sweep := func(now, stuckBefore, unconfirmedBefore time.Time) inbox.SweepResult {
			t.Helper()
			return mustTx(t, db, func(tx inbox.Tx) (inbox.SweepResult, error) {
				return tx.Sweep(ctx, now, now.Add(-time.Hour), now.Add(-time.Hour), stuckBefore, unconfirmedBefore)
			})
		}
		if res := sweep(t0.Add(time.Minute), t0.Add(-time.Minute), t0.Add(-time.Hour)); len(res.InDoubt) != 0 || len(res.Unconfirmed) != 0 {
			t.Errorf("a young send swept: %+v; want nothing", res)
		}
		if got := status(stuck); got != inbox.StatusQueued {
			t.Errorf("a send in flight: %s; want queued", got)
		}
		res := sweep(t0.Add(3*time.Minute), t0.Add(time.Minute), t0.Add(-time.Hour))
		if !slices.Equal(res.InDoubt, []int64{stuck}) || len(res.Unconfirmed) != 0 {
			t.Errorf("a stuck send swept: %+v; want it in doubt", res)
		}
		if got := status(stuck); got != inbox.StatusUnknown {
			t.Errorf("a stuck send: %s; want unknown", got)
		}
		res = sweep(t0.Add(time.Hour), t0.Add(time.Minute), t0.Add(30*time.Minute))
		if len(res.InDoubt) != 0 || !slices.Equal(res.Unconfirmed, []int64{timedOut, stuck}) {
			t.Errorf("unknown sends with no report swept: %+v; want %d and %d unconfirmed", res, timedOut, stuck)
		}
	})
}

// fixedClock is a clock stopped at one time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                       { return c.t }
func (c fixedClock) After(time.Duration) <-chan time.Time { return nil }

// TestBilling: what Plivo charged is kept exactly as it said it — a field
// left out keeps its value — including on a report kept for a message not
// known yet.
func TestBilling(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		id := queue(t, db, f, f.number, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		charge := func() inbox.Billing {
			t.Helper()
			var rows []inbox.ReportRow
			err := db.ReportRows(ctx, f.company.ID, inbox.ReportQuery{ReportFilter: inbox.ReportFilter{
				From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}},
				func(r inbox.ReportRow) error { rows = append(rows, r); return nil })
			if err != nil || len(rows) != 1 {
				t.Fatalf("report rows %+v, %v; want the one text", rows, err)
			}
			return inbox.Billing{Units: deref(rows[0].Units), TotalAmount: deref(rows[0].Amount)}
		}
		if got := charge(); !got.IsZero() {
			t.Errorf("no report yet: charge %+v; want none", got)
		}
		set := func(b inbox.Billing) {
			mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.SetBilling(ctx, id, b) })
		}
		set(inbox.Billing{Units: "2", TotalRate: "0.00650"})
		set(inbox.Billing{TotalAmount: "0.01300"})
		if got, want := charge(), (inbox.Billing{Units: "2", TotalAmount: "0.01300"}); got != want {
			t.Errorf("charge %+v; want %+v (trailing zeros and all)", got, want)
		}

		kept := inbox.StatusUpdate{MessageUUID: "plivo-late", Status: inbox.StatusFailed, ErrorCode: "200", OptedOut: true,
			Billing: inbox.Billing{Units: "3", TotalRate: "0.0065", TotalAmount: "0.0195"}}
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.AddPendingStatus(ctx, kept) })
		taken := mustTx(t, db, func(tx inbox.Tx) ([]inbox.StatusUpdate, error) { return tx.TakePendingStatuses(ctx, "plivo-late") })
		if len(taken) != 1 || fmt.Sprint(taken[0]) != fmt.Sprint(kept) {
			t.Errorf("kept report came back as %+v; want %+v", taken, kept)
		}
	})
}

// TestCompanyDefaultRegion: a company's region is stored as set; empty
// means "the server's".
func TestCompanyDefaultRegion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		if c, err := db.Company(ctx, f.company.ID); err != nil || c.DefaultRegion != "" {
			t.Fatalf("a new company's region = %q, %v; want empty (the server's)", c.DefaultRegion, err)
		}
		c := f.company
		c.DefaultRegion = "GB"
		mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.UpdateCompany(ctx, c) })
		if got, err := db.Company(ctx, f.company.ID); err != nil || got.DefaultRegion != "GB" {
			t.Errorf("region after update = %q, %v; want GB", got.DefaultRegion, err)
		}
	})
}

// TestContactsByPhoneSearch: a search the service read as a phone number
// finds the contact with it, however the search was written.
func TestContactsByPhoneSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		search := func(filter inbox.ContactFilter) []int64 {
			t.Helper()
			filter.Limit = 10
			cs, err := db.Contacts(ctx, f.company.ID, filter)
			if err != nil {
				t.Fatal(err)
			}
			return ids(cs, func(c inbox.Contact) int64 { return c.ID })
		}
		if got := search(inbox.ContactFilter{Q: "(415) 555-0199"}); len(got) != 0 {
			t.Errorf("the national form as text matched %v; want nothing (it is not in the stored E.164)", got)
		}
		if got := search(inbox.ContactFilter{Q: "(415) 555-0199", Phone: "+14155550199"}); !slices.Equal(got, []int64{f.contact.ID}) {
			t.Errorf("the national form read as a phone found %v; want Casey", got)
		}
	})
}
