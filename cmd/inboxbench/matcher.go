package main

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// kind is what a matcher key stands for.
type kind uint8

const (
	kindMessage kind = iota // an inbound SMS: message.created frames
	kindRead                // a thread read: thread.read frames
	kinds
)

// matcher pairs what the bench caused (a webhook, a read) with the frames
// it must produce on the expected tabs, and measures the delay from the
// request's start to each frame's arrival. Keys are registered before the
// request (messages, whose key the bench chooses) or after its answer
// (reads, whose key the server chooses); a frame that arrives before its
// key is kept as an orphan until the key comes.
type matcher struct {
	epoch  time.Time
	seed   maphash.Seed
	shards [64]mshard

	expected atomic.Int64 // frames expected so far
	received atomic.Int64 // expected frames arrived so far
}

type mshard struct {
	mu      sync.Mutex
	keys    map[string]*entry
	orphans map[string][]arrival
	samples [kinds][]int64 // delay of every expected frame, ns
	cross   [kinds][]int64 // the same, for tabs on another instance than the request's
}

type entry struct {
	kind     kind
	inst     int   // the instance the request went to
	start    int64 // the request's start, ns since epoch
	expected int
	arrived  int
}

type arrival struct {
	at   int64
	inst int
}

func newMatcher(epoch time.Time) *matcher {
	m := &matcher{epoch: epoch, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].keys = make(map[string]*entry)
		m.shards[i].orphans = make(map[string][]arrival)
	}
	return m
}

// now is the time since the epoch, in ns.
func (m *matcher) now() int64 { return int64(time.Since(m.epoch)) }

func (m *matcher) shard(key string) *mshard {
	return &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
}

// expect registers key, started at start on instance inst, as owed to
// expected tabs. It reports false, registering nothing, if key is known
// already (a read of a thread read before answers the earlier read).
func (m *matcher) expect(k kind, key string, start int64, expected, inst int) bool {
	sh := m.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, known := sh.keys[key]; known {
		return false
	}
	e := &entry{kind: k, inst: inst, start: start, expected: expected}
	sh.keys[key] = e
	m.expected.Add(int64(expected))
	for _, a := range sh.orphans[key] {
		m.takeLocked(sh, e, a)
	}
	delete(sh.orphans, key)
	return true
}

// cancel forgets key: its request failed, so no frame is owed.
func (m *matcher) cancel(key string) {
	sh := m.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.keys[key]
	if !ok {
		return
	}
	delete(sh.keys, key)
	m.expected.Add(-int64(e.expected))
	m.received.Add(-int64(min(e.arrived, e.expected)))
}

// arrive records a frame for key at a tab on instance inst.
func (m *matcher) arrive(key string, at int64, inst int) {
	sh := m.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.keys[key]
	if !ok {
		sh.orphans[key] = append(sh.orphans[key], arrival{at, inst})
		return
	}
	m.takeLocked(sh, e, arrival{at, inst})
}

func (m *matcher) takeLocked(sh *mshard, e *entry, a arrival) {
	e.arrived++
	if e.arrived > e.expected {
		return
	}
	m.received.Add(1)
	d := max(a.at-e.start, 0)
	sh.samples[e.kind] = append(sh.samples[e.kind], d)
	if a.inst != e.inst {
		sh.cross[e.kind] = append(sh.cross[e.kind], d)
	}
}

// done reports whether every expected frame has arrived.
func (m *matcher) done() bool { return m.received.Load() >= m.expected.Load() }

// tally is the account of one kind of key.
type tally struct {
	Keys     int64 `json:"keys"`
	Expected int64 `json:"expected_frames"`
	Received int64 `json:"received_frames"`
	Lost     int64 `json:"lost"`
	// Unexpected counts frames beyond what a key was owed, and frames
	// whose key never came (orphans).
	Unexpected int64 `json:"unexpected"`
	Delivery   Dist  `json:"delivery_ms"`
	Cross      Dist  `json:"cross_instance_ms"`
}

// tally accounts for every key of kind k. Orphans cannot tell their kind,
// so they are counted under kindMessage.
func (m *matcher) tally(k kind) tally {
	var t tally
	var samples, cross []int64
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for _, e := range sh.keys {
			if e.kind != k {
				continue
			}
			t.Keys++
			t.Expected += int64(e.expected)
			t.Received += int64(min(e.arrived, e.expected))
			t.Lost += int64(max(e.expected-e.arrived, 0))
			t.Unexpected += int64(max(e.arrived-e.expected, 0))
		}
		if k == kindMessage {
			for _, as := range sh.orphans {
				t.Unexpected += int64(len(as))
			}
		}
		samples = append(samples, sh.samples[k]...)
		cross = append(cross, sh.cross[k]...)
		sh.mu.Unlock()
	}
	t.Delivery, t.Cross = distribution(samples), distribution(cross)
	return t
}
