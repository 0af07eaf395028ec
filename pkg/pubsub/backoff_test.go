package pubsub

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	var b backoff
	// Each delay lies in the upper half of its step; steps double up to the cap.
	steps := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000}
	for i, step := range steps {
		step *= time.Millisecond
		if got := b.next(); got < step/2 || got > step {
			t.Errorf("attempt %d: got %s, want between %s and %s", i+1, got, step/2, step)
		}
	}
	b.reset()
	if got := b.next(); got < minBackoff/2 || got > minBackoff {
		t.Errorf("after reset: got %s, want between %s and %s", got, minBackoff/2, minBackoff)
	}
}
