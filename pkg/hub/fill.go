package hub

import (
	"context"
	"errors"
	"slices"
	"sync"

	"smsinbox/pkg/inbox"
)

const (
	// fillWorkers is how many topics may be read from the store at once
	// after a gap or a bus outage.
	fillWorkers = 4
	// fillPage is how many events a fill reads per query.
	fillPage = 256
)

// fillQueue is the set of topics waiting for a fill, each at most once.
type fillQueue struct {
	mu      sync.Mutex
	pending []string
	queued  map[string]bool
	wake    chan struct{}
}

func newFillQueue() fillQueue {
	return fillQueue{queued: make(map[string]bool), wake: make(chan struct{}, 1)}
}

// request asks for the topic's missing events to be read from the store.
func (q *fillQueue) request(name string) {
	q.mu.Lock()
	if !q.queued[name] {
		q.queued[name] = true
		q.pending = append(q.pending, name)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *fillQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next pops a topic to fill, waking another worker if more are waiting.
func (q *fillQueue) next() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return "", false
	}
	name := q.pending[0]
	q.pending = slices.Delete(q.pending, 0, 1)
	delete(q.queued, name)
	if len(q.pending) > 0 {
		q.signal()
	}
	return name, true
}

// fillLoop fills topics until ctx ends.
func (h *Hub) fillLoop(ctx context.Context) {
	for {
		name, ok := h.fills.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-h.fills.wake:
				continue
			}
		}
		h.fill(ctx, name)
	}
}

// refillAll is the bus's recovered callback: events published while it was
// away are lost to this process, so every primed topic reads what it missed.
func (h *Hub) refillAll() {
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		var names []string
		for name, t := range sh.topics {
			if t.primed() {
				names = append(names, name)
			}
		}
		sh.mu.Unlock()
		for _, name := range names {
			h.fills.request(name)
		}
	}
}

// fill reads the events of a topic after the last one fanned out, in pages,
// and fans them out in order with whatever was held. One fill serves every
// local socket of the topic.
func (h *Hub) fill(ctx context.Context, name string) {
	sh := h.shardOf(name)
	sh.mu.Lock()
	t := sh.topics[name]
	if t == nil || !t.primed() {
		sh.mu.Unlock()
		return
	}
	if t.filling {
		t.refill = true
		sh.mu.Unlock()
		return
	}
	t.filling, t.gapArmed = true, false
	sh.mu.Unlock()

	for {
		sh.mu.Lock()
		if sh.topics[name] != t {
			sh.mu.Unlock()
			return // its last socket left
		}
		after := t.seq.readFrom()
		sh.mu.Unlock()

		events, err := h.src.EventsAfter(ctx, name, after, fillPage)
		frames := make([]*frame, 0, len(events))
		for _, e := range events {
			f, ferr := newFrame(e)
			if ferr != nil {
				h.log.Error("hub: bad stored event", "topic", name, "seq", e.Seq, "err", ferr)
			}
			frames = append(frames, f)
		}

		sh.mu.Lock()
		if sh.topics[name] != t {
			sh.mu.Unlock()
			return
		}
		more, failed := false, false
		switch {
		case errors.Is(err, inbox.ErrEventsPruned):
			// The missing events are gone: move on to what is held. Each
			// socket then sees the gap, finds it pruned too and gets resync.
			fillPruned.Inc()
			t.seq.skipToHeld()
			h.drainLocked(t)
		case err != nil:
			fillError.Inc()
			t.failures++
			failed = true
			if ctx.Err() == nil {
				h.storeFaults.Failed(err, "while", "filling a topic's gap", "topic", name, "after", after)
			}
		default:
			t.failures = 0
			for _, f := range frames {
				h.acceptLocked(t, f, true)
			}
			// A full page may have more behind it; an overflow of held
			// events since the read began dropped some the read may miss.
			more = len(events) == fillPage || t.seq.lost
			if !more {
				fillOK.Inc()
			}
		}
		if more {
			sh.mu.Unlock()
			continue
		}
		t.filling = false
		if (t.seq.missing() || failed) && ctx.Err() == nil {
			// Still a gap (its events may have been committed after the
			// read), or the read failed: try again later.
			h.armGapLocked(t)
		}
		if t.refill {
			t.refill = false
			h.fills.request(name)
		}
		sh.mu.Unlock()
		return
	}
}
