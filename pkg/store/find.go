package store

import (
	"context"
	"time"

	"smsinbox/pkg/inbox"
)

// findDialect is what differs between the engines in finding and owning
// threads: inbox pages, claims, search and the report's rollups. postgres.go
// and sqlite.go implement it with the rest of dialect.
type findDialect interface {
	// inboxThreadsQuery is InboxThreads' statement: threads of iq's numbers
	// matching cond (with its args), newest first by (last_message_at, id),
	// at most iq.Limit, each joined as threadSelect joins a thread.
	inboxThreadsQuery(q queries, companyID int64, iq inbox.InboxQuery, cond string, args []any) (string, []any, error)
	// prepareInboxPage readies a transaction for inbox pages.
	prepareInboxPage(ctx context.Context, q queries) error
	// lapseClaims ends up to limit claims expired at now, each in one
	// process only, and returns them: an unanswered one hands its thread
	// back (handBack), an answered one just ends.
	lapseClaims(ctx context.Context, t *tx, now time.Time, limit int) ([]lapsedRow, error)
	// searchMessages runs SearchMessages (s has terms, numbers and a limit).
	searchMessages(ctx context.Context, q queries, companyID int64, s inbox.MessageSearch) (inbox.MessageHits, error)
	// searchContactsQuery is SearchContacts' statement; phone and onNumber
	// are its optional conditions, written, with their args digits and
	// numberID.
	searchContactsQuery(companyID int64, terms []string, phone, onNumber, digits string, numberID int64, limit int) (string, []any)
	// foldRollups folds the appended rollup deltas into message_rollups.
	foldRollups(ctx context.Context, db *DB) (int, error)
}
