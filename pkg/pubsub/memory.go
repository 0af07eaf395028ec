package pubsub

import (
	"context"

	"smsinbox/pkg/inbox"
)

var _ inbox.Bus = (*Memory)(nil)

// Memory is the in-process Bus: Publish hands events straight to the
// subscribers of this process. It suits a single instance; it never loses an
// event, so it never calls recovered. The zero value is ready to use.
type Memory struct {
	subs fanout
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory { return &Memory{} }

// Publish delivers events, synchronously and in order, to every current
// subscriber before it returns. It never fails.
func (m *Memory) Publish(_ context.Context, events ...inbox.Event) error {
	m.subs.publish(events)
	return nil
}

// Subscribe calls deliver for every event published until ctx ends, then
// returns nil.
func (m *Memory) Subscribe(ctx context.Context, deliver func(inbox.Event), recovered func()) error {
	s := m.subs.add(deliver, recovered)
	defer m.subs.remove(s)
	<-ctx.Done()
	return nil
}

// Ping returns nil: an in-process bus is always reachable.
func (m *Memory) Ping(context.Context) error { return nil }
