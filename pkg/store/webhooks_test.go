package store_test

import (
	"context"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// TestWebhookCursor: an endpoint starts at the feed's head; it is due only
// while behind the head, enabled and past its backoff; a delivery moves the
// cursor only from where it was read (a replay meanwhile wins), and a
// failure records the endpoint's state and the attempt.
func TestWebhookCursor(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
		var companyID int64
		emit := func(n int) {
			t.Helper()
			if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
				for range n {
					if err := tx.Emit(inbox.FeedTopic(companyID), "message.received", map[string]any{}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
			c := inbox.Company{Name: "Acme", SMSEnabled: true}
			err := tx.CreateCompany(ctx, &c)
			companyID = c.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		emit(3)
		w := inbox.Webhook{CompanyID: companyID, URL: "https://ats.example.com/h", Events: []string{"*"}, Secret: "s"}
		if err := db.CreateWebhook(ctx, &w); err != nil {
			t.Fatal(err)
		}
		if w.DeliveredSeq != 3 || w.ID == 0 || len(w.Events) != 1 {
			t.Fatalf("new endpoint %+v; want its cursor at the head, 3", w)
		}
		due := func(at time.Time) int {
			t.Helper()
			hooks, err := db.DueWebhooks(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			return len(hooks)
		}
		if due(t0) != 0 {
			t.Error("an endpoint at the head is due")
		}
		emit(2)
		if due(t0) != 1 {
			t.Fatal("an endpoint behind the head is not due")
		}
		// A failure: not due until its next attempt.
		next := t0.Add(time.Minute)
		w.Attempts, w.NextAttemptAt, w.FailingSince, w.LastError = 1, &next, &t0, "503"
		ok, err := db.RecordDelivery(ctx, w, 3, inbox.WebhookDelivery{FirstSeq: 4, LastSeq: 5, Events: 2, AttemptedAt: t0, StatusCode: 503, Error: "503"})
		if err != nil || !ok {
			t.Fatalf("record a failure: %v, %v", ok, err)
		}
		if due(t0.Add(30*time.Second)) != 0 || due(t0.Add(time.Minute)) != 1 {
			t.Error("a failed endpoint's backoff is not kept")
		}
		// A replay moves the cursor: a delivery read before it changes nothing.
		if err := db.ReplayWebhook(ctx, companyID, w.ID, 1); err != nil {
			t.Fatal(err)
		}
		ok, err = db.RecordDelivery(ctx, w, 3, inbox.WebhookDelivery{FirstSeq: 4, LastSeq: 5, Events: 2, AttemptedAt: t0, StatusCode: 200})
		if err != nil || ok {
			t.Fatalf("a delivery from a cursor replaced meanwhile: %v, %v; want refused", ok, err)
		}
		got, err := db.Webhook(ctx, companyID, w.ID)
		if err != nil || got.DeliveredSeq != 1 || got.Attempts != 0 || got.FailingSince != nil {
			t.Fatalf("after the replay: %+v, %v; want the cursor at 1, failures cleared", got, err)
		}
		ok, err = db.RecordDelivery(ctx, got, 1, inbox.WebhookDelivery{FirstSeq: 2, LastSeq: 5, Events: 4, AttemptedAt: t0, StatusCode: 204})
		if err != nil || !ok {
			t.Fatalf("a delivery from the cursor: %v, %v", ok, err)
		}
		if got, _ = db.Webhook(ctx, companyID, w.ID); got.DeliveredSeq != 5 {
			t.Errorf("cursor %d after delivering to 5", got.DeliveredSeq)
		}
		log, err := db.WebhookDeliveries(ctx, w.ID, 10)
		if err != nil || len(log) != 2 || log[0].StatusCode != 204 || log[1].StatusCode != 503 {
			t.Errorf("delivery log %+v, %v; want the 204 then the 503, newest first", log, err)
		}
		// Disabled: never due.
		emit(1)
		now := t0.Add(time.Hour)
		got.Attempts, got.NextAttemptAt, got.FailingSince, got.DisabledAt = 1, &now, &now, &now
		if ok, err := db.RecordDelivery(ctx, got, 5, inbox.WebhookDelivery{FirstSeq: 6, LastSeq: 6, Events: 1, AttemptedAt: now}); err != nil || !ok {
			t.Fatal(err)
		}
		if due(now.Add(24*time.Hour)) != 0 {
			t.Error("a disabled endpoint is due")
		}
		if err := db.DeleteWebhook(ctx, companyID, w.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteWebhook(ctx, companyID, w.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("deleting again: %v; want not found", err)
		}
	})
}
