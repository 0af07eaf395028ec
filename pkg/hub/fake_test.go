package hub

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"smsinbox/pkg/inbox"
)

// fakeStore is an in-memory Source: gapless seqs per topic, assignments,
// threads, and pruning.
type fakeStore struct {
	mu       sync.Mutex
	company  int64
	users    map[int64]inbox.User
	numbers  map[int64][]int64 // number id → assignee ids
	threads  map[int64]int64   // thread id → number id
	events   map[string][]inbox.Event
	prunedTo map[string]int64 // events with seq ≤ this are gone
	// onHello runs once, inside the next Hello right after its snapshot, as
	// if other transactions committed while the hello was on its way.
	onHello func()

	eventsAfterCalls atomic.Int64
	topicSeqsCalls   atomic.Int64
	// onSeqs runs once, inside the next TopicSeqs, before it reads.
	onSeqs func()
	// down makes every read fail, as if the database were unreachable.
	down atomic.Bool
	// gate, when set, holds EventsAfter until it is closed.
	gate atomic.Pointer[gate]
	// ended are the users and sessions whose credentials LiveAuths finds
	// gone.
	ended      map[string]bool
	liveChecks atomic.Int64
}

// gate pauses EventsAfter: entered is closed when a read waits at it.
type gate struct {
	entered, release chan struct{}
	once             sync.Once
}

// pauseReads makes the next EventsAfter calls wait until release is called;
// it returns a channel closed once one is waiting.
func (f *fakeStore) pauseReads() (entered <-chan struct{}, release func()) {
	g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	f.gate.Store(g)
	return g.entered, func() {
		f.gate.Store(nil)
		close(g.release)
	}
}

var errStoreDown = errors.New("store is down")

func newFakeStore(company int64) *fakeStore {
	return &fakeStore{
		company:  company,
		users:    make(map[int64]inbox.User),
		numbers:  make(map[int64][]int64),
		threads:  make(map[int64]int64),
		events:   make(map[string][]inbox.Event),
		prunedTo: make(map[string]int64),
		ended:    make(map[string]bool),
	}
}

// end makes LiveAuths find the credential key ("user:1", "session:s") gone.
func (f *fakeStore) end(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended[key] = true
}

func (f *fakeStore) LiveAuths(ctx context.Context, auths []inbox.Auth) ([]bool, error) {
	f.liveChecks.Add(1)
	if f.down.Load() {
		return nil, errStoreDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	live := make([]bool, len(auths))
	for i, a := range auths {
		live[i] = !f.ended["user:"+strconv.FormatInt(a.User.ID, 10)] && !f.ended["session:"+a.Session]
	}
	return live, nil
}

func (f *fakeStore) Hello(ctx context.Context, u inbox.User) (inbox.Hello, error) {
	if f.down.Load() {
		return inbox.Hello{}, errStoreDown
	}
	f.mu.Lock()
	company := inbox.CompanyTopic(f.company)
	topics := map[string]int64{company: int64(len(f.events[company]))}
	for id, users := range f.numbers {
		for _, uid := range users {
			if uid == u.ID {
				topic := inbox.NumberTopic(id)
				topics[topic] = int64(len(f.events[topic]))
			}
		}
	}
	hook := f.onHello
	f.onHello = nil
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return inbox.Hello{User: u, Topics: topics, Inbox: inbox.Inbox{Threads: []inbox.Thread{}}}, nil
}

func (f *fakeStore) TopicSeqs(ctx context.Context, topics []string) (map[string]int64, error) {
	f.topicSeqsCalls.Add(1)
	f.mu.Lock()
	hook := f.onSeqs
	f.onSeqs = nil
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := make(map[string]int64, len(topics))
	for _, t := range topics {
		seqs[t] = int64(len(f.events[t]))
	}
	return seqs, nil
}

func (f *fakeStore) EventsAfter(ctx context.Context, topic string, after int64, limit int) ([]inbox.Event, error) {
	f.eventsAfterCalls.Add(1)
	if g := f.gate.Load(); g != nil {
		g.once.Do(func() { close(g.entered) })
		<-g.release
	}
	if f.down.Load() {
		return nil, errStoreDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	all := f.events[topic]
	if after > int64(len(all)) || after < f.prunedTo[topic] {
		return nil, inbox.ErrEventsPruned
	}
	end := min(int(after)+limit, len(all))
	return append([]inbox.Event(nil), all[after:end]...), nil
}

func (f *fakeStore) ThreadTopic(ctx context.Context, u inbox.User, threadID int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	number, ok := f.threads[threadID]
	if !ok {
		return "", inbox.NotFound("thread")
	}
	for _, uid := range f.numbers[number] {
		if uid == u.ID {
			return inbox.NumberTopic(number), nil
		}
	}
	return "", inbox.NotFound("thread")
}

// duringNextHello sets the onHello hook.
func (f *fakeStore) duringNextHello(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onHello = fn
}

// append stores an event with its topic's next seq, as a commit would.
func (f *fakeStore) append(topic, typ string, data any) inbox.Event {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := inbox.Event{Topic: topic, Seq: int64(len(f.events[topic])) + 1, Type: typ, Data: b, CreatedAt: time.Now()}
	f.events[topic] = append(f.events[topic], e)
	return e
}

// assign sets a number's assignees and stores the number.updated event.
func (f *fakeStore) assign(number int64, userIDs ...int64) inbox.Event {
	f.mu.Lock()
	f.numbers[number] = userIDs
	n := inbox.Number{ID: number, E164: "+14155550100", Label: "Jobs"}
	for _, id := range userIDs {
		n.Assignees = append(n.Assignees, f.users[id])
	}
	f.mu.Unlock()
	return f.append(inbox.CompanyTopic(f.company), inbox.EventNumberUpdated, map[string]any{"number": n})
}

// typingSeen counts stored typing events: there must never be any.
func (f *fakeStore) typingSeen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, events := range f.events {
		for _, e := range events {
			if e.Type == inbox.EventTyping {
				n++
			}
		}
	}
	return n
}

// prune forgets the events of topic up to seq, as retention would.
func (f *fakeStore) prune(topic string, seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prunedTo[topic] = seq
}

// fakeBus is an in-process inbox.Bus: Publish calls every subscriber's
// deliver on the caller's goroutine. While down, it delivers nothing.
type fakeBus struct {
	mu         sync.Mutex
	subs       map[*busSub]bool
	subscribed chan struct{}
	once       sync.Once
	down       atomic.Bool
	// wants counts the Want calls not undone, per topic (Interest);
	// negative means an Unwant without its Want.
	wants map[string]int
}

func (b *fakeBus) Want(ctx context.Context, topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wants[topic]++
	return nil
}

func (b *fakeBus) Unwant(topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wants[topic]--
	if b.wants[topic] == 0 {
		delete(b.wants, topic)
	}
}

// wanted returns a copy of the Want counts.
func (b *fakeBus) wanted() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.wants)
}

type busSub struct {
	deliver   func(inbox.Event)
	recovered func()
}

func newFakeBus() *fakeBus {
	return &fakeBus{subs: make(map[*busSub]bool), subscribed: make(chan struct{}), wants: make(map[string]int)}
}

func (b *fakeBus) Publish(ctx context.Context, events ...inbox.Event) error {
	if b.down.Load() {
		return nil
	}
	b.mu.Lock()
	subs := make([]*busSub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, e := range events {
		for _, s := range subs {
			s.deliver(e)
		}
	}
	return nil
}

func (b *fakeBus) Subscribe(ctx context.Context, deliver func(inbox.Event), recovered func()) error {
	s := &busSub{deliver: deliver, recovered: recovered}
	b.mu.Lock()
	b.subs[s] = true
	b.mu.Unlock()
	b.once.Do(func() { close(b.subscribed) })
	<-ctx.Done()
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
	return ctx.Err()
}

func (b *fakeBus) Ping(ctx context.Context) error { return nil }

// recover tells every subscriber that the bus is back.
func (b *fakeBus) recover() {
	b.mu.Lock()
	subs := make([]*busSub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.recovered()
	}
}

var _ inbox.Bus = (*fakeBus)(nil)
var _ Source = (*fakeStore)(nil)

var _ Interest = (*fakeBus)(nil)
