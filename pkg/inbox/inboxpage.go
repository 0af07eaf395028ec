package inbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"
)

// InboxFilter narrows the inbox.
type InboxFilter string

// The inbox filters.
const (
	FilterAll      InboxFilter = "all"      // every thread
	FilterUnread   InboxFilter = "unread"   // threads with unread messages
	FilterAwaiting InboxFilter = "awaiting" // the contact's latest message is inbound, unanswered
	FilterMine     InboxFilter = "mine"     // claimed by the caller, or last answered by the caller
)

// InboxRequest asks for one page of the caller's inbox.
type InboxRequest struct {
	Filter   InboxFilter // default all
	NumberID int64       // only this number's threads (one the caller is assigned to)
	Limit    int         // default 200, at most 500
	Cursor   string      // the NextCursor of the previous page
}

const (
	inboxDefaultLimit = 200 // what GET /api/inbox answered before it had pages
	inboxMaxLimit     = 500
)

// Inbox returns the first page of the caller's inbox, unread first, then
// newest first.
func (s *Service) Inbox(ctx context.Context, caller User) (Inbox, error) {
	return s.InboxPage(ctx, caller, InboxRequest{})
}

// InboxPage returns one page of the caller's inbox: the threads of the
// caller's numbers (or of one of them) that the filter selects, unread first,
// then newest first, with the cursor of the next page. UnreadTotal counts the
// unread threads of all the caller's numbers, whatever the filter: it is the
// bell.
func (s *Service) InboxPage(ctx context.Context, caller User, req InboxRequest) (Inbox, error) {
	numbers, err := s.store.UserNumbers(ctx, caller.ID)
	if err != nil {
		return Inbox{}, err
	}
	return inboxOf(ctx, s.store, caller, numbers, req)
}

// inboxOf reads one page of the inbox of u, assigned to numbers.
func inboxOf(ctx context.Context, q Queries, u User, numbers []Number, req InboxRequest) (Inbox, error) {
	mine := numberIDs(numbers)
	p, err := req.plan(u, mine)
	if err != nil {
		return Inbox{}, err
	}
	in := Inbox{Threads: []Thread{}}
	if in.UnreadTotal, err = q.UnreadThreads(ctx, u.CompanyID, mine); err != nil {
		return Inbox{}, err
	}
	// One thread more than the page tells whether there is a next page.
	// The unread threads come first; the read ones follow where they end.
	want := p.limit + 1
	var states []bool // the read state each thread was read in
	for _, unread := range p.states() {
		if len(in.Threads) >= want {
			break
		}
		sq := p.query
		sq.Unread, sq.Limit = unread, want-len(in.Threads)
		if p.after != nil && p.after.Unread == unread {
			sq.After = &InboxPosition{At: p.after.At, ID: p.after.ID}
		}
		threads, err := q.InboxThreads(ctx, u.CompanyID, sq)
		if err != nil {
			return Inbox{}, err
		}
		for range threads {
			states = append(states, unread)
		}
		in.Threads = append(in.Threads, threads...)
	}
	if len(in.Threads) > p.limit {
		in.Threads = in.Threads[:p.limit]
		last := in.Threads[p.limit-1]
		c := inboxCursor{Filter: p.filter, NumberID: req.NumberID, Unread: states[p.limit-1], ID: last.ID}
		if last.LastMessageAt != nil {
			c.At = last.LastMessageAt.UTC()
		}
		next := c.encode()
		in.NextCursor = &next
	}
	return in, nil
}

// inboxPlan is a checked request: the store query common to every read
// state, where to start, and how many.
type inboxPlan struct {
	filter InboxFilter
	query  InboxQuery
	after  *inboxCursor
	limit  int
}

// states lists the read states the plan reads, in the inbox's order.
func (p inboxPlan) states() []bool {
	switch {
	case p.filter == FilterUnread:
		return []bool{true}
	case p.after != nil && !p.after.Unread:
		return []bool{false} // the unread ones are behind
	}
	return []bool{true, false}
}

// plan checks a request against the caller's numbers.
func (req InboxRequest) plan(u User, numbers []int64) (inboxPlan, error) {
	p := inboxPlan{filter: req.Filter, limit: req.Limit, query: InboxQuery{NumberIDs: numbers}}
	switch p.filter {
	case "":
		p.filter = FilterAll
	case FilterAll, FilterUnread:
	case FilterAwaiting:
		p.query.Awaiting = true
	case FilterMine:
		p.query.Mine = u.ID
	default:
		return p, Errorf(KindMalformed, "invalid_filter", "filter must be unread, awaiting, mine or all, not %q", req.Filter)
	}
	switch {
	case p.limit <= 0:
		p.limit = inboxDefaultLimit
	case p.limit > inboxMaxLimit:
		p.limit = inboxMaxLimit
	}
	if req.NumberID != 0 {
		if !slices.Contains(numbers, req.NumberID) {
			return p, NotFound("number")
		}
		p.query.NumberIDs = []int64{req.NumberID}
	}
	if req.Cursor != "" {
		c, err := decodeInboxCursor(req.Cursor)
		if err != nil {
			return p, err
		}
		if c.Filter != p.filter || c.NumberID != req.NumberID {
			return p, Errorf(KindMalformed, "invalid_cursor", "the cursor belongs to another filter or number; start again without it")
		}
		p.after = &c
	}
	return p, nil
}

// inboxCursor is what an inbox next_cursor carries: the last thread of the
// page (its read state and place), and the listing it belongs to.
type inboxCursor struct {
	Filter   InboxFilter `json:"f"`
	NumberID int64       `json:"n,omitempty"`
	Unread   bool        `json:"u,omitempty"`
	At       time.Time   `json:"t"`
	ID       int64       `json:"i"`
}

// encode makes the cursor opaque: base64url of its JSON. A forged cursor can
// only move within the caller's own threads.
func (c inboxCursor) encode() string {
	b, _ := json.Marshal(c) // strings, times and ints always encode
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeInboxCursor(s string) (inboxCursor, error) {
	var c inboxCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID <= 0 || c.Filter == "" {
		return inboxCursor{}, Errorf(KindMalformed, "invalid_cursor", "the cursor is not one this inbox gave out; start again without it")
	}
	return c, nil
}
