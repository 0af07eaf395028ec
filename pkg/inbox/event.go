package inbox

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Event types pushed to browsers (API.md, "Real-time").
const (
	EventHello          = "hello"
	EventMessageCreated = "message.created"
	EventMessageStatus  = "message.status"
	// EventMessageUpdated: a stored message's words changed — a missed
	// text's late webhook filled them in (missed.go). Same data as
	// message.created; clients replace the message in place.
	EventMessageUpdated = "message.updated"
	EventThreadRead     = "thread.read"
	EventThreadUnread   = "thread.unread"
	EventThreadClaimed  = "thread.claimed"      // someone is handling the thread
	EventThreadReleased = "thread.released"     // a claim ended: released, replied to, or marked unread
	EventClaimLapsed    = "thread.claim_lapsed" // a claim expired unanswered: the thread is unread again
	EventContactUpdated = "contact.updated"
	EventNumberUpdated  = "number.updated"  // assignees or label changed: sockets re-subscribe
	EventCompanyUpdated = "company.updated" // settings changed (every icon may change)
	EventTyping         = "typing"
	EventResync         = "resync"
)

// Event is a change pushed to browsers. Stored events carry their topic's
// gapless sequence number (Seq >= 1); ephemeral ones (typing) have Seq 0 and
// are never stored. The JSON form is the websocket frame.
type Event struct {
	Topic     string          `json:"topic"`
	Seq       int64           `json:"seq"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"-"`
	// ContactID is the contact the event is about, if any: erasing the
	// contact scrubs the event. Never sent.
	ContactID int64 `json:"-"`
}

// NumberTopic is the topic of a number's events: only its assignees get them.
func NumberTopic(numberID int64) string { return "number:" + strconv.FormatInt(numberID, 10) }

// CompanyTopic is the topic every user of a company gets.
func CompanyTopic(companyID int64) string { return "company:" + strconv.FormatInt(companyID, 10) }

// ParseTopic splits "number:3" into ("number", 3) (kinds: number, company,
// user); ok is false for anything
// that is not a well-formed topic.
func ParseTopic(topic string) (kind string, id int64, ok bool) {
	kind, rest, found := strings.Cut(topic, ":")
	if !found || (kind != "number" && kind != "company" && kind != "user") {
		return "", 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return "", 0, false
	}
	return kind, id, true
}

// Bus moves events between the processes of a deployment. It is a doorbell,
// not the truth: events are stored before they are published, and a process
// that missed some reads them back from the store.
type Bus interface {
	// Publish sends events to every subscriber of every process, in order.
	Publish(ctx context.Context, events ...Event) error
	// Subscribe calls deliver for every published event until ctx ends,
	// reconnecting by itself after a failure. After each reconnection it
	// calls recovered, because events published meanwhile were lost to this
	// process and must be read back from the store. deliver must not block.
	Subscribe(ctx context.Context, deliver func(Event), recovered func()) error
	// Ping reports whether the bus is reachable now.
	Ping(ctx context.Context) error
}

// ErrEventsPruned is returned when events after a resume point are no longer
// all stored (older than the retention window, or the point is ahead of the
// topic): the client must refetch over REST (a "resync").
var ErrEventsPruned = Errorf(KindConflict, "resync", "events after this point are no longer kept; refetch")

// Inbox is a user's view of the threads of their numbers.
type Inbox struct {
	UnreadTotal int      `json:"unread_total"` // threads with unread_count > 0
	Threads     []Thread `json:"threads"`      // unread first, newest first
	// NextCursor continues the listing (GET /api/inbox?cursor=); nil on
	// the last page.
	NextCursor *string `json:"next_cursor"`
}

// Hello is the first frame's data on a websocket: the user, every topic they
// are subscribed to with its current seq, and their inbox, read together in
// one snapshot so that the seqs and the inbox agree.
type Hello struct {
	User   User             `json:"user"`
	Topics map[string]int64 `json:"topics"`
	Inbox  Inbox            `json:"inbox"`
}
