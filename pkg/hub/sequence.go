package hub

import "slices"

// sequence puts the events of one topic in order for one reader — the hub's
// topic, which fans them out, and each socket's sub, which sends them. It
// knows the next seq to pass on and holds the events that come ahead of it,
// up to limit; beyond that it drops them and remembers it did (lost), since
// the store has them. While paused it holds everything: the reader's place
// is being read from the store (a snapshot, a replay).
//
// It is bookkeeping only, with no lock and no I/O: its owner's lock guards
// it, and the owner acts on its answers (send, read the store, wait).
type sequence struct {
	next   int64 // the next seq to pass on
	paused bool
	held   []*frame // by seq, each seq once
	lost   bool     // held overflowed since the store was last read
	limit  int
}

// newSequence starts paused: nothing passes until the reader's place is
// known (moveTo) and it goes on (unpause, resume).
func newSequence(limit int) sequence {
	return sequence{paused: true, limit: max(1, limit)}
}

// placement is what place did with an event.
type placement int

const (
	placePassed placement = iota // it was the next one: the owner passes it on
	placeStale                   // passed on already
	placeHeld                    // held (or dropped and lost) while paused
	placeGap                     // held: events before it are missing
)

// place takes an event as it arrives.
func (q *sequence) place(f *frame) placement {
	switch {
	case q.paused:
		q.hold(f)
		return placeHeld
	case f.seq < q.next:
		return placeStale
	case f.seq == q.next:
		q.next++
		return placePassed
	default:
		q.hold(f)
		return placeGap
	}
}

// follows reports whether f would pass right now.
func (q *sequence) follows(f *frame) bool { return !q.paused && f.seq == q.next }

// take passes f if it is the next one, paused or not: for events read from
// the store, which come in order.
func (q *sequence) take(f *frame) bool {
	if f.seq != q.next {
		return false
	}
	q.next++
	return true
}

// hold keeps f for later, unless the sequence holds limit events already:
// then f is dropped and the sequence is lost until the store is read.
func (q *sequence) hold(f *frame) {
	i, found := slices.BinarySearchFunc(q.held, f.seq, func(h *frame, seq int64) int {
		switch {
		case h.seq < seq:
			return -1
		case h.seq > seq:
			return 1
		}
		return 0
	})
	switch {
	case found:
	case len(q.held) >= q.limit:
		q.lost = true
	default:
		q.held = slices.Insert(q.held, i, f)
	}
}

// release passes on the held events that follow on from next, in order,
// and drops those passed on already. It leaves held what is still ahead.
func (q *sequence) release(pass func(*frame)) {
	i := 0
	for ; i < len(q.held) && q.held[i].seq <= q.next; i++ {
		if f := q.held[i]; f.seq == q.next {
			q.next++
			pass(f)
		}
	}
	q.held = slices.Delete(q.held, 0, i)
}

// resume unpauses the sequence if nothing is missing: nothing held ahead,
// nothing lost. Otherwise it stays paused and the owner reads the store.
func (q *sequence) resume() bool {
	if q.missing() {
		return false
	}
	q.held, q.paused = nil, false
	return true
}

// missing reports whether events before the held ones are missing, or some
// were dropped.
func (q *sequence) missing() bool { return len(q.held) > 0 || q.lost }

// pause holds everything from now on, until resume or unpause.
func (q *sequence) pause() { q.paused = true }

// unpause lets events pass again whatever is held: ahead of a gap, they
// wait for it to be filled.
func (q *sequence) unpause() { q.paused = false }

// moveTo sets the reader's place: seq is the last event it has.
func (q *sequence) moveTo(seq int64) { q.next = seq + 1 }

// readFrom is where a read of the store starts: after the seq it returns.
// What was lost is in that read (or in the pages after it).
func (q *sequence) readFrom() int64 {
	q.lost = false
	return q.next - 1
}

// skipToHeld gives up the events before the first held one: they are gone
// from the store (pruned).
func (q *sequence) skipToHeld() {
	if len(q.held) > 0 {
		q.next = q.held[0].seq
	}
}

// markLost says events were dropped before the sequence could hold them
// (the bus lost them): the store must be read.
func (q *sequence) markLost() { q.lost = true }
