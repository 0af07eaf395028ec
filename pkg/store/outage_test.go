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

// TestPostgresOutage: with PostgreSQL out of reach every kind of store call —
// a read, a transaction, a snapshot, the report's stream, a ticket, a ping —
// fails as unavailable (503 at the edge, retried by the outbox), not as an
// internal error; when it is back, the same pool serves again.
func TestPostgresOutage(t *testing.T) {
	ctx := context.Background()
	url, proxy := storetest.PostgresBehindProxy(t)
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db, "acme")
	users := 0
	calls := map[string]func(ctx context.Context) error{
		"read": func(ctx context.Context) error { _, err := db.Users(ctx, f.company.ID); return err },
		"transaction": func(ctx context.Context) error {
			_, err := db.Tx(ctx, func(tx inbox.Tx) error {
				users++
				u := inbox.User{CompanyID: f.company.ID, Email: fmt.Sprintf("new%d@acme.test", users), Name: "New", Role: inbox.RoleRecruiter}
				return tx.CreateUser(ctx, &u, "hash")
			})
			return err
		},
		"snapshot": func(ctx context.Context) error {
			return db.Snapshot(ctx, func(q inbox.Queries) error { _, err := q.Numbers(ctx, f.company.ID); return err })
		},
		"report stream": func(ctx context.Context) error {
			return db.ReportRows(ctx, f.company.ID, inbox.ReportQuery{ReportFilter: inbox.ReportFilter{
				From: time.Now().Add(-time.Hour), To: time.Now()}}, func(inbox.ReportRow) error { return nil })
		},
		"ticket": func(ctx context.Context) error {
			_, err := db.RedeemTicket(ctx, "no-such-ticket", time.Now())
			if inbox.ErrorKind(err) == inbox.KindNotFound {
				return nil
			}
			return err
		},
		"ping": db.Ping,
	}
	for name, call := range calls {
		if err := call(ctx); err != nil {
			t.Fatalf("%s before the outage: %v", name, err)
		}
	}

	proxy.Cut()
	for name, call := range calls {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := call(cctx)
		cancel()
		if inbox.ErrorKind(err) != inbox.KindUnavailable {
			t.Errorf("%s with PostgreSQL out of reach: got %v (kind %d), want unavailable", name, err, inbox.ErrorKind(err))
		}
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	for name, call := range calls {
		// The pool's dead connections are found and replaced as it goes.
		var err error
		for range 5 {
			if err = call(ctx); err == nil {
				break
			}
		}
		if err != nil {
			t.Errorf("%s after PostgreSQL is back: %v", name, err)
		}
	}
}
