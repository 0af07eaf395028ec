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

	"smsinbox/pkg/inbox"
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
		queries:    queries{q: pool, stmts: prepared, bind: sqlx.DOLLAR, now: utcNow, dialect: postgresDialect{}},
		write:      pool,
		read:       pool,
		writeStmts: prepared,
		postgres:   true,
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

// postgresDialect is the dialect of PostgreSQL: fewer round trips, through
// arrays and data-modifying CTEs.
type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

// snapshotIsolation: PostgreSQL's default, read committed, takes a new
// snapshot per statement.
func (postgresDialect) snapshotIsolation() sql.IsolationLevel { return sql.LevelRepeatableRead }

// storeEvents stores every event of the transaction in one round trip,
// however many (a group commit of inbound texts emits dozens): each topic's
// counter moves on by its number of events, and its events take the seqs up
// to the new value, in the order they were emitted. The statement returns
// each topic's new value, from which the seqs are set.
func (postgresDialect) storeEvents(ctx context.Context, t *tx, now time.Time) error {
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

// insertMessage makes the three writes one statement: data-modifying CTEs
// all run, in one snapshot, and the updates join the inserted row, so a
// duplicate (no row) changes nothing.
func (postgresDialect) insertMessage(ctx context.Context, t *tx, m *inbox.Message, args []any, touch string) ([]int64, error) {
	var ids []int64
	err := t.sel(ctx, &ids, `WITH m AS (`+insertMessage+` RETURNING id, thread_id, contact_id, sent_by, created_at),
		th AS (UPDATE threads SET last_message_id = m.id, last_message_at = m.created_at, `+touch+`
			FROM m WHERE threads.id = m.thread_id),
		c AS (UPDATE contacts SET last_message_at = m.created_at FROM m WHERE contacts.id = m.contact_id)
		SELECT id FROM m`, args...)
	if err != nil {
		return nil, fmt.Errorf("insert message: %w", err)
	}
	return ids, nil
}

// redeemTicket deletes the ticket and reads who it is for in one
// statement, provided its user is active and the session or token that
// minted it is live.
func (postgresDialect) redeemTicket(ctx context.Context, w queries, ticketHash string, now time.Time) (inbox.Auth, error) {
	var r ticketAuth
	err := w.get(ctx, &r, `DELETE FROM ws_tickets t USING users u
		WHERE t.ticket_hash = ? AND t.expires_at > ? AND u.id = t.user_id AND u.active
		AND (t.session_hash IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = t.session_hash AND s.expires_at > ?))
		AND (t.token_id IS NULL OR EXISTS (SELECT 1 FROM api_tokens k WHERE k.id = t.token_id AND (k.expires_at IS NULL OR k.expires_at > ?)))
		RETURNING `+userColumns+`, COALESCE(t.session_hash, '') AS session_hash, COALESCE(t.token_id, 0) AS token_id`,
		ticketHash, now, now, now)
	if err != nil {
		return inbox.Auth{}, notFound("ticket", err)
	}
	return r.auth(), nil
}

// postgresUnreachable reports whether err is PostgreSQL saying it cannot
// serve the connection now: a connection exception (class 08), an
// administrator or crash shutdown or a server not accepting connections yet
// (57P01, 57P02, 57P03), or too many connections (53300).
func postgresUnreachable(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	switch pqErr.Code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return pqErr.Code.Class() == "08"
}

// sumDecimal: sum over numeric is exact, and keeps the largest scale.
func (postgresDialect) sumDecimal(col string) string { return "sum(" + col + ")" }
