package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"smsinbox"
)

// OpenPostgres connects to PostgreSQL at url (postgres://…; local servers
// usually need ?sslmode=disable). It does not apply the schema: call Migrate.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
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
	db := &DB{
		queries: queries{q: pool, bind: sqlx.DOLLAR, now: utcNow},
		write:   pool,
		read:    pool,
		engine:  "postgres",
		schema:  smsinbox.PostgresSchema,
		closers: []func() error{pool.Close},
	}
	return db, nil
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
