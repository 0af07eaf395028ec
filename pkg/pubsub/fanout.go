package pubsub

import (
	"slices"
	"sync"

	"smsinbox/pkg/inbox"
)

// fanout hands published batches to the subscribers of this process. Memory
// is nothing more; Redis uses one for its own publications, so that local
// subscribers never depend on the network.
type fanout struct {
	mu sync.Mutex
	// subs is replaced, never modified in place, so publish can range over
	// a snapshot without holding mu while subscribers run.
	subs []*subscriber
}

// subscriber is one Subscribe call.
type subscriber struct {
	// mu serialises deliver and recovered: a batch from a local publisher
	// and one from the network never interleave, and neither callback runs
	// after close.
	mu        sync.Mutex
	closed    bool
	deliver   func(inbox.Event)
	recovered func()
}

// add registers a subscriber; it receives every batch published from now on.
func (f *fanout) add(deliver func(inbox.Event), recovered func()) *subscriber {
	s := &subscriber{deliver: deliver, recovered: recovered}
	f.mu.Lock()
	f.subs = append(slices.Clip(f.subs), s)
	f.mu.Unlock()
	return s
}

// remove unregisters s. Once it returns, s's callbacks are never called
// again, even by a publish that took its snapshot before.
func (f *fanout) remove(s *subscriber) {
	f.mu.Lock()
	f.subs = slices.DeleteFunc(slices.Clone(f.subs), func(x *subscriber) bool { return x == s })
	f.mu.Unlock()
	s.close()
}

// publish hands events to every registered subscriber, synchronously.
func (f *fanout) publish(events []inbox.Event) {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		s.send(events)
	}
}

// send delivers a batch, all of it before any other batch or recovered call.
func (s *subscriber) send(events []inbox.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, e := range events {
		s.deliver(e)
	}
}

// recover tells the subscriber that events may have been lost.
func (s *subscriber) recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.recovered()
}

// close waits for a running callback to finish and silences s for good.
func (s *subscriber) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// recoverAll tells every registered subscriber that events may have been
// lost.
func (f *fanout) recoverAll() {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		s.recover()
	}
}
