package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
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
	contacts := make([]sql.NullInt64, len(t.events))
	for i, e := range t.events {
		topics[i], types[i], payloads[i] = e.Topic, e.Type, string(e.Data)
		contacts[i] = sql.NullInt64{Int64: e.ContactID, Valid: e.ContactID > 0}
	}
	var last []struct {
		Topic string `db:"topic"`
		Seq   int64  `db:"seq"`
	}
	err := t.sel(ctx, &last, `WITH e AS (
			SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[]) WITH ORDINALITY AS e (topic, type, payload, contact_id, ord)),
		n AS (SELECT topic, count(*) AS n FROM e GROUP BY topic),
		s AS (INSERT INTO topic_seqs (topic, seq) SELECT topic, n FROM n ORDER BY topic
			ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq + excluded.seq RETURNING topic, seq),
		ins AS (INSERT INTO events (topic, seq, type, payload, created_at, contact_id)
			SELECT e.topic, s.seq - n.n + row_number() OVER (PARTITION BY e.topic ORDER BY e.ord), e.type, e.payload::json, ?, e.contact_id
			FROM e JOIN s ON s.topic = e.topic JOIN n ON n.topic = e.topic)
		SELECT topic, seq FROM s`,
		pq.Array(topics), pq.Array(types), pq.Array(payloads), pq.Array(contacts), now)
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

// ensureThreads upserts every thread in one statement, in the keys' order
// (sorted, without repeats: ON CONFLICT may touch a row once).
func (postgresDialect) ensureThreads(ctx context.Context, t *tx, keys []inbox.ThreadKey, ids map[inbox.ThreadKey]int64) error {
	companies, numbers, contacts := make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		companies[i], numbers[i], contacts[i] = k.CompanyID, k.NumberID, k.ContactID
	}
	var rows []struct {
		ID        int64 `db:"id"`
		CompanyID int64 `db:"company_id"`
		NumberID  int64 `db:"number_id"`
		ContactID int64 `db:"contact_id"`
	}
	err := t.sel(ctx, &rows, `INSERT INTO threads (company_id, number_id, contact_id, created_at)
		SELECT k.company_id, k.number_id, k.contact_id, ?
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS k (company_id, number_id, contact_id, ord)
		ORDER BY k.ord
		ON CONFLICT (number_id, contact_id) DO UPDATE SET unread_count = threads.unread_count
		RETURNING id, company_id, number_id, contact_id`,
		t.now(), pq.Array(companies), pq.Array(numbers), pq.Array(contacts))
	if err != nil {
		return err
	}
	for _, r := range rows {
		ids[inbox.ThreadKey{CompanyID: r.CompanyID, NumberID: r.NumberID, ContactID: r.ContactID}] = r.ID
	}
	return nil
}

// insertMessage makes the three writes one statement: data-modifying CTEs
// all run, in one snapshot, and the updates join the inserted row, so a
// duplicate (no row) changes nothing.
func (postgresDialect) insertMessage(ctx context.Context, t *tx, m *inbox.Message, args []any, touch string) ([]int64, error) {
	var ids []int64
	err := t.sel(ctx, &ids, `WITH m AS (`+insertMessage+` RETURNING id, thread_id, contact_id, sent_by, created_at),
		`+touchMessages(touch)+`
		SELECT id FROM m`, args...)
	if err != nil {
		return nil, fmt.Errorf("insert message: %w", err)
	}
	return ids, nil
}

// insertMessages is insertMessage for many messages in one statement: one
// row of values each (the caller names their threads' number and contact).
func (postgresDialect) insertMessages(ctx context.Context, t *tx, _ []*inbox.Message, rows [][]any, touch string) (map[int64]int64, error) {
	row := "(?" + strings.Repeat(", ?", len(rows[0])-1) + ")"
	args := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		args = append(args, r...)
	}
	var got []struct {
		ID       int64 `db:"id"`
		ThreadID int64 `db:"thread_id"`
	}
	err := t.sel(ctx, &got, `WITH m AS (INSERT INTO messages (`+messageColumns+`)
		VALUES `+row+strings.Repeat(", "+row, len(rows)-1)+`
		ON CONFLICT DO NOTHING RETURNING id, thread_id, contact_id, sent_by, created_at),
		`+touchMessages(touch)+`
		SELECT id, thread_id FROM m`, args...)
	if err != nil {
		return nil, fmt.Errorf("insert %d messages: %w", len(rows), err)
	}
	ids := make(map[int64]int64, len(got))
	for _, r := range got {
		ids[r.ThreadID] = r.ID
	}
	return ids, nil
}

// touchMessages are the CTEs that point the threads and the contacts of
// the messages just inserted (m) at them: a thread gets touch, the rest of
// its SET clause, and a contact its latest message's time. The contacts
// are taken in id order, so that two batches lock the ones they share in
// the same order (their threads are locked already: EnsureThreads).
func touchMessages(touch string) string {
	return `th AS (UPDATE threads SET last_message_id = m.id, last_message_at = m.created_at, ` + touch + `
			FROM m WHERE threads.id = m.thread_id),
		c AS (UPDATE contacts SET last_message_at = l.at
			FROM (SELECT contact_id, max(created_at) AS at FROM m GROUP BY contact_id ORDER BY contact_id) l
			WHERE contacts.id = l.contact_id)`
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
		return classify(err)
	}
	return fn(queries{q: sqlTx, sqlTx: sqlTx, stmts: q.stmts, bind: q.bind, now: q.now, dialect: q.dialect})
}

// inboxThreadsQuery reads each number's run with a LATERAL backward range
// read and merges them: one index range per number, whatever the number of
// threads, instead of every thread of the numbers sorted. The page is read
// first and the thread's joins made for its rows only: named first in FROM,
// since a join list this long is planned in the order it is written
// (join_collapse_limit).
func (postgresDialect) inboxThreadsQuery(_ queries, companyID int64, iq inbox.InboxQuery, cond string, args []any) (string, []any, error) {
	query := `WITH page AS MATERIALIZED (SELECT p.id FROM unnest(?::bigint[]) AS n (id), LATERAL (
			SELECT t.id, t.last_message_at FROM threads t WHERE t.number_id = n.id` + cond + inboxOrder + ` LIMIT ?) p
		ORDER BY p.last_message_at DESC, p.id DESC LIMIT ?) ` +
		strings.Replace(threadSelect, "FROM threads t\n", "FROM page JOIN threads t ON t.id = page.id\n", 1) +
		`WHERE t.company_id = ?` + inboxOrder
	return query, append(append([]any{pq.Array(iq.NumberIDs)}, args...), iq.Limit, iq.Limit, companyID), nil
}

// prepareInboxPage makes a transaction (a hello's snapshot) use the inbox
// page's generic plan. While threads has no statistics — a new database,
// before autovacuum has analyzed it — PostgreSQL's plan cache prefers a
// custom plan, and planning this many joins costs 2-3 ms of the server's
// CPU at every execution, twice per hello: most of a connect's cost. The
// plan's shape does not depend on the values (a LATERAL index range per
// number, then the joins by key); outside a transaction the choice is
// PostgreSQL's.
func (postgresDialect) prepareInboxPage(ctx context.Context, q queries) error {
	if q.sqlTx == nil {
		return nil
	}
	return q.exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`)
}

// lapseClaims is one statement: it locks the expired rows it takes (SKIP
// LOCKED: rows another process is lapsing, or a transaction is renewing, are
// left to it) and updates them, returning the former holder from the locked
// row; a row is re-checked once locked, so a claim renewed meanwhile no
// longer matches.
func (postgresDialect) lapseClaims(ctx context.Context, t *tx, now time.Time, limit int) ([]lapsedRow, error) {
	var rows []lapsedRow
	err := t.sel(ctx, &rows, `UPDATE threads SET `+clearClaim+`,
			unread_count = CASE WHEN old.replied OR threads.unread_count > 0 THEN threads.unread_count ELSE 1 END,
			read_by = CASE WHEN old.replied THEN threads.read_by END,
			read_at = CASE WHEN old.replied THEN threads.read_at END
		FROM (SELECT t.id, t.claimed_by, `+repliedSince+` AS replied FROM threads t
			WHERE t.claim_expires_at <= ? ORDER BY t.claim_expires_at LIMIT ? FOR UPDATE OF t SKIP LOCKED) old
		WHERE threads.id = old.id
		RETURNING threads.id, threads.company_id, old.claimed_by, old.replied`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("lapse claims: %w", err)
	}
	return rows, nil
}

// searchMessages gathers the window (searchWindow), then reads its page,
// in one read-only transaction without parallel workers (serial).
func (postgresDialect) searchMessages(ctx context.Context, q queries, companyID int64, s inbox.MessageSearch) (inbox.MessageHits, error) {
	var res inbox.MessageHits
	err := q.serial(ctx, func(q queries) error {
		window, err := q.searchWindow(ctx, companyID, s)
		if err != nil {
			return err
		}
		query, args := searchPageQuery(s, window)
		res, err = q.searchHits(ctx, query, args, window)
		return err
	})
	return res, err
}

// searchContactsQuery matches the contacts_search index's expression and
// ranks with ts_rank.
func (postgresDialect) searchContactsQuery(companyID int64, terms []string, phone, onNumber, digits string, numberID int64, limit int) (string, []any) {
	const doc = `to_tsvector('simple', c.name || ' ' || translate(c.email, '@.', '  '))`
	query := `SELECT ` + contactColumns + contactFrom + `WHERE c.company_id = ?
		AND (` + doc + ` @@ to_tsquery('simple', ?)` + phone + `)` + onNumber + `
		ORDER BY ts_rank(` + doc + `, to_tsquery('simple', ?)) DESC, c.id DESC LIMIT ?`
	args := []any{companyID, pgQuery(terms)}
	if digits != "" {
		args = append(args, "%"+digits+"%")
	}
	if numberID != 0 {
		args = append(args, numberID)
	}
	return query, append(args, pgQuery(terms), limit)
}

// foldRollups: the triggers append deltas on PostgreSQL.
func (postgresDialect) foldRollups(ctx context.Context, db *DB) (int, error) {
	return foldDeltas(ctx, db)
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

// purgeSearch: search_vector is a generated column of the row, rewritten
// with it; the GIN index drops the old entries as vacuum removes the old
// row versions.
func (postgresDialect) purgeSearch(context.Context, *tx) error { return nil }
