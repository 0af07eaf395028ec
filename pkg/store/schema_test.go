package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// The SQLite migrations give the PostgreSQL ones' schema: same tables,
// columns, nullability and indexes.
func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	pg, err := storetest.Postgres(t).Shape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := storetest.SQLite(t).Shape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pg {
		if !slices.Contains(lite, s) {
			t.Errorf("PostgreSQL has %s; SQLite does not", s)
		}
	}
	for _, s := range lite {
		if !slices.Contains(pg, s) {
			t.Errorf("SQLite has %s; PostgreSQL does not", s)
		}
	}
	if len(pg) < 100 {
		t.Errorf("the schema has %d items; want the whole schema compared", len(pg))
	}
}

// schema.sql is the whole current schema: migrating an empty database gives
// exactly what schema.sql creates — tables, columns, types, nullability,
// defaults, constraints, indexes, persistence, triggers and functions.
func TestSchemaFileMatchesMigrations(t *testing.T) {
	ctx := context.Background()
	ddl, err := os.ReadFile("../../schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	direct := sqlx.MustOpen("postgres", storetest.PostgresURL(t))
	defer direct.Close()
	if _, err := direct.ExecContext(ctx, string(ddl)); err != nil {
		t.Fatalf("apply schema.sql: %v", err)
	}
	want, err := store.PostgresDefinition(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.PostgresDefinition(ctx, storetest.Postgres(t).Read())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("schema.sql has %s; the migrations do not", s)
		}
	}
	for _, s := range got {
		if !slices.Contains(want, s) {
			t.Errorf("the migrations make %s; schema.sql does not", s)
		}
	}
	if len(want) < 150 {
		t.Errorf("the schema has %d items; want the whole schema compared", len(want))
	}
}

// Migrating a migrated store applies nothing.
func TestMigrateTwice(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v, want nothing", applied)
		}
		list, err := db.Migrations(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if !m.Applied || m.AppliedAt.IsZero() {
				t.Errorf("migration %s: applied %v at %v, want applied with a time", m.Name, m.Applied, m.AppliedAt)
			}
		}
		if len(list) < 2 || list[0].Version != 1 {
			t.Errorf("migrations %v, want versions from 1", list)
		}
	})
}

// legacy is a database as smsinbox 0.1.0 left it: its schema applied with
// no version table, holding messages, threads, events and consent rows.
type legacy struct {
	engine string
	open   func(t *testing.T) *store.DB // the store over that database
}

func legacyDatabases(t *testing.T) []legacy {
	data := readFile(t, "testdata/v0.1.0-data.sql")
	return []legacy{
		{"sqlite", func(t *testing.T) *store.DB {
			path := filepath.Join(t.TempDir(), "smsinbox.db")
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			for _, ddl := range []string{readFile(t, "testdata/v0.1.0-sqlite.sql"), data} {
				if _, err := raw.Exec(ddl); err != nil {
					t.Fatalf("build the 0.1.0 database: %v", err)
				}
			}
			raw.Close()
			db, err := store.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", func(t *testing.T) *store.DB {
			url := storetest.PostgresURL(t)
			raw := sqlx.MustOpen("postgres", url)
			for _, ddl := range []string{readFile(t, "testdata/v0.1.0-postgres.sql"), data} {
				if _, err := raw.Exec(ddl); err != nil {
					t.Fatalf("build the 0.1.0 database: %v", err)
				}
			}
			raw.Close()
			db, err := store.OpenPostgres(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A database created by 0.1.0 is adopted: every migration is applied, the
// data is intact and usable, and the schema is the one a fresh database gets.
func TestAdoptLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	for _, l := range legacyDatabases(t) {
		t.Run(l.engine, func(t *testing.T) {
			db := l.open(t)
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatalf("adopt: %v", err)
			}
			if len(applied) < 2 || applied[0].Version != 1 {
				t.Fatalf("adoption applied %v, want every migration from version 1", applied)
			}
			checkLegacyData(t, db)

			fresh := storetest.SQLite(t)
			if l.engine == "postgres" {
				fresh = storetest.Postgres(t)
			}
			want, _ := fresh.Shape(ctx)
			got, err := db.Shape(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("adopted schema differs from a fresh one:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// checkLegacyData reads the fixture's rows back through the store and writes
// a new one on top of them.
func checkLegacyData(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	c, err := db.Contact(ctx, 1, 1)
	if err != nil {
		t.Fatalf("contact 1: %v", err)
	}
	if c.Name != "Cara Candidate" || c.Consent != inbox.ConsentOptedIn || c.ExternalID == nil || *c.ExternalID != "ats-7" {
		t.Errorf("contact 1 = %+v, want Cara Candidate, opted in, external id ats-7", c)
	}
	if c, err := db.Contact(ctx, 1, 2); err != nil || c.Consent != inbox.ConsentOptedOut {
		t.Errorf("contact 2: consent %q (%v), want opted_out", c.Consent, err)
	}
	changes, err := db.ConsentChanges(ctx, 1, 2)
	if err != nil || len(changes) != 1 || changes[0].Keyword != "STOP" {
		t.Errorf("contact 2's consent ledger = %+v (%v), want the STOP entry", changes, err)
	}
	msgs, err := db.Messages(ctx, 1, []int64{1}, 0, 10)
	if err != nil || len(msgs) != 2 || msgs[1].Body != "Yes — tell me more" || msgs[0].Status != inbox.StatusDelivered {
		t.Errorf("thread 1's messages = %+v (%v), want the delivered text and the reply", msgs, err)
	}
	th, err := db.Thread(ctx, 1, 1)
	if err != nil || th.UnreadCount != 1 || th.LastMessage == nil || th.LastMessage.ID != 2 {
		t.Errorf("thread 1 = %+v (%v), want 1 unread with message 2 last", th, err)
	}
	events, err := db.EventsAfter(ctx, "number:1", 0, 10)
	if err != nil || len(events) != 2 || events[1].Seq != 2 {
		t.Errorf("events of number:1 = %+v (%v), want seqs 1 and 2", events, err)
	}
	// The sequences go on from the rows: a new contact and event do not
	// collide with the old ones.
	got, err := db.Tx(ctx, func(tx inbox.Tx) error {
		n := inbox.Contact{CompanyID: 1, Name: "New Person", Phone: "+14155550199", Kind: inbox.KindCandidate, Consent: inbox.ConsentUnknown}
		if err := tx.CreateContact(ctx, &n); err != nil {
			return err
		}
		if n.ID != 3 {
			t.Errorf("new contact id %d, want 3", n.ID)
		}
		return tx.Emit("number:1", "test", map[string]int{"n": 1})
	})
	if err != nil || len(got) != 1 || got[0].Seq != 3 {
		t.Errorf("a write on the adopted store: events %+v (%v), want seq 3", got, err)
	}
}

// Two instances starting at the same moment on an empty database apply each
// migration once: one applies them all, the other waits and finds nothing.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	type pair struct {
		engine string
		open   func(t *testing.T) (*store.DB, *store.DB)
	}
	for _, p := range []pair{
		{"sqlite", func(t *testing.T) (*store.DB, *store.DB) {
			path := filepath.Join(t.TempDir(), "smsinbox.db")
			return openSQLite(t, path), openSQLite(t, path)
		}},
		{"postgres", func(t *testing.T) (*store.DB, *store.DB) {
			url := storetest.PostgresURL(t)
			return openPostgres(t, url), openPostgres(t, url)
		}},
	} {
		t.Run(p.engine, func(t *testing.T) {
			a, b := p.open(t)
			var wg sync.WaitGroup
			results := make([][]store.Migration, 2)
			errs := make([]error, 2)
			start := make(chan struct{})
			for i, db := range []*store.DB{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = db.Migrate(ctx)
				}()
			}
			close(start)
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("Migrate errors: %v, %v", errs[0], errs[1])
			}
			total := len(results[0]) + len(results[1])
			known, err := a.Migrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(known) || (len(results[0]) != 0 && len(results[1]) != 0) {
				t.Errorf("the two instances applied %d and %d migrations; want all %d by one of them",
					len(results[0]), len(results[1]), len(known))
			}
			var rows []int64
			if err := a.Read().SelectContext(ctx, &rows, `SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			// Versions may have gaps (branches each own a number), so
			// compare with the known migrations, not with 1, 2, 3, …
			var want []int64
			for _, m := range known {
				want = append(want, m.Version)
			}
			if !slices.Equal(rows, want) {
				t.Fatalf("version table %v, want each version once, in order: %v", rows, want)
			}
		})
	}
}

func openSQLite(t *testing.T, path string) *store.DB {
	db, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t *testing.T, url string) *store.DB {
	db, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Every migration can be rolled back and applied again, with the data kept.
func TestMigrateDownAndUp(t *testing.T) {
	ctx := context.Background()
	for _, l := range legacyDatabases(t) {
		t.Run(l.engine, func(t *testing.T) {
			db := l.open(t)
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			want, _ := db.Shape(ctx)
			undone, err := db.MigrateDownTo(ctx, 1)
			if err != nil {
				t.Fatalf("roll back to 1: %v", err)
			}
			if current, _, _ := db.SchemaVersion(ctx); current != 1 || len(undone) == 0 {
				t.Fatalf("after rolling back: version %d, undone %v; want version 1", current, undone)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate up again: %v", err)
			}
			if got, _ := db.Shape(ctx); !slices.Equal(got, want) {
				t.Errorf("schema after down and up differs:\n got %v\nwant %v", got, want)
			}
			checkLegacyData(t, db)
		})
	}
}

// A database migrated by a newer release is refused, not written to.
func TestRefuseNewerSchema(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.ExecForTest(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, TRUE)`); err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx)
		if !errors.Is(err, store.ErrSchemaNewer) || !strings.Contains(err.Error(), "999") {
			t.Errorf("Migrate on a newer schema: %v, want ErrSchemaNewer naming version 999", err)
		}
	})
}

// Rolling back below version 3 refuses while a user is deactivated: the
// previous release would let them sign in again. Nothing is undone.
func TestRollbackKeepsDeactivatedUsersOut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			a, err := tx.Account(ctx, f.company.ID, f.recruiter.ID)
			if err != nil {
				return err
			}
			a.Active = false
			return tx.UpdateUser(ctx, a)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.MigrateDownTo(ctx, 2)
		if err == nil || !strings.Contains(err.Error(), "deactivated_users_exist") {
			t.Fatalf("rolling back with a deactivated user: got %v, want a refusal naming deactivated_users_exist", err)
		}
		if after, _, _ := db.SchemaVersion(ctx); after < 3 {
			t.Errorf("after the refusal the schema is at %d, want 3 or later (version 3 kept)", after)
		}
		if a, _, err := db.UserByEmail(ctx, f.recruiter.Email); err != nil || a.Active {
			t.Errorf("after the refusal: %+v, %v; want the user still inactive", a, err)
		}
	})
}
