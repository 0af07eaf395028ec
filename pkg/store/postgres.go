package store

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// OpenPostgres connects to PostgreSQL at url (postgres://…; local servers
// usually need ?sslmode=disable). It does not apply the schema: call Migrate.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	url, err := withBinaryParameters(url)
	if err != nil {
		return nil, err
	}
	pool, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	prepared := newStmts(pool, sqlx.DOLLAR)
	db := &DB{
		queries:    queries{q: pool, stmts: prepared, bind: sqlx.DOLLAR, now: utcNow, postgres: true},
		write:      pool,
		read:       pool,
		writeStmts: prepared,
		closers:    []func() error{prepared.close, pool.Close},
	}
	return db, nil
}

// withBinaryParameters turns on lib/pq's binary_parameters unless the URL
// says otherwise: a query with arguments then takes one round trip (parse,
// bind and execute sent together) instead of two. Only []byte arguments
// travel in binary; the store passes none where a text type is meant.
func withBinaryParameters(raw string) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL: want postgres://user:password@host:5432/db?sslmode=disable")
	}
	q := u.Query()
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// isUniqueViolation reports whether err is a unique-constraint violation,
// and of which constraint (PostgreSQL) or columns (SQLite).
func isUniqueViolation(err error) (string, bool) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return pqErr.Constraint, true
	}
	return sqliteUniqueViolation(err)
}

func utcNow() time.Time { return time.Now().UTC() }
