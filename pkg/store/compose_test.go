package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// TestBulkMessages: a bulk send's texts stored set-based each land on the
// thread of the number and their contact (an existing one too), point it
// and the contact at themselves, count by state, are claimed after a
// person's own text on the number, and cancel only while they wait.
func TestBulkMessages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		// Casey has a thread already; three more contacts do not.
		existing := queue(t, db, f, f.number, t0)
		contacts := []inbox.Contact{f.contact}
		for i := range 3 {
			c := mustTx(t, db, func(tx inbox.Tx) (inbox.Contact, error) {
				c := inbox.Contact{CompanyID: f.company.ID, Name: fmt.Sprintf("C%d", i), Phone: fmt.Sprintf("+1415555020%d", i),
					Kind: inbox.KindCandidate, Consent: inbox.ConsentOptedIn}
				return c, tx.CreateContact(ctx, &c)
			})
			contacts = append(contacts, c)
		}
		// The gate's facts for them all at once: Casey texted the number.
		mustTx(t, db, func(tx inbox.Tx) (int64, error) {
			th, err := tx.EnsureThread(ctx, f.company.ID, f.number.ID, f.contact.ID)
			if err != nil {
				return 0, err
			}
			m := inbox.Message{CompanyID: f.company.ID, ThreadID: th, Direction: inbox.Inbound, Body: "hello",
				Status: inbox.StatusReceived, Segments: 1, Encoding: "GSM-7", CreatedAt: t0.Add(time.Minute)}
			_, err = tx.InsertMessage(ctx, &m)
			return m.ID, err
		})
		latest, inbound, err := db.GateFacts(ctx, f.company.ID, f.number.ID, []int64{contacts[0].ID, contacts[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if at, ok := inbound[[2]int64{f.contact.ID, f.number.ID}]; !ok || !at.Equal(t0.Add(time.Minute)) {
			t.Errorf("Casey's last text to the number: %v %v", at, ok)
		}
		if at := inbound[[2]int64{f.contact.ID, 0}]; !at.Equal(t0.Add(time.Minute)) {
			t.Errorf("Casey's last text to any number: %v", at)
		}
		if _, ok := inbound[[2]int64{contacts[1].ID, 0}]; ok || len(latest) != 0 {
			t.Errorf("facts of a silent contact without ledger entries: %v %v", inbound, latest)
		}

		bulk := mustTx(t, db, func(tx inbox.Tx) (inbox.BulkSend, error) {
			b := inbox.BulkSend{CompanyID: f.company.ID, UserID: f.recruiter.ID, NumberID: f.number.ID, Total: 4,
				Skipped: []inbox.BulkSkip{{ContactID: 999, Reason: "not_found"}}, CreatedAt: t0}
			if err := tx.CreateBulkSend(ctx, &b); err != nil {
				return b, err
			}
			msgs := make([]inbox.Message, len(contacts))
			for i, c := range contacts {
				msgs[i] = inbox.Message{ContactID: c.ID, Direction: inbox.Outbound, Body: "bulk " + c.Name, Status: inbox.StatusQueued,
					Segments: 1, Encoding: "GSM-7", SentBy: &f.recruiter, CreatedAt: t0.Add(2 * time.Minute)}
			}
			if err := tx.InsertBulkMessages(ctx, b.ID, f.company.ID, f.number.ID, msgs); err != nil {
				return b, err
			}
			for _, m := range msgs {
				if m.ID == 0 || m.ThreadID == 0 {
					return b, fmt.Errorf("message without id or thread: %+v", m)
				}
			}
			return b, nil
		})
		got, err := db.BulkSend(ctx, f.company.ID, bulk.ID)
		if err != nil || got.Total != 4 || len(got.Skipped) != 1 || got.Skipped[0].Reason != "not_found" {
			t.Fatalf("bulk send %+v, %v", got, err)
		}
		if _, err := db.BulkSend(ctx, f.company.ID+1, bulk.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("another company's bulk send: %v", err)
		}
		for _, c := range contacts {
			threads, err := db.Threads(ctx, f.company.ID, inbox.ThreadFilter{ContactID: c.ID, Limit: 5})
			if err != nil || len(threads) != 1 {
				t.Fatalf("%s: %d threads, %v; want one", c.Name, len(threads), err)
			}
			last := threads[0].LastMessage
			if last == nil || last.Body != "bulk "+c.Name || last.BulkID == nil || *last.BulkID != bulk.ID || threads[0].Contact.LastMessageAt == nil {
				t.Errorf("%s's thread: last %+v; want the bulk text", c.Name, last)
			}
		}
		if c, err := db.BulkCounts(ctx, bulk.ID); err != nil || c != (inbox.BulkCounts{Queued: 4}) {
			t.Errorf("counts %+v, %v; want 4 queued", c, err)
		}

		// The person's own text, queued first, goes first; then the bulk
		// send's, one a lane.
		if got := claim(t, db, t0.Add(time.Hour), time.Second); len(got) != 1 || got[0] != existing {
			t.Errorf("first claim %v; want the person's text %d", got, existing)
		}
		second := claim(t, db, t0.Add(time.Hour+time.Second), time.Second)
		if len(second) != 1 {
			t.Fatalf("second claim %v", second)
		}
		mustTx(t, db, func(tx inbox.Tx) (int, error) { return 0, tx.MarkSent(ctx, second[0], "uuid-1") })
		if c, _ := db.BulkCounts(ctx, bulk.ID); c != (inbox.BulkCounts{Queued: 3, Sent: 1}) {
			t.Errorf("after one send: %+v", c)
		}
		canceled := mustTx(t, db, func(tx inbox.Tx) ([]int64, error) {
			return tx.CancelPending(ctx, inbox.CancelFilter{BulkID: bulk.ID}, "stopped")
		})
		if len(canceled) != 3 {
			t.Errorf("canceled %v; want the three waiting", canceled)
		}
		if c, _ := db.BulkCounts(ctx, bulk.ID); c != (inbox.BulkCounts{Sent: 1, Canceled: 3}) {
			t.Errorf("after the cancel: %+v", c)
		}
		if got := claim(t, db, t0.Add(2*time.Hour), time.Second); len(got) != 0 {
			t.Errorf("claimed %v after the cancel", got)
		}
		// Progress is written once per change.
		for i, want := range []bool{true, false} {
			changed := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.SetBulkProgress(ctx, bulk.ID, `{"percent":100}`, true) })
			if changed != want {
				t.Errorf("progress write %d: changed %v, want %v", i, changed, want)
			}
		}
		if running, err := db.UnfinishedBulkSends(ctx); err != nil || len(running) != 0 {
			t.Errorf("running %+v, %v; want none once finished", running, err)
		}
	})
}

// TestTemplatesAndScheduledEdits: templates by company and author, and a
// scheduled text changed only while it waits.
func TestTemplatesAndScheduledEdits(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		other := newFixture(t, db, "globex")
		t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		for _, tm := range []inbox.Template{
			{CompanyID: f.company.ID, Author: f.recruiter, Name: "b mine", Body: "x"},
			{CompanyID: f.company.ID, Author: f.admin, Name: "A shared", Body: "y", Shared: true},
			{CompanyID: f.company.ID, Author: f.admin, Name: "admin's own", Body: "z"},
			{CompanyID: other.company.ID, Author: other.admin, Name: "theirs", Body: "w", Shared: true},
		} {
			mustTx(t, db, func(tx inbox.Tx) (int64, error) {
				tm.CreatedAt, tm.UpdatedAt = t0, t0
				return tm.ID, tx.CreateTemplate(ctx, &tm)
			})
		}
		list, err := db.Templates(ctx, f.company.ID, f.recruiter.ID)
		if err != nil || len(list) != 2 || list[0].Name != "A shared" || list[1].Name != "b mine" || list[1].Author.ID != f.recruiter.ID {
			t.Fatalf("Ana's templates %+v, %v; want the shared one and hers, by name", list, err)
		}
		tm := list[1]
		tm.Body, tm.UpdatedAt = "changed", t0.Add(time.Hour)
		mustTx(t, db, func(tx inbox.Tx) (int, error) { return 0, tx.UpdateTemplate(ctx, tm) })
		if got, err := db.Template(ctx, f.company.ID, tm.ID); err != nil || got.Body != "changed" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("updated %+v, %v", got, err)
		}
		if _, err := db.Template(ctx, other.company.ID, tm.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("another company's template: %v", err)
		}
		mustTx(t, db, func(tx inbox.Tx) (int, error) { return 0, tx.DeleteTemplate(ctx, f.company.ID, tm.ID) })
		if _, err := db.Template(ctx, f.company.ID, tm.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("deleted template: %v", err)
		}

		// A scheduled text is changed while it waits, not once claimed.
		at := t0.Add(24 * time.Hour)
		m := mustTx(t, db, func(tx inbox.Tx) (inbox.Message, error) {
			th, err := tx.EnsureThread(ctx, f.company.ID, f.number.ID, f.contact.ID)
			if err != nil {
				return inbox.Message{}, err
			}
			m := inbox.Message{CompanyID: f.company.ID, ThreadID: th, Direction: inbox.Outbound, Body: "later",
				Status: inbox.StatusScheduled, SendAt: &at, Segments: 1, Encoding: "GSM-7", CreatedAt: t0}
			_, err = tx.InsertMessage(ctx, &m)
			return m, err
		})
		later := at.Add(time.Hour)
		m.Body, m.SendAt = "later still", &later
		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.EditScheduled(ctx, m) }); !ok {
			t.Fatal("edit of a scheduled text refused")
		}
		got, err := db.Message(ctx, f.company.ID, m.ID)
		if err != nil || got.Body != "later still" || got.SendAt == nil || !got.SendAt.Equal(later) {
			t.Errorf("edited %+v, %v", got, err)
		}
		if ids := claim(t, db, at.Add(30*time.Minute), time.Second); len(ids) != 0 {
			t.Errorf("claimed %v before its new time", ids)
		}
		if ids := claim(t, db, later, time.Second); len(ids) != 1 {
			t.Fatalf("claimed %v at its time", ids)
		}
		if ok := mustTx(t, db, func(tx inbox.Tx) (bool, error) { return tx.EditScheduled(ctx, m) }); ok {
			t.Error("a claimed text was edited")
		}
		if ids := mustTx(t, db, func(tx inbox.Tx) ([]int64, error) {
			return tx.CancelPending(ctx, inbox.CancelFilter{MessageID: m.ID, OnlyScheduled: true}, "no")
		}); len(ids) != 0 {
			t.Errorf("a claimed text was canceled: %v", ids)
		}
	})
}
