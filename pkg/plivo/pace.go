package plivo

import (
	"context"
	"sync"
	"time"

	"smsinbox/pkg/clock"
)

// window lets at most limit requests start in any span of per: Plivo counts
// its rate limits per minute, so a burst of limit is fine and the next waits
// until the oldest of them is a minute old. Times are the clock's, so tests
// move it instead of waiting.
type window struct {
	clock clock.Clock
	limit int
	per   time.Duration

	mu     sync.Mutex
	starts []time.Time // the last (at most limit) starts, oldest first
}

func newWindow(c clock.Clock, limit int, per time.Duration) *window {
	return &window{clock: c, limit: limit, per: per}
}

// wait returns when one more request may start, and counts it; or ctx's
// error, counting nothing.
func (w *window) wait(ctx context.Context) error {
	for {
		w.mu.Lock()
		now := w.clock.Now()
		for len(w.starts) > 0 && !w.starts[0].After(now.Add(-w.per)) {
			w.starts = w.starts[1:]
		}
		if len(w.starts) < w.limit {
			w.starts = append(w.starts, now)
			w.mu.Unlock()
			return nil
		}
		d := w.starts[0].Add(w.per).Sub(now)
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.clock.After(d):
		}
	}
}
