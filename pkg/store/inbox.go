package store

import (
	"context"
	"fmt"
	"strings"

	"smsinbox/pkg/inbox"
)

// InboxThreads reads one run of an inbox page: threads of the given numbers
// in one read state, newest first by (last_message_at, id), after a
// position. Each read state has its index in that order per number
// (threads_inbox_unread, threads_inbox_read), so a page is a short backward
// range read per number wherever it starts.
//
// How the numbers' runs are merged differs by engine (inboxThreadsQuery in
// postgres.go and sqlite.go).
func (q queries) InboxThreads(ctx context.Context, companyID int64, iq inbox.InboxQuery) ([]inbox.Thread, error) {
	if len(iq.NumberIDs) == 0 || iq.Limit <= 0 {
		return []inbox.Thread{}, nil
	}
	query, args, err := q.inboxThreadsQuery(companyID, iq)
	if err != nil {
		return nil, fmt.Errorf("list inbox threads: %w", err)
	}
	if err := q.dialect.prepareInboxPage(ctx, q); err != nil {
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
	return q.dialect.inboxThreadsQuery(q, companyID, iq, cond.String(), args)
}

// inboxOrder is the order of a run of an inbox page.
const inboxOrder = ` ORDER BY t.last_message_at DESC, t.id DESC`
