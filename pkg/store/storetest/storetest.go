// Package storetest opens real stores for tests: a fresh SQLite file, or a
// fresh schema on the test PostgreSQL server, migrated and removed at the end
// of the test. Without a PostgreSQL server a test is skipped, saying why —
// except under CI=true, where a missing server fails the test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver, for the admin connection

	"smsinbox/pkg/store"
)

// DefaultPostgresURL is used when DATABASE_URL is not set: the local server
// that `make test` starts (scripts/services.sh).
const DefaultPostgresURL = "postgres://postgres:postgres@127.0.0.1:5432/inbox_test?sslmode=disable"

// PostgresServerURL is the test server's URL: DATABASE_URL or the default.
func PostgresServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

func admin(t testing.TB) *sql.DB {
	adminOnce.Do(func() {
		adminDB, adminErr = sql.Open("postgres", PostgresServerURL())
		if adminErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			adminErr = adminDB.PingContext(ctx)
		}
	})
	if adminErr != nil {
		msg := "PostgreSQL is not reachable at " + redact(PostgresServerURL()) + ": " + adminErr.Error() +
			" (run `make test`, which starts it, or set DATABASE_URL)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return adminDB
}

// PostgresURL creates a fresh schema on the test server, dropped when the
// test ends, and returns a URL whose connections use it. Several processes
// (two inboxd instances) can share it.
func PostgresURL(t testing.TB) string {
	db := admin(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(PostgresServerURL())
	if err != nil {
		t.Fatalf("parse DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema) // lib/pq passes unknown keys on as run-time parameters
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a migrated store on a fresh schema of the test server.
func Postgres(t testing.TB) *store.DB {
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, PostgresURL(t))
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	return migrated(t, db)
}

// SQLite opens a migrated store in a fresh file.
func SQLite(t testing.TB) *store.DB {
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "inbox.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	return migrated(t, db)
}

func migrated(t testing.TB, db *store.DB) *store.DB {
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Engines runs fn once per engine, as the subtests "sqlite" and "postgres".
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable DATABASE_URL)"
	}
	return u.Redacted()
}
