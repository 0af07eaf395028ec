// Package store is smsinbox's only SQL: the inbox.Store on PostgreSQL
// (sqlx + lib/pq) or on an embedded SQLite file (sqlx + modernc.org/sqlite).
// The SQL is portable (Rebind, RETURNING, ON CONFLICT, no ILIKE); the few
// statements that differ between the engines live in postgres.go and
// sqlite.go, each an implementation of dialect (dialect.go).
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

var _ inbox.Store = (*DB)(nil)

// DB is an open store.
type DB struct {
	queries          // reads outside a transaction, on the read pool
	write   *sqlx.DB // the pool transactions run on
	read    *sqlx.DB // the pool plain reads run on (the same as write on PostgreSQL)
	// writeStmts are the prepared statements of the write pool; the read
	// pool's are queries.stmts (the same on PostgreSQL).
	writeStmts *stmts
	path       string // the SQLite file; empty on PostgreSQL
	postgres   bool   // the engine, for the migrations (migrate.go)
	closers    []func() error
}

// Engine names the database engine: "postgres" or "sqlite".
func (db *DB) Engine() string { return db.dialect.name() }

// SetClock makes the store stamp what it writes with c's time instead of
// the wall clock's. Call it before the store is used.
func (db *DB) SetClock(c clock.Clock) { db.queries.now = c.Now }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return classify(fmt.Errorf("ping %s: %w", db.Engine(), err))
	}
	return nil
}

// Close closes every pool.
func (db *DB) Close() error {
	var errs []error
	for _, c := range db.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Tx runs fn in a write transaction, then stores the events fn emitted, each
// with its topic's next seq, and commits. The seq comes from a counter row
// that stays locked until commit, so each topic's seqs are gapless and in
// commit order across every process sharing the database.
func (db *DB) Tx(ctx context.Context, fn func(inbox.Tx) error) ([]inbox.Event, error) {
	sqlTx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, unavailable("begin transaction", err)
	}
	t := &tx{queries: db.in(sqlTx, db.writeStmts)}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return nil, err
	}
	events, err := t.storeEvents(ctx)
	if err != nil {
		_ = sqlTx.Rollback()
		return nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, unavailable("commit", err)
	}
	db.writeStmts.preparePending(ctx)
	return events, nil
}

// in returns the queries of a transaction: its statements come from the
// prepared statements of the transaction's pool.
func (db *DB) in(sqlTx *sqlx.Tx, prepared *stmts) queries {
	return queries{q: sqlTx, sqlTx: sqlTx, stmts: prepared, bind: db.bind, now: db.now, dialect: db.dialect}
}

// writer runs single statements, outside a transaction, on the write pool.
func (db *DB) writer() queries {
	return queries{q: db.write, stmts: db.writeStmts, bind: db.bind, now: db.now, dialect: db.dialect}
}

// Snapshot runs fn on one consistent read-only view.
func (db *DB) Snapshot(ctx context.Context, fn func(inbox.Queries) error) error {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshotIsolation()}
	sqlTx, err := db.read.BeginTxx(ctx, opts)
	if err != nil {
		return unavailable("begin snapshot", err)
	}
	err = fn(db.in(sqlTx, db.stmts))
	sqlTx.Rollback() //nolint:errcheck // read-only: nothing to keep
	db.stmts.preparePending(ctx)
	return err
}

// tx is a write transaction; it collects events until commit.
type tx struct {
	queries
	events []inbox.Event
}

func (t *tx) Emit(topic, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	t.events = append(t.events, inbox.Event{Topic: topic, Type: typ, Data: b, ContactID: inbox.EventContact(data)})
	return nil
}

// storeEvents gives each emitted event its seq and stores it. Topics are
// locked in sorted order so that two transactions never wait on each other's
// counters in opposite orders (no deadlock), and as late as possible so that a
// topic's counter is held only for the end of the transaction.
func (t *tx) storeEvents(ctx context.Context) ([]inbox.Event, error) {
	if len(t.events) == 0 {
		return nil, nil
	}
	sort.SliceStable(t.events, func(i, j int) bool { return t.events[i].Topic < t.events[j].Topic })
	now := t.now()
	for i := range t.events {
		t.events[i].CreatedAt = now
	}
	if err := t.dialect.storeEvents(ctx, t, now); err != nil {
		return nil, err
	}
	return t.events, nil
}

// queries runs SQL on a pool or a transaction. Every statement is written
// with ? placeholders, rebound for the engine, and prepared once per pool.
type queries struct {
	q       sqlx.ExtContext
	sqlTx   *sqlx.Tx // the transaction, if q is one
	stmts   *stmts   // the prepared statements of q's pool
	bind    int
	now     func() time.Time
	dialect dialect // the statements that differ between the engines
}

// stmt returns query prepared, and bound to the transaction if there is
// one; nil means run it unprepared.
func (q queries) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	s, err := q.stmts.get(ctx, query, q.sqlTx != nil)
	if err != nil || s == nil {
		return nil, err
	}
	if q.sqlTx != nil {
		return q.sqlTx.StmtxContext(ctx, s), nil
	}
	return s, nil
}

// get, sel and execCount run every statement of the store (but the
// report's streamed rows): their errors go through classify, so that a
// database out of reach is inbox.Unavailable wherever it is met.
func (q queries) get(ctx context.Context, dest any, query string, args ...any) error {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return classify(err)
	}
	if s == nil {
		return classify(sqlx.GetContext(ctx, q.q, dest, sqlx.Rebind(q.bind, query), args...))
	}
	return classify(s.GetContext(ctx, dest, args...))
}

func (q queries) sel(ctx context.Context, dest any, query string, args ...any) error {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return classify(err)
	}
	if s == nil {
		return classify(sqlx.SelectContext(ctx, q.q, dest, sqlx.Rebind(q.bind, query), args...))
	}
	return classify(s.SelectContext(ctx, dest, args...))
}

func (q queries) exec(ctx context.Context, query string, args ...any) error {
	_, err := q.execCount(ctx, query, args...)
	return err
}

// execCount runs a statement and returns how many rows it changed.
func (q queries) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return 0, classify(err)
	}
	var res sql.Result
	if s == nil {
		res, err = q.q.ExecContext(ctx, sqlx.Rebind(q.bind, query), args...)
	} else {
		res, err = s.ExecContext(ctx, args...)
	}
	if err != nil {
		return 0, classify(err)
	}
	n, err := res.RowsAffected()
	return n, classify(err)
}

// in expands a query with an IN (?) list.
func (q queries) in(query string, args ...any) (string, []any, error) {
	return sqlx.In(query, args...)
}
