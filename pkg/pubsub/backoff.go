package pubsub

import (
	"math/rand/v2"
	"time"
)

// Reconnection delays: short at first, so a killed connection is replaced
// at once, and capped, so the subscription is back soon after Redis is.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// backoff spaces out reconnection attempts. Each delay doubles up to
// maxBackoff and is jittered down by up to half, so that the processes of a
// deployment do not all reconnect in step after a Redis restart.
type backoff struct {
	last time.Duration
}

// next returns how long to wait before the next attempt.
func (b *backoff) next() time.Duration {
	b.last = min(max(2*b.last, minBackoff), maxBackoff)
	return b.last/2 + rand.N(b.last/2+1)
}

// reset starts over after a successful connection.
func (b *backoff) reset() { b.last = 0 }
