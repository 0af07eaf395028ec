package store

import (
	"context"
	"database/sql"
	"time"

	"smsinbox/pkg/inbox"
)

// dialect is every statement that differs between the engines, beyond the
// placeholders sqlx.Rebind rewrites: postgresDialect (postgres.go) and
// sqliteDialect (sqlite.go) implement it, and no other file asks which
// engine it runs on. Most differences are speed — PostgreSQL does in one
// statement what SQLite, in process and without data-modifying CTEs, does
// in a few — so both implementations must leave the same rows behind.
type dialect interface {
	findDialect // finding and owning threads (find.go)

	// name is the engine's name, as DB.Engine reports it.
	name() string

	// snapshotIsolation is the isolation level of Snapshot's read-only
	// transaction: one that sees a single point in time.
	snapshotIsolation() sql.IsolationLevel

	// storeEvents gives each of t's events, sorted by topic and in
	// emission order within one, its topic's next seq, and stores it with
	// created_at now.
	storeEvents(ctx context.Context, t *tx, now time.Time) error

	// insertMessage runs insertMessage with args, then points m's thread at
	// it (with touch, the rest of the thread's SET clause, which may read
	// the new row as m) and its contact's last_message_at at m.CreatedAt.
	// It returns the new id, or none for a duplicate, which changes
	// nothing.
	insertMessage(ctx context.Context, t *tx, m *inbox.Message, args []any, touch string) ([]int64, error)
	// insertMessages is insertMessage for messages each on a thread of
	// its own: rows are their values in messageColumns' order. It returns
	// the new ids by thread; a duplicate has none.
	insertMessages(ctx context.Context, t *tx, ms []*inbox.Message, rows [][]any, touch string) (map[int64]int64, error)

	// sumDecimal is the SQL aggregate that adds the decimal column col
	// exactly (NULL when every value is): amounts of money, never through a
	// float.
	sumDecimal(col string) string

	// purgeSearch makes the search index forget erased words for good, not
	// only mark them deleted (erase.go).
	purgeSearch(ctx context.Context, t *tx) error

	// redeemTicket deletes the ticket with ticketHash if it is still live
	// at now, and returns who it is for; an unknown or expired ticket, or
	// one whose user is inactive or whose minting session or token has
	// ended, is not_found.
	redeemTicket(ctx context.Context, w queries, ticketHash string, now time.Time) (inbox.Auth, error)
	// ensureThreads upserts the threads of keys (sorted, distinct) and
	// records their ids.
	ensureThreads(ctx context.Context, t *tx, keys []inbox.ThreadKey, ids map[inbox.ThreadKey]int64) error
}
