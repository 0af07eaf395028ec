package hub

import (
	"hash/maphash"
	"sync"
	"time"
)

// maxHeld bounds the events a topic holds while it waits for a missing one;
// beyond it they are dropped and read back from the store.
const maxHeld = 1024

// shard is a share of the topics with local sockets, behind one lock.
//
// Lock order: shard.mu, then socket.mu. A socket never takes a shard lock
// while it holds its own.
type shard struct {
	mu     sync.Mutex
	topics map[string]*topic
}

// topic is the hub's state of one topic with local sockets: who gets it and
// how far its events have been fanned out, in order.
type topic struct {
	name string
	subs map[*socket]struct{}
	// primed is false until a socket has read the topic's seq from the
	// store: until then the hub cannot tell a late event from a gap, and
	// holds what arrives.
	primed bool
	last   int64            // the last seq fanned out
	held   map[int64]*frame // events that arrived ahead of last+1
	lost   bool             // held overflowed: the store has what was dropped

	gap      *time.Timer // fires GapWait after a gap opened: fill it
	gapArmed bool
	filling  bool // a fill is reading the store
	refill   bool // another fill was asked for meanwhile
	failures int  // fills failed in a row, to back off
}

func (h *Hub) shardOf(name string) *shard {
	return &h.shards[maphash.String(h.seed, name)%shardCount]
}

// subscribe makes s get the events of the topic name from now on.
func (h *Hub) subscribe(name string, s *socket) {
	sh := h.shardOf(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.topics[name]
	if t == nil {
		t = &topic{name: name, subs: make(map[*socket]struct{}), held: make(map[int64]*frame)}
		sh.topics[name] = t
	}
	t.subs[s] = struct{}{}
}

// unsubscribe stops the topic's events to s; the topic is forgotten with its
// last socket.
func (h *Hub) unsubscribe(name string, s *socket) {
	sh := h.shardOf(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.topics[name]
	if t == nil {
		return
	}
	delete(t.subs, s)
	if len(t.subs) == 0 {
		if t.gap != nil {
			t.gap.Stop()
		}
		delete(sh.topics, name)
	}
}

// prime tells the hub the topic's seq, as a socket just read it from the
// store after subscribing. The first one to arrive sets where fan-out
// starts; a socket that knows an older seq catches up by itself.
func (h *Hub) prime(name string, seq int64) {
	sh := h.shardOf(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.topics[name]
	if t == nil || t.primed {
		return
	}
	t.primed, t.last = true, seq
	h.drainLocked(t)
	switch {
	case t.lost:
		h.fills.request(name)
	case len(t.held) > 0:
		h.armGapLocked(t)
	}
}

// acceptLocked takes the next stored event of t, from the bus or the store,
// and fans out whatever is now in order. It returns false for an event that
// was already fanned out. An event read from the store (fromStore) is
// offered paced, like every held event that follows on from it: see offer.
func (h *Hub) acceptLocked(t *topic, f *frame, fromStore bool) bool {
	switch {
	case !t.primed:
		t.holdLocked(f)
	case f.seq <= t.last:
		return false
	case f.seq == t.last+1:
		t.last = f.seq
		t.fanoutLocked(f, fromStore)
		h.drainLocked(t)
	default:
		// The missing ones are most likely still in flight: a publisher
		// that committed earlier lost the race to publish.
		t.holdLocked(f)
		h.armGapLocked(t)
	}
	return true
}

func (t *topic) holdLocked(f *frame) {
	if len(t.held) >= maxHeld {
		t.lost = true
		return
	}
	t.held[f.seq] = f
}

// drainLocked fans out the held events that follow on from t.last and drops
// the ones already passed. They are offered paced: there may be up to
// maxHeld of them at once, more than a socket's queue takes.
func (h *Hub) drainLocked(t *topic) {
	for {
		f, ok := t.held[t.last+1]
		if !ok {
			break
		}
		delete(t.held, f.seq)
		t.last = f.seq
		t.fanoutLocked(f, true)
	}
	for seq := range t.held {
		if seq <= t.last {
			delete(t.held, seq)
		}
	}
	if len(t.held) == 0 && t.gap != nil && t.gapArmed {
		t.gap.Stop()
		t.gapArmed = false
	}
}

func (t *topic) fanoutLocked(f *frame, paced bool) {
	for s := range t.subs {
		s.offer(f, paced)
	}
}

// armGapLocked fills t's gap from the store unless the missing events show
// up within GapWait (longer after failed fills).
func (h *Hub) armGapLocked(t *topic) {
	if t.gapArmed || t.filling {
		return
	}
	t.gapArmed = true
	wait := h.opts.GapWait << min(t.failures, 6)
	if t.gap == nil {
		name := t.name
		t.gap = time.AfterFunc(wait, func() { h.fills.request(name) })
		return
	}
	t.gap.Reset(wait)
}
