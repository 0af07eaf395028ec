package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The company feed: the events the host ATS gets, by pulling GET /api/events
// or through outbound webhooks. They are stored events of the topic
// "feed:<company>", written in the same transaction as the change they tell
// of, so the topic's gapless seq is a gapless company-wide seq in commit
// order, and the feed is the durable outbox of the webhooks.

// Feed event types. Their data is the data of the websocket event they
// accompany (message.received and message.sent: that of message.created),
// but for contact.consent and contact.erased.
const (
	FeedMessageReceived = "message.received" // an inbound text was stored
	FeedMessageSent     = "message.sent"     // an outbound text was created (queued or scheduled)
	FeedMessageStatus   = EventMessageStatus
	FeedMessageUpdated  = EventMessageUpdated
	FeedContactConsent  = "contact.consent" // a contact's consent changed
	FeedContactErased   = "contact.erased"  // a contact's personal data was erased
	FeedThreadRead      = EventThreadRead
	FeedThreadUnread    = EventThreadUnread
	FeedThreadClaimed   = EventThreadClaimed
	FeedThreadReleased  = EventThreadReleased
	FeedClaimLapsed     = EventClaimLapsed
)

// FeedTypes are every type of the feed, for validating a webhook's list.
var FeedTypes = []string{FeedMessageReceived, FeedMessageSent, FeedMessageStatus, FeedMessageUpdated,
	FeedContactConsent, FeedContactErased, FeedThreadRead, FeedThreadUnread, FeedThreadClaimed,
	FeedThreadReleased, FeedClaimLapsed}

// topicInterest is a bus that delivers only the topics this process wants
// (the Redis bus of several instances).
type topicInterest interface {
	Want(ctx context.Context, topic string) error
	Unwant(topic string)
}

// FeedTopic is the topic of a company's feed.
func FeedTopic(companyID int64) string { return "feed:" + strconv.FormatInt(companyID, 10) }

// feedCompany returns the company of a feed topic.
func feedCompany(topic string) (int64, bool) {
	rest, ok := strings.CutPrefix(topic, "feed:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// feedTypeOf maps a websocket event to the feed's type, "" when the feed
// does not carry it.
func feedTypeOf(typ string, data any) string {
	switch typ {
	case EventMessageCreated:
		if m := messageOf(data); m != nil && m.Direction == Inbound {
			return FeedMessageReceived
		}
		return FeedMessageSent
	case EventMessageStatus, EventMessageUpdated, EventThreadRead, EventThreadUnread,
		EventThreadClaimed, EventThreadReleased, EventClaimLapsed:
		return typ
	}
	return ""
}

// emit adds an event for a number's topic and its company's feed, when the
// feed carries that type.
func emit(tx Tx, companyID, numberID int64, typ string, data any) error {
	if err := tx.Emit(NumberTopic(numberID), typ, data); err != nil {
		return err
	}
	if ft := feedTypeOf(typ, data); ft != "" && companyID > 0 {
		return tx.Emit(FeedTopic(companyID), ft, data)
	}
	return nil
}

// ConsentEvent is the data of contact.consent.
type ConsentEvent struct {
	ContactID  int64     `json:"contact_id"`
	ExternalID *string   `json:"external_id"`
	Phone      string    `json:"phone"`
	State      Consent   `json:"state"`
	Previous   Consent   `json:"previous"`
	Source     string    `json:"source"`
	EntryID    int64     `json:"entry_id"`
	At         time.Time `json:"at"`
}

// setConsent appends a ledger entry for c and, when it changes c's
// consent, tells the feed.
func setConsent(ctx context.Context, tx Tx, c Contact, ch ConsentChange) (ConsentChange, error) {
	entry, err := tx.SetConsent(ctx, ch)
	if err != nil || ch.From == ch.To {
		return entry, err
	}
	return entry, tx.Emit(FeedTopic(c.CompanyID), FeedContactConsent, ConsentEvent{ContactID: c.ID,
		ExternalID: c.ExternalID, Phone: c.Phone, State: ch.To, Previous: ch.From, Source: entry.Source,
		EntryID: entry.ID, At: entry.CreatedAt})
}

// messageOf finds the message in an event's data.
func messageOf(data any) *Message {
	switch d := data.(type) {
	case map[string]any:
		switch m := d["message"].(type) {
		case Message:
			return &m
		case *Message:
			return m
		}
	case map[string]Message:
		if m, ok := d["message"]; ok {
			return &m
		}
	}
	return nil
}

// EventContact returns the id of the contact an event's data is about, 0
// for none: the store keeps it with the event, so that erasing a contact
// finds the events that name them.
func EventContact(data any) int64 {
	if m := messageOf(data); m != nil && m.ContactID > 0 {
		return m.ContactID
	}
	switch d := data.(type) {
	case map[string]any:
		switch th := d["thread"].(type) {
		case Thread:
			return th.Contact.ID
		case *Thread:
			return th.Contact.ID
		}
	case map[string]Thread:
		return d["thread"].Contact.ID
	case map[string]Contact:
		return d["contact"].ID
	case ClaimEvent:
		return d.Thread.Contact.ID
	case ConsentEvent:
		return d.ContactID
	}
	return 0
}

// FeedEvent is one event of the feed, as GET /api/events and the webhooks
// show it. ID is unique and stable: a delivery repeated after a failure
// carries the same ids, so a receiver dedupes on it.
type FeedEvent struct {
	ID   string          `json:"id"`
	Seq  int64           `json:"seq"`
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

func feedEventOf(companyID int64, e Event) FeedEvent {
	return FeedEvent{ID: fmt.Sprintf("evt_%d_%d", companyID, e.Seq), Seq: e.Seq, Type: e.Type,
		At: e.CreatedAt.UTC(), Data: e.Data}
}

// FeedPage is an answer of GET /api/events: the events after the asked seq,
// and Last, the seq to ask after next time (the last event's, or the asked
// one when there is none). Head is the company's latest seq when it was
// read: a reader that got Last == Head has missed nothing.
type FeedPage struct {
	Events []FeedEvent `json:"events"`
	Last   int64       `json:"last_seq"`
	Head   int64       `json:"head_seq"`
}

// ErrFeedGone: the events after the asked seq are no longer all kept.
var ErrFeedGone = Errorf(KindGone, "resync", "events after this seq are no longer kept; read the current state over the API and continue from head_seq")

// FeedRequest asks for the feed after a seq, waiting up to Wait for one.
type FeedRequest struct {
	After int64
	Limit int
	Wait  time.Duration
}

// MaxFeedWait is the longest a GET /api/events waits.
const MaxFeedWait = 30 * time.Second

// Feed returns the caller's company's events after r.After, waiting up to
// r.Wait for the first when there is none yet. Admins only (and their API
// tokens): the feed is the whole company's.
func (s *Service) Feed(ctx context.Context, caller User, r FeedRequest) (FeedPage, error) {
	if err := requireAdmin(caller); err != nil {
		return FeedPage{}, err
	}
	if r.After < 0 {
		return FeedPage{}, Invalid("invalid_after", "after must be a seq, 0 or more")
	}
	if r.Limit <= 0 || r.Limit > 1000 {
		r.Limit = 100
	}
	r.Wait = min(max(r.Wait, 0), MaxFeedWait)
	topic := FeedTopic(caller.CompanyID)
	deadline := time.Now().Add(r.Wait)
	if in, ok := s.bus.(topicInterest); ok && r.Wait > 0 {
		// A bus that carries only wanted topics carries the feed's while a
		// long poll waits for it. A Want that fails (the bus is down) still
		// counts; the store is read again every second regardless.
		_ = in.Want(ctx, topic)
		defer in.Unwant(topic)
	}
	for {
		// Subscribe before reading: an event stored after the read rings.
		ring, stop := s.feedBell.listen(caller.CompanyID)
		page, err := s.readFeed(ctx, caller.CompanyID, topic, r.After, r.Limit)
		if err != nil || len(page.Events) > 0 || r.Wait == 0 {
			stop()
			return page, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			stop()
			return page, nil
		}
		// Another instance's events ring only through a shared bus: without
		// one, the store is read again every second.
		t := time.NewTimer(min(left, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			stop()
			return page, nil
		case <-s.feedBell.closing():
			// The server is shutting down: answer now, the reader asks again
			// (another instance).
			t.Stop()
			stop()
			return page, nil
		case <-ring:
		case <-t.C:
		}
		t.Stop()
		stop()
	}
}

func (s *Service) readFeed(ctx context.Context, companyID int64, topic string, after int64, limit int) (FeedPage, error) {
	page := FeedPage{Events: []FeedEvent{}, Last: after}
	err := s.store.Snapshot(ctx, func(q Queries) error {
		seqs, err := q.TopicSeqs(ctx, []string{topic})
		if err != nil {
			return err
		}
		page.Head = seqs[topic]
		if after > page.Head {
			return Invalid("invalid_after", "after %d is past the latest seq %d", after, page.Head)
		}
		events, err := q.EventsAfter(ctx, topic, after, limit)
		if err != nil {
			if ErrorKind(err) == KindConflict {
				return ErrFeedGone
			}
			return err
		}
		for _, e := range events {
			page.Events = append(page.Events, feedEventOf(companyID, e))
			page.Last = e.Seq
		}
		return nil
	})
	return page, err
}

// bell rings the listeners of a company when its feed has new events.
type bell struct {
	mu      sync.Mutex
	waiters map[int64]map[chan struct{}]struct{}
	closed  chan struct{} // closed when waits must end (shutdown)
}

func (b *bell) closing() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed == nil {
		b.closed = make(chan struct{})
	}
	return b.closed
}

// EndFeedWaits answers every long poll of GET /api/events at once, and
// every later one without waiting: the server is shutting down.
func (s *Service) EndFeedWaits() {
	s.feedBell.closing() // made, if it was not
	s.feedBell.mu.Lock()
	defer s.feedBell.mu.Unlock()
	select {
	case <-s.feedBell.closed:
	default:
		close(s.feedBell.closed)
	}
}

func (b *bell) listen(companyID int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.waiters == nil {
		b.waiters = map[int64]map[chan struct{}]struct{}{}
	}
	if b.waiters[companyID] == nil {
		b.waiters[companyID] = map[chan struct{}]struct{}{}
	}
	b.waiters[companyID][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.waiters[companyID], ch)
		if len(b.waiters[companyID]) == 0 {
			delete(b.waiters, companyID)
		}
		b.mu.Unlock()
	}
}

func (b *bell) ring(companyID int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.waiters[companyID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// ringAll rings every listener: after the bus lost events, any company may
// have new ones.
func (b *bell) ringAll() {
	b.mu.Lock()
	ids := make([]int64, 0, len(b.waiters))
	for id := range b.waiters {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	for _, id := range ids {
		b.ring(id)
	}
}

// RunFeed rings the feed's long polls and wakes the webhook deliveries for
// every feed event published on the bus, by this instance or another,
// until ctx ends.
func (s *Service) RunFeed(ctx context.Context) error {
	return s.bus.Subscribe(ctx, func(e Event) {
		if id, ok := feedCompany(e.Topic); ok {
			s.feedBell.ring(id)
			s.wakeWebhooks()
		}
	}, func() {
		s.feedBell.ringAll()
		s.wakeWebhooks()
	})
}
