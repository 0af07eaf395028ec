package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"smsinbox/pkg/inbox"
)

// OpenSQLite opens (creating it if needed) the embedded store in the file
// path. Writes go through one connection — SQLite has one writer anyway, and
// queuing in the pool beats lock contention — with immediate transactions;
// reads use a pool of read-only connections on the WAL. Other processes may
// open the same file (`inboxd admin create` next to a running server): they
// wait on the busy timeout. It does not apply the schema: call Migrate.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	params := []string{
		"_pragma=busy_timeout(5000)",
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)", // a webhook is answered only after its commit is on disk
		"_time_format=sqlite",
	}
	write, err := sqlx.Open("sqlite", base+"?"+strings.Join(append(params, "_txlock=immediate"), "&"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sqlx.Open("sqlite", base+"?"+strings.Join(append(params, "_pragma=query_only(1)"), "&"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	readStmts, writeStmts := newStmts(read, sqlx.QUESTION), newStmts(write, sqlx.QUESTION)
	db := &DB{
		queries:    queries{q: read, stmts: readStmts, bind: sqlx.QUESTION, now: utcNow, dialect: sqliteDialect{}},
		write:      write,
		read:       read,
		writeStmts: writeStmts,
		path:       path,
		closers:    []func() error{readStmts.close, writeStmts.close, read.Close, write.Close},
	}
	return db, nil
}

func sqliteUniqueViolation(err error) (string, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		// "UNIQUE constraint failed: users.email (2067)"
		msg := e.Error()
		if i := strings.Index(msg, "failed: "); i >= 0 {
			msg = msg[i+len("failed: "):]
		}
		if i := strings.Index(msg, " ("); i >= 0 {
			msg = msg[:i]
		}
		return msg, true
	}
	return "", false
}

// sqliteDialect is the dialect of SQLite: in process, a statement costs no
// round trip, so the writes are plain ones in a row.
type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

// snapshotIsolation: a SQLite read transaction sees one point in time at any
// level; the driver accepts only the default.
func (sqliteDialect) snapshotIsolation() sql.IsolationLevel { return sql.LevelDefault }

// storeEvents takes each event's seq from its topic's counter, then stores
// the event: two statements per event.
func (sqliteDialect) storeEvents(ctx context.Context, t *tx, now time.Time) error {
	for i := range t.events {
		e := &t.events[i]
		err := t.get(ctx, &e.Seq, `INSERT INTO topic_seqs (topic, seq) VALUES (?, 1)
			ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq + 1 RETURNING seq`, e.Topic)
		if err != nil {
			return fmt.Errorf("next seq of %s: %w", e.Topic, err)
		}
		var contact any
		if e.ContactID > 0 {
			contact = e.ContactID
		}
		if err := t.exec(ctx, `INSERT INTO events (topic, seq, type, payload, created_at, contact_id) VALUES (?, ?, ?, ?, ?, ?)`,
			e.Topic, e.Seq, e.Type, string(e.Data), now, contact); err != nil {
			return fmt.Errorf("store %s event: %w", e.Type, err)
		}
	}
	return nil
}

// insertMessage inserts the message, then touches its thread and its
// contact, only when a row was inserted.
// ensureThreads upserts the threads one by one: a statement on SQLite is a
// function call, not a round trip.
func (sqliteDialect) ensureThreads(ctx context.Context, t *tx, keys []inbox.ThreadKey, ids map[inbox.ThreadKey]int64) error {
	for _, k := range keys {
		id, err := t.EnsureThread(ctx, k.CompanyID, k.NumberID, k.ContactID)
		if err != nil {
			return err
		}
		ids[k] = id
	}
	return nil
}

func (sqliteDialect) insertMessage(ctx context.Context, t *tx, m *inbox.Message, args []any, touch string) ([]int64, error) {
	var ids []int64
	if err := t.sel(ctx, &ids, insertMessage+` RETURNING id`, args...); err != nil {
		return nil, fmt.Errorf("insert message: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	err := t.exec(ctx, `UPDATE threads SET last_message_id = m.id, last_message_at = m.created_at, `+touch+`
		FROM (SELECT id, sent_by, created_at FROM messages WHERE id = ?) m WHERE threads.id = ?`, ids[0], m.ThreadID)
	if err != nil {
		return nil, fmt.Errorf("touch thread %d: %w", m.ThreadID, err)
	}
	if err := t.exec(ctx, `UPDATE contacts SET last_message_at = ? WHERE id = (SELECT contact_id FROM threads WHERE id = ?)`,
		m.CreatedAt, m.ThreadID); err != nil {
		return nil, fmt.Errorf("touch contact of thread %d: %w", m.ThreadID, err)
	}
	return ids, nil
}

// insertMessages inserts the messages one by one: a statement on SQLite is
// a function call, not a round trip.
func (sqliteDialect) insertMessages(ctx context.Context, t *tx, ms []*inbox.Message, _ [][]any, _ string) (map[int64]int64, error) {
	ids := make(map[int64]int64, len(ms))
	for _, m := range ms {
		dup, err := t.InsertMessage(ctx, m)
		if err != nil {
			return nil, err
		}
		if !dup {
			ids[m.ThreadID] = m.ID
		}
	}
	return ids, nil
}

// redeemTicket deletes the ticket, then reads its user, provided they are
// active and the session or token that minted the ticket is live: SQLite's
// DELETE has no USING.
func (sqliteDialect) redeemTicket(ctx context.Context, w queries, ticketHash string, now time.Time) (inbox.Auth, error) {
	var t struct {
		UserID  int64  `db:"user_id"`
		Session string `db:"session_hash"`
		TokenID int64  `db:"token_id"`
	}
	err := w.get(ctx, &t, `DELETE FROM ws_tickets WHERE ticket_hash = ? AND expires_at > ?
		RETURNING user_id, COALESCE(session_hash, '') AS session_hash, COALESCE(token_id, 0) AS token_id`, ticketHash, now)
	if err != nil {
		return inbox.Auth{}, notFound("ticket", err)
	}
	var u inbox.User
	err = w.get(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.id = ? AND u.active
		AND (? = '' OR EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = ? AND s.expires_at > ?))
		AND (? = 0 OR EXISTS (SELECT 1 FROM api_tokens k WHERE k.id = ? AND (k.expires_at IS NULL OR k.expires_at > ?)))`,
		t.UserID, t.Session, t.Session, now, t.TokenID, t.TokenID, now)
	if err != nil {
		return inbox.Auth{}, notFound("ticket", err)
	}
	return inbox.Auth{User: u, Session: t.Session, TokenID: t.TokenID}, nil
}

// prepareInboxPage: SQLite plans a statement once, when it is prepared.
func (sqliteDialect) prepareInboxPage(context.Context, queries) error { return nil }

// inboxThreadsQuery reads the numbers' threads with IN and sorts: SQLite has
// no LATERAL, and the embedded store is for small teams.
func (sqliteDialect) inboxThreadsQuery(q queries, companyID int64, iq inbox.InboxQuery, cond string, args []any) (string, []any, error) {
	query := threadSelect + `WHERE t.company_id = ? AND t.number_id IN (?)` + cond + inboxOrder + ` LIMIT ?`
	return q.in(query, append(append([]any{companyID, iq.NumberIDs}, args...), iq.Limit)...)
}

// lapseClaims reads the expired claims and updates them in the one
// writer's transaction: nobody else can take them meanwhile.
func (sqliteDialect) lapseClaims(ctx context.Context, t *tx, now time.Time, limit int) ([]lapsedRow, error) {
	var rows []lapsedRow
	if err := t.sel(ctx, &rows, `SELECT t.id, t.company_id, t.claimed_by, `+repliedSince+` AS replied FROM threads t
		WHERE t.claim_expires_at <= ? ORDER BY t.claim_expires_at LIMIT ?`, now, limit); err != nil {
		return nil, fmt.Errorf("find lapsed claims: %w", err)
	}
	for _, r := range rows {
		set := clearClaim
		if !r.Replied {
			set += `, ` + handBack
		}
		if err := t.exec(ctx, `UPDATE threads SET `+set+` WHERE id = ?`, r.ID); err != nil {
			return nil, fmt.Errorf("lapse claim on thread %d: %w", r.ID, err)
		}
	}
	return rows, nil
}

// searchMessages is one statement on FTS5, which finds every match; the
// embedded store is small.
func (sqliteDialect) searchMessages(ctx context.Context, q queries, companyID int64, s inbox.MessageSearch) (inbox.MessageHits, error) {
	query, args, err := q.searchQuerySQLite(companyID, s)
	if err != nil {
		return inbox.MessageHits{}, err
	}
	return q.searchHits(ctx, query, args, nil)
}

// searchContactsQuery matches contacts_search (FTS5) and ranks with bm25.
func (sqliteDialect) searchContactsQuery(companyID int64, terms []string, phone, onNumber, digits string, numberID int64, limit int) (string, []any) {
	query := `SELECT ` + contactColumns + contactFrom + `
		LEFT JOIN (SELECT rowid AS id, bm25(contacts_search) AS rank FROM contacts_search WHERE contacts_search MATCH ?) s
			ON s.id = c.id
		WHERE c.company_id = ? AND (s.id IS NOT NULL` + phone + `)` + onNumber + `
		ORDER BY s.rank NULLS LAST, c.id DESC LIMIT ?`
	args := []any{ftsQuery(terms), companyID}
	if digits != "" {
		args = append(args, "%"+digits+"%")
	}
	if numberID != 0 {
		args = append(args, numberID)
	}
	return query, append(args, limit)
}

// foldRollups: SQLite's triggers add to the rollups directly; there is
// nothing to fold.
func (sqliteDialect) foldRollups(context.Context, *DB) (int, error) { return 0, nil }

// sqliteBusy reports whether err is SQLite still busy (another connection
// holding the database) after the busy timeout: the write did not happen
// and may be tried again.
func sqliteBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// sumDecimal: SQLite's sum goes through floats, so the store adds amounts
// with its own decimal_sum (decimal.go).
func (sqliteDialect) sumDecimal(col string) string { return "decimal_sum(" + col + ")" }

// purgeSearch merges the FTS5 indexes' segments: a deletion only adds a
// tombstone segment, and the erased words would stay in the older ones
// until a merge. The cost is a rewrite of both indexes, for an erasure.
func (sqliteDialect) purgeSearch(ctx context.Context, t *tx) error {
	for _, table := range []string{"messages_search", "contacts_search"} {
		if err := t.exec(ctx, `INSERT INTO `+table+` (`+table+`) VALUES ('optimize')`); err != nil {
			return fmt.Errorf("purge %s: %w", table, err)
		}
	}
	return nil
}
