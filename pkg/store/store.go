// Package store is smsinbox's only SQL: the inbox.Store on PostgreSQL
// (sqlx + lib/pq) or on an embedded SQLite file (sqlx + modernc.org/sqlite).
// The SQL is portable (Rebind, RETURNING, ON CONFLICT, no ILIKE); the few
// differences between the engines live in postgres.go and sqlite.go.
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
	"github.com/lib/pq"

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
	closers    []func() error
}

// Engine names the database engine: "postgres" or "sqlite".
func (db *DB) Engine() string {
	if db.postgres {
		return "postgres"
	}
	return "sqlite"
}

// SetClock makes the store stamp what it writes with c's time instead of
// the wall clock's. Call it before the store is used.
func (db *DB) SetClock(c clock.Clock) { db.queries.now = c.Now }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.Engine(), err)
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
	return queries{q: sqlTx, sqlTx: sqlTx, stmts: prepared, bind: db.bind, now: db.now, postgres: db.postgres}
}

// writer runs single statements, outside a transaction, on the write pool.
func (db *DB) writer() queries {
	return queries{q: db.write, stmts: db.writeStmts, bind: db.bind, now: db.now, postgres: db.postgres}
}

// Snapshot runs fn on one consistent read-only view.
func (db *DB) Snapshot(ctx context.Context, fn func(inbox.Queries) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
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
	t.events = append(t.events, inbox.Event{Topic: topic, Type: typ, Data: b})
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
	if t.postgres {
		return t.events, t.storeEventsPostgres(ctx, now)
	}
	for i := range t.events {
		e := &t.events[i]
		err := t.get(ctx, &e.Seq, `INSERT INTO topic_seqs (topic, seq) VALUES (?, 1)
			ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq + 1 RETURNING seq`, e.Topic)
		if err != nil {
			return nil, fmt.Errorf("next seq of %s: %w", e.Topic, err)
		}
		if err := t.exec(ctx, `INSERT INTO events (topic, seq, type, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
			e.Topic, e.Seq, e.Type, string(e.Data), now); err != nil {
			return nil, fmt.Errorf("store %s event: %w", e.Type, err)
		}
	}
	return t.events, nil
}

// storeEventsPostgres stores every event of the transaction in one round
// trip, however many (a group commit of inbound texts emits dozens): each
// topic's counter moves on by its number of events, and its events take the
// seqs up to the new value, in the order they were emitted. It returns each
// topic's new value, from which the seqs are set.
func (t *tx) storeEventsPostgres(ctx context.Context, now time.Time) error {
	topics := make([]string, len(t.events))
	types := make([]string, len(t.events))
	payloads := make([]string, len(t.events))
	for i, e := range t.events {
		topics[i], types[i], payloads[i] = e.Topic, e.Type, string(e.Data)
	}
	var last []struct {
		Topic string `db:"topic"`
		Seq   int64  `db:"seq"`
	}
	err := t.sel(ctx, &last, `WITH e AS (
			SELECT * FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS e (topic, type, payload, ord)),
		n AS (SELECT topic, count(*) AS n FROM e GROUP BY topic),
		s AS (INSERT INTO topic_seqs (topic, seq) SELECT topic, n FROM n ORDER BY topic
			ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq + excluded.seq RETURNING topic, seq),
		ins AS (INSERT INTO events (topic, seq, type, payload, created_at)
			SELECT e.topic, s.seq - n.n + row_number() OVER (PARTITION BY e.topic ORDER BY e.ord), e.type, e.payload::json, ?
			FROM e JOIN s ON s.topic = e.topic JOIN n ON n.topic = e.topic)
		SELECT topic, seq FROM s`,
		pq.Array(topics), pq.Array(types), pq.Array(payloads), now)
	if err != nil {
		return fmt.Errorf("store %d events: %w", len(t.events), err)
	}
	next := make(map[string]int64, len(last))
	for _, l := range last {
		next[l.Topic] = l.Seq
	}
	// The events are sorted by topic, in emission order within one: a
	// topic's run ends at its new value.
	for i := len(t.events) - 1; i >= 0; i-- {
		e := &t.events[i]
		e.Seq = next[e.Topic]
		next[e.Topic]--
	}
	return nil
}

// queries runs SQL on a pool or a transaction. Every statement is written
// with ? placeholders, rebound for the engine, and prepared once per pool.
type queries struct {
	q        sqlx.ExtContext
	sqlTx    *sqlx.Tx // the transaction, if q is one
	stmts    *stmts   // the prepared statements of q's pool
	bind     int
	now      func() time.Time
	postgres bool // the engine, for the few statements that differ
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

func (q queries) get(ctx context.Context, dest any, query string, args ...any) error {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return err
	}
	if s == nil {
		return sqlx.GetContext(ctx, q.q, dest, sqlx.Rebind(q.bind, query), args...)
	}
	return s.GetContext(ctx, dest, args...)
}

func (q queries) sel(ctx context.Context, dest any, query string, args ...any) error {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return err
	}
	if s == nil {
		return sqlx.SelectContext(ctx, q.q, dest, sqlx.Rebind(q.bind, query), args...)
	}
	return s.SelectContext(ctx, dest, args...)
}

func (q queries) exec(ctx context.Context, query string, args ...any) error {
	_, err := q.execCount(ctx, query, args...)
	return err
}

// execCount runs a statement and returns how many rows it changed.
func (q queries) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	if s == nil {
		res, err = q.q.ExecContext(ctx, sqlx.Rebind(q.bind, query), args...)
	} else {
		res, err = s.ExecContext(ctx, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// in expands a query with an IN (?) list.
func (q queries) in(query string, args ...any) (string, []any, error) {
	return sqlx.In(query, args...)
}
