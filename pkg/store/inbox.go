package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"smsinbox/pkg/inbox"
)

// InboxThreads reads one run of an inbox page: threads of the given numbers
// in one read state, newest first by (last_message_at, id), after a
// position. Each read state has its index in that order per number
// (threads_inbox_unread, threads_inbox_read), so a page is a short backward
// range read per number wherever it starts.
//
// On PostgreSQL each number's threads are read by a LATERAL subquery and
// the per-number runs merged: one index range per number, whatever the
// number of threads, instead of every thread of the numbers sorted. SQLite,
// which has no LATERAL, reads them with IN and sorts: the embedded store is
// for small teams.
func (q queries) InboxThreads(ctx context.Context, companyID int64, iq inbox.InboxQuery) ([]inbox.Thread, error) {
	if len(iq.NumberIDs) == 0 || iq.Limit <= 0 {
		return []inbox.Thread{}, nil
	}
	query, args, err := q.inboxThreadsQuery(companyID, iq)
	if err != nil {
		return nil, fmt.Errorf("list inbox threads: %w", err)
	}
	var rows []threadRow
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("list inbox threads: %w", err)
	}
	return toThreads(rows)
}

// inboxThreadsQuery is the SQL of InboxThreads.
func (q queries) inboxThreadsQuery(companyID int64, iq inbox.InboxQuery) (string, []any, error) {
	var cond strings.Builder
	var args []any
	if iq.Unread {
		cond.WriteString(` AND t.unread_count > 0`)
	} else {
		cond.WriteString(` AND t.unread_count = 0`)
	}
	cond.WriteString(` AND t.last_message_at IS NOT NULL`)
	if iq.Awaiting {
		cond.WriteString(` AND t.awaiting_since IS NOT NULL`)
	}
	if iq.Mine != 0 {
		cond.WriteString(` AND (t.claimed_by = ? OR t.replied_by = ?)`)
		args = append(args, iq.Mine, iq.Mine)
	}
	if iq.After != nil {
		cond.WriteString(` AND (t.last_message_at, t.id) < (?, ?)`)
		args = append(args, iq.After.At.UTC(), iq.After.ID)
	}
	const order = ` ORDER BY t.last_message_at DESC, t.id DESC`
	var query string
	if q.postgres {
		// The page is read first and the thread's joins made for its rows
		// only: named first in FROM, since a join list this long is planned
		// in the order it is written (join_collapse_limit).
		query = `WITH page AS MATERIALIZED (SELECT p.id FROM unnest(?::bigint[]) AS n (id), LATERAL (
				SELECT t.id, t.last_message_at FROM threads t WHERE t.number_id = n.id` + cond.String() + order + ` LIMIT ?) p
			ORDER BY p.last_message_at DESC, p.id DESC LIMIT ?) ` +
			strings.Replace(threadSelect, "FROM threads t\n", "FROM page JOIN threads t ON t.id = page.id\n", 1) +
			`WHERE t.company_id = ?` + order
		args = append(append([]any{pq.Array(iq.NumberIDs)}, args...), iq.Limit, iq.Limit, companyID)
	} else {
		query = threadSelect + `WHERE t.company_id = ? AND t.number_id IN (?)` + cond.String() + order + ` LIMIT ?`
		args = append(append([]any{companyID, iq.NumberIDs}, args...), iq.Limit)
		return q.in(query, args...)
	}
	return query, args, nil
}
