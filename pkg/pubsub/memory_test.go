package pubsub

import (
	"testing"

	"smsinbox/pkg/inbox"
)

func TestMemory(t *testing.T) {
	testBus(t, func(*testing.T) (inbox.Bus, inbox.Bus) {
		m := NewMemory()
		return m, m
	})
}
