package inbox

import (
	"context"
	"time"
)

// What the store does for finding and owning threads: the inbox's keyset
// pages, search, and claims.

// FindQueries are the store's reads for the inbox pages, search and claims.
// Every one is scoped to a company and to the numbers it is given.
type FindQueries interface {
	// InboxThreads returns threads of q's numbers in one read state,
	// newest first by (last_message_at, id), after q.After if set.
	InboxThreads(ctx context.Context, companyID int64, q InboxQuery) ([]Thread, error)
	// SearchMessages finds the messages of q's numbers whose text holds
	// every term (each a whole word, the last a prefix): the newest
	// q.Window matches with an id below q.Before (if set), best match
	// first, q.Limit of them from q.Offset.
	SearchMessages(ctx context.Context, companyID int64, q MessageSearch) (MessageHits, error)
	// SearchContacts finds the company's contacts whose name or email
	// words hold every term (as SearchMessages), or whose phone holds
	// digits (if set);
	// with numberID, only contacts with a thread on that number. Best match
	// first, at most limit.
	SearchContacts(ctx context.Context, companyID int64, terms []string, digits string, numberID int64, limit int) ([]Contact, error)
	// NextClaimExpiry is when the next claim of any company expires; nil
	// when no thread is claimed.
	NextClaimExpiry(ctx context.Context) (*time.Time, error)
}

// ClaimWriter changes claims, inside a transaction.
type ClaimWriter interface {
	// ClaimThread gives the thread to userID from at until expires, unless
	// another user's claim is still live at at and takeOver is false: then
	// it changes nothing and reports false.
	ClaimThread(ctx context.Context, threadID, userID int64, at, expires time.Time, takeOver bool) (bool, error)
	// EndClaim ends userID's claim on the thread; with handBack the thread
	// is also unread again for every assignee (no reader). It reports false
	// when userID held no claim on it.
	EndClaim(ctx context.Context, threadID, userID int64, handBack bool) (bool, error)
	// LapseClaims ends up to limit claims that expired at now, each once
	// whatever the number of processes: a claim with no reply by a person
	// since it began leaves its thread unread for every assignee; one that
	// was answered just ends.
	LapseClaims(ctx context.Context, now time.Time, limit int) ([]LapsedClaim, error)
}

// RollupFolder keeps the report's rollups compact.
type RollupFolder interface {
	// FoldRollups folds the message counts appended since the last fold
	// into the rollups, in a transaction of its own; it returns how many
	// it folded.
	FoldRollups(ctx context.Context) (int, error)
}

// InboxQuery asks for threads of the given numbers in one read state.
type InboxQuery struct {
	NumberIDs []int64
	Unread    bool           // threads with unread messages, else the read ones
	Awaiting  bool           // only threads awaiting a reply
	Mine      int64          // only threads claimed by, or last answered by, this user
	After     *InboxPosition // continue after this thread
	Limit     int
}

// InboxPosition is a thread's place in the inbox order, newest first.
type InboxPosition struct {
	At time.Time
	ID int64
}

// MessageSearch is a full-text search of messages.
type MessageSearch struct {
	Terms     []string
	NumberIDs []int64
	Before    int64 // only messages with a smaller id; 0: all
	Window    int   // how many of the newest matches are ranked together
	Offset    int
	Limit     int
}

// MessageHits are a page of a search's ranked window. A hit's Snippet marks
// each match between HighlightStart and HighlightEnd.
type MessageHits struct {
	Hits        []SearchHit
	Window      int   // how many matches the window holds
	WindowMinID int64 // the oldest match of the window
}

// The marks a store puts around the matches in a snippet; the service turns
// them into Highlights.
const (
	HighlightStart = "\x02"
	HighlightEnd   = "\x03"
)

// LapsedClaim is a claim that ended by expiring.
type LapsedClaim struct {
	ThreadID  int64
	CompanyID int64
	UserID    int64 // who held it
	Replied   bool  // a person replied since it began: the thread stays as it is
}
