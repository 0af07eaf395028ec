package store

import (
	"context"
	"database/sql"
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

// serial runs fn in a read-only transaction whose statements PostgreSQL
// runs without parallel workers: a search's statements read a few thousand
// rows at most, and starting workers for them (which the planner does when
// it over-estimates a prefix's matches) costs more than the whole read.
// Inside a transaction already, fn runs in it, and its rest is serial too.
func (q queries) serial(ctx context.Context, fn func(queries) error) error {
	if q.sqlTx != nil {
		if err := q.exec(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
			return err
		}
		return fn(q)
	}
	pool, ok := q.q.(*sqlx.DB)
	if !ok {
		return fn(q)
	}
	sqlTx, err := pool.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return unavailable("begin search", err)
	}
	defer func() {
		sqlTx.Rollback() //nolint:errcheck // read-only: nothing to keep
		q.stmts.preparePending(ctx)
	}()
	if _, err := sqlTx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		return err
	}
	return fn(queries{q: sqlTx, sqlTx: sqlTx, stmts: q.stmts, bind: q.bind, now: q.now, postgres: q.postgres})
}
