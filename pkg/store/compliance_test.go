package store_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// The company's compliance settings round-trip, quiet hours null included.
func TestCompanyComplianceSettings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := inbox.NewCompany("Acme")
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.CreateCompany(ctx, &c) }); err != nil {
			t.Fatal(err)
		}
		got, err := db.Company(ctx, c.ID)
		if err != nil || got.OptinReply != inbox.DefaultOptinReply || got.ConsentRequest != inbox.DefaultConsentRequest ||
			got.QuietHours == nil || *got.QuietHours != inbox.DefaultQuietHours {
			t.Fatalf("new company %+v, %v; want the default opt-in reply, request and quiet hours", got, err)
		}
		got.QuietHours = nil
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.UpdateCompany(ctx, got) }); err != nil {
			t.Fatal(err)
		}
		if again, err := db.Company(ctx, c.ID); err != nil || again.QuietHours != nil {
			t.Errorf("quiet hours off: %+v, %v; want nil", again.QuietHours, err)
		}
	})
}

// The ledger is a hash chain per contact; entries with From == To record
// without changing the contact; the chain verifies, and an altered row is
// named.
func TestConsentLedgerChain(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		g := newFixture(t, db, "globex")
		at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
		steps := []inbox.ConsentChange{
			{ContactID: f.contact.ID, From: inbox.ConsentOptedIn, To: inbox.ConsentOptedIn, Source: inbox.SourceRequest, UserID: &f.admin.ID, Note: "asked"},
			{ContactID: g.contact.ID, From: inbox.ConsentOptedIn, To: inbox.ConsentOptedOut, Source: inbox.SourceKeyword, Keyword: "STOP"},
			{ContactID: f.contact.ID, From: inbox.ConsentOptedIn, To: inbox.ConsentOptedOut, Source: inbox.SourceCarrier, Note: `error "200" <&>`},
		}
		var stored []inbox.ConsentChange
		for i, ch := range steps {
			ch.CreatedAt = at.Add(time.Duration(i) * time.Minute)
			if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
				s, err := tx.SetConsent(ctx, ch)
				stored = append(stored, s)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := db.Contact(ctx, f.company.ID, f.contact.ID)
		if err != nil || c.Consent != inbox.ConsentOptedOut || c.ConsentSource != inbox.SourceCarrier {
			t.Errorf("contact after the ledger: %s by %s, %v; want opted_out by carrier (the request changed nothing)", c.Consent, c.ConsentSource, err)
		}
		changes, err := db.ConsentChanges(ctx, f.company.ID, f.contact.ID)
		if err != nil || len(changes) != 2 {
			t.Fatalf("Casey's ledger %+v, %v; want 2 entries", changes, err)
		}
		if changes[0].PrevHash != "" || changes[1].PrevHash != changes[0].Hash || changes[1].Hash != changes[1].EntryHash(changes[0].Hash) {
			t.Errorf("chain %+v; want the second entry chained to the first, each hash its content's", changes)
		}
		if changes[0].Hash != stored[0].Hash || !changes[0].CreatedAt.Equal(inbox.LedgerTime(at)) {
			t.Errorf("stored %+v; want the hash computed at insert and the time to the microsecond", changes[0])
		}
		if latest, err := db.LatestConsentChange(ctx, f.contact.ID); err != nil || latest.ID != changes[1].ID {
			t.Errorf("LatestConsentChange = %+v, %v; want entry %d", latest, err, changes[1].ID)
		}

		svc := inbox.New(db, pubsub.NewMemory(), nil, inbox.Config{}, slog.New(slog.DiscardHandler))
		if n, err := svc.VerifyConsentLedger(ctx); err != nil || n != 3 {
			t.Fatalf("VerifyConsentLedger = %d, %v; want 3, nil", n, err)
		}
		if err := db.ExecForTest(ctx, `UPDATE consent_changes SET keyword = 'START' WHERE id = `+strconv.FormatInt(stored[1].ID, 10)); err != nil {
			t.Fatal(err)
		}
		_, err = svc.VerifyConsentLedger(ctx)
		if b, ok := err.(*inbox.LedgerBreak); !ok || b.EntryID != stored[1].ID {
			t.Errorf("after altering entry %d: %v; want a LedgerBreak naming it", stored[1].ID, err)
		}
		if err := db.ExecForTest(ctx, `UPDATE consent_changes SET keyword = 'STOP' WHERE id = `+strconv.FormatInt(stored[1].ID, 10)); err != nil {
			t.Fatal(err)
		}
		// Removing an entry breaks the next one's link.
		if err := db.ExecForTest(ctx, `DELETE FROM consent_changes WHERE id = `+strconv.FormatInt(stored[0].ID, 10)); err != nil {
			t.Fatal(err)
		}
		_, err = svc.VerifyConsentLedger(ctx)
		if b, ok := err.(*inbox.LedgerBreak); !ok || b.EntryID != stored[2].ID {
			t.Errorf("after removing entry %d: %v; want a LedgerBreak naming entry %d", stored[0].ID, err, stored[2].ID)
		}
	})
}

// Entries written before the chain (hash empty) are chained in id order,
// after what the contact's chain holds, once.
func TestChainConsentLedger(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		for _, to := range []inbox.Consent{inbox.ConsentOptedOut, inbox.ConsentOptedIn, inbox.ConsentOptedOut} {
			if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
				_, err := tx.SetConsent(ctx, inbox.ConsentChange{ContactID: f.contact.ID, From: inbox.ConsentOptedIn, To: to, Source: inbox.SourceATS})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ExecForTest(ctx, `UPDATE consent_changes SET prev_hash = '', hash = ''`); err != nil {
			t.Fatal(err)
		}
		svc := inbox.New(db, pubsub.NewMemory(), nil, inbox.Config{}, slog.New(slog.DiscardHandler))
		if _, err := svc.VerifyConsentLedger(ctx); err == nil {
			t.Fatal("an unchained ledger verified")
		}
		if n, err := svc.ChainConsentLedger(ctx); err != nil || n != 3 {
			t.Fatalf("ChainConsentLedger = %d, %v; want 3 chained", n, err)
		}
		if n, err := svc.ChainConsentLedger(ctx); err != nil || n != 0 {
			t.Errorf("ChainConsentLedger again = %d, %v; want 0: idempotent", n, err)
		}
		if n, err := svc.VerifyConsentLedger(ctx); err != nil || n != 3 {
			t.Errorf("VerifyConsentLedger = %d, %v; want 3 verified", n, err)
		}
	})
}

// LastInbound is the contact's latest text, to one number or any;
// ConsentSends lists outbound texts with their entry; GateSend rewrites a
// queued text's gate state.
func TestComplianceQueries(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		if last, err := db.LastInbound(ctx, f.company.ID, f.contact.ID, 0); err != nil || last != nil {
			t.Fatalf("LastInbound with no texts = %v, %v; want nil", last, err)
		}
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		entry := int64(0)
		var out inbox.Message
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
			ch, err := tx.SetConsent(ctx, inbox.ConsentChange{ContactID: f.contact.ID, From: inbox.ConsentOptedIn, To: inbox.ConsentOptedIn, Source: inbox.SourceRequest})
			if err != nil {
				return err
			}
			entry = ch.ID
			th, err := tx.EnsureThread(ctx, f.company.ID, f.number.ID, f.contact.ID)
			if err != nil {
				return err
			}
			uuid := "in-1"
			in := inbox.Message{ThreadID: th, CompanyID: f.company.ID, Direction: inbox.Inbound, Body: "hi", Status: inbox.StatusReceived,
				Segments: 1, Encoding: "GSM-7", PlivoUUID: &uuid, CreatedAt: at}
			if _, err := tx.InsertMessage(ctx, &in); err != nil {
				return err
			}
			send := at.Add(10 * time.Hour)
			out = inbox.Message{ThreadID: th, CompanyID: f.company.ID, Direction: inbox.Outbound, Body: "hello", Status: inbox.StatusScheduled,
				Segments: 1, Encoding: "GSM-7", CreatedAt: at.Add(time.Minute), SendAt: &send, HoldNote: "Held until 8:00 AM candidate's time",
				ConsentEntryID: &entry, Purpose: inbox.PurposeConsentRequest}
			_, err = tx.InsertMessage(ctx, &out)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int64{0, f.number.ID} {
			if last, err := db.LastInbound(ctx, f.company.ID, f.contact.ID, n); err != nil || last == nil || !last.Equal(at) {
				t.Errorf("LastInbound(number %d) = %v, %v; want %v", n, last, err, at)
			}
		}
		if last, err := db.LastInbound(ctx, f.company.ID, f.contact.ID, f.number.ID+1000); err != nil || last != nil {
			t.Errorf("LastInbound(another number) = %v, %v; want nil", last, err)
		}
		m, err := db.Message(ctx, f.company.ID, out.ID)
		if err != nil || m.Status != inbox.StatusScheduled || m.SendAt == nil || !m.SendAt.Equal(at.Add(10*time.Hour)) ||
			m.HoldNote == "" || m.Purpose != inbox.PurposeConsentRequest {
			t.Fatalf("held message %+v, %v; want scheduled with send_at, note and purpose", m, err)
		}
		sends, err := db.ConsentSends(ctx, f.company.ID, f.contact.ID)
		if err != nil || len(sends) != 1 || sends[0].MessageID != out.ID || sends[0].ConsentEntryID == nil || *sends[0].ConsentEntryID != entry {
			t.Errorf("ConsentSends = %+v, %v; want the held text with entry %d", sends, err, entry)
		}
		// Nothing is due before its time; then the gate cancels it.
		var jobs []inbox.OutboundJob
		if _, err := db.Tx(ctx, func(tx inbox.Tx) (err error) {
			jobs, err = tx.ClaimSends(ctx, at.Add(time.Hour), time.Second, 10)
			return err
		}); err != nil || len(jobs) != 0 {
			t.Fatalf("claimed %+v, %v before its time; want none", jobs, err)
		}
		if _, err := db.Tx(ctx, func(tx inbox.Tx) (err error) {
			jobs, err = tx.ClaimSends(ctx, at.Add(11*time.Hour), time.Second, 10)
			if err != nil || len(jobs) != 1 {
				return err
			}
			return tx.GateSend(ctx, jobs[0].MessageID, inbox.SendGateUpdate{Status: inbox.StatusCanceled, SendState: "canceled",
				ErrorCode: "opted_out", ErrorReason: "Not sent: opted out"})
		}); err != nil || len(jobs) != 1 || jobs[0].Status != inbox.StatusScheduled || jobs[0].Purpose != inbox.PurposeConsentRequest {
			t.Fatalf("claimed %+v, %v after its time; want the scheduled consent request", jobs, err)
		}
		m, _ = db.Message(ctx, f.company.ID, out.ID)
		if m.Status != inbox.StatusCanceled || m.ErrorCode != "opted_out" || m.SendAt != nil {
			t.Errorf("canceled message %+v; want canceled with opted_out", m)
		}
		if depth, err := db.QueueDepth(ctx); err != nil || depth != 0 {
			t.Errorf("queue depth %d, %v; want 0 once canceled", depth, err)
		}
	})
}
