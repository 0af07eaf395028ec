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
	// seq is paused until a socket has read the topic's seq from the
	// store (primed): until then the hub cannot tell a late event from a
	// gap, and holds what arrives. Its next is the next seq to fan out.
	seq sequence

	gap      *time.Timer // fires GapWait after a gap opened: fill it
	gapArmed bool
	filling  bool // a fill is reading the store
	refill   bool // another fill was asked for meanwhile
	failures int  // fills failed in a row, to back off
}

// primed reports whether the hub knows where the topic's fan-out stands.
func (t *topic) primed() bool { return !t.seq.paused }

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
		t = &topic{name: name, subs: make(map[*socket]struct{}), seq: newSequence(maxHeld)}
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
	if t == nil || t.primed() {
		return
	}
	t.seq.moveTo(seq)
	t.seq.unpause()
	h.drainLocked(t)
	switch {
	case t.seq.lost:
		h.fills.request(name)
	case t.seq.missing():
		h.armGapLocked(t)
	}
}

// acceptLocked takes the next stored event of t, from the bus or the store,
// and fans out whatever is now in order. It returns false for an event that
// was already fanned out. An event read from the store (fromStore) is
// offered paced, like every held event that follows on from it: see offer.
func (h *Hub) acceptLocked(t *topic, f *frame, fromStore bool) bool {
	switch t.seq.place(f) {
	case placeStale:
		return false
	case placePassed:
		t.fanoutLocked(f, fromStore)
		h.drainLocked(t)
	case placeGap:
		// The missing ones are most likely still in flight: a publisher
		// that committed earlier lost the race to publish.
		h.armGapLocked(t)
	}
	return true
}

// drainLocked fans out the held events that follow on from the last one
// fanned out. They are offered paced: there may be up to maxHeld of them at
// once, more than a socket's queue takes.
func (h *Hub) drainLocked(t *topic) {
	t.seq.release(func(f *frame) { t.fanoutLocked(f, true) })
	if !t.seq.missing() && t.gap != nil && t.gapArmed {
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
