package hub

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// socket is one websocket of one user.
//
// Goroutines: the reader lives as long as the connection; the hub's writers
// take the socket's frames while it has some queued (write.go), and its
// send buffer's drainer runs only while the client is slower than them;
// the sync goroutine runs only while it has jobs (hello, resume, catch-up,
// topic changes), which read the store.
type socket struct {
	h       *Hub
	user    inbox.User
	auth    inbox.Auth // user and the credential the socket was opened with
	company string     // the user's company topic
	ws      *websocket.Conn
	out     *sendBuffer // what ws writes to
	// ctx is the connection's lifetime: store reads for the socket end when
	// it closes. It is kept here because that work is started from the
	// bus's delivery callback, which has no context to pass.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	helloSent bool
	// topics are the topics the socket may get now, each with its
	// position: the permission check of both live and replayed events.
	topics map[string]*sub
	// registered are the topics the hub delivers to this socket.
	registered map[string]bool
	// wanted are the topics this socket asked the bus for (Interest);
	// nil once the socket closed.
	wanted map[string]bool
	// early are resume points that arrived before hello was sent.
	early map[string]int64
	// memberSeq is the seq of the company topic that the topic set is up to
	// date with: older number.updated events, replayed, change nothing.
	memberSeq int64
	queue     [][]byte // frames waiting for the writer
	backlog   int      // frames queued or being written
	writing   bool
	room      chan struct{} // closed when the backlog falls to a quarter of QueueSize
	jobs      []job
	syncing   bool
	pinger    *time.Timer

	// Reader-only state: only the reader goroutine touches it.
	tokens   float64
	tokensAt time.Time
	typedAt  map[int64]time.Time
	threads  map[int64]string
}

// sub is a socket's position in one topic.
type sub struct {
	// seq's next is the next seq to send. It is paused — live frames are
	// held — while the snapshot is not read yet or a replay from the store
	// is under way; past a quarter of QueueSize held frames are dropped:
	// they are in the store, and the replay reads on until it has them.
	seq  sequence
	base int64 // the seq of the snapshot the client was given (hello or topics)
	// resuming: the client asked for the events after resumeAt.
	resuming bool
	resumeAt int64
	queued   bool // a catch-up job is queued
}

func newSocket(h *Hub, ws *websocket.Conn, out *sendBuffer, a inbox.Auth) *socket {
	ctx, cancel := context.WithCancel(context.Background())
	u := a.User
	s := &socket{
		h:          h,
		user:       u,
		auth:       a,
		company:    inbox.CompanyTopic(u.CompanyID),
		ws:         ws,
		out:        out,
		ctx:        ctx,
		cancel:     cancel,
		topics:     make(map[string]*sub),
		registered: make(map[string]bool),
		wanted:     make(map[string]bool),
		tokens:     clientBurst,
		tokensAt:   time.Now(),
	}
	out.setDrained(s.drained)
	return s
}

// start subscribes to the company topic before the hello snapshot is read,
// so that no assignment change committed after it is missed, and queues
// the hello.
func (s *socket) start() {
	s.mu.Lock()
	s.topics[s.company] = s.newSub()
	s.registered[s.company] = true
	s.mu.Unlock()
	s.h.subscribe(s.company, s)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.queueJobLocked(job{kind: jobHello})
	s.pinger = time.AfterFunc(s.h.opts.PingInterval, s.ping)
}

// want asks a bus with Interest for topic's events, once per socket and
// topic, before the topic's seq is read from the store.
func (s *socket) want(topic string) {
	in := s.h.interest
	if in == nil {
		return
	}
	s.mu.Lock()
	done := s.wanted == nil || s.wanted[topic]
	s.mu.Unlock()
	if done {
		return
	}
	if err := in.Want(s.ctx, topic); err != nil && s.ctx.Err() == nil {
		s.h.log.Debug("hub: subscribe to a topic on the bus", "topic", topic, "err", err)
	}
	s.mu.Lock()
	keep := s.wanted != nil && !s.wanted[topic]
	if keep {
		s.wanted[topic] = true
	}
	s.mu.Unlock()
	if !keep {
		in.Unwant(topic) // closed meanwhile: teardown has given up the rest
	}
}

// unwant gives up what want asked for.
func (s *socket) unwant(topic string) {
	in := s.h.interest
	if in == nil {
		return
	}
	s.mu.Lock()
	had := s.wanted != nil && s.wanted[topic]
	if had {
		delete(s.wanted, topic)
	}
	s.mu.Unlock()
	if had {
		in.Unwant(topic)
	}
}

// offer is the hub's fan-out of the next stored event of a topic. It runs
// under the topic's shard lock: it must not block.
//
// A paced frame is one of many that may come at once (a topic's catch-up
// from the store after a bus outage or a gap, or the events held while it
// ran): more than a socket's queue takes, however fast its client reads. A
// socket whose queue is more than paceAt full does not queue it; it holds it
// and catches up from the store by itself, a page at a time as its client
// reads (catchUp waits for room before each page). So a catch-up never
// closes a socket that keeps reading; a live event that finds the queue
// full still does (StatusTooSlow).
func (s *socket) offer(f *frame, paced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	sub := s.topics[f.topic]
	switch {
	case sub == nil:
		// Unassigned a moment ago; the hub forgets it soon.
	case paced && s.backlog >= s.h.paceAt && sub.seq.follows(f):
		sub.seq.pause()
		sub.seq.hold(f)
		s.catchUpLocked(f.topic, sub)
	default:
		switch sub.seq.place(f) {
		case placePassed:
			s.takeLocked(f)
		case placeGap:
			// This socket missed some (it started from an older snapshot
			// than the hub): read the rest from the store.
			sub.seq.pause()
			s.catchUpLocked(f.topic, sub)
		}
	}
}

// relay is the hub's fan-out of an ephemeral frame (typing): no seq, no
// order, never to the typing user's own sockets.
func (s *socket) relay(f *frame) {
	if f.typer != 0 && f.typer == s.user.ID {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A topic just added is confirmed (next > 0) by its topics frame first.
	if sub := s.topics[f.topic]; s.closed || !s.helloSent || sub == nil || sub.seq.next == 0 || f.b == nil {
		return
	}
	s.enqueueLocked(f.b)
}

// takeLocked sends f, the event its sub's sequence just passed, and applies
// what it changes.
func (s *socket) takeLocked(f *frame) {
	if b := f.bytesFor(s.user); b != nil {
		s.enqueueLocked(b)
	}
	if f.assign != nil && f.topic == s.company && f.seq > s.memberSeq {
		s.memberSeq = f.seq
		s.assignLocked(f.assign)
	}
}

// newSub is a topic the socket is to get, its place not known yet.
func (s *socket) newSub() *sub { return &sub{seq: newSequence(s.h.quarter)} }
