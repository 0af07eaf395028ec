package web

import (
	"sync"
	"time"
)

// limiter counts failures per key in a fixed window: after max failures a key
// is refused until its window ends. It is per process; behind a load
// balancer each instance counts on its own, which still bounds guessing.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	keys   map[string]*window
	now    func() time.Time
}

type window struct {
	failures int
	ends     time.Time
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, keys: map[string]*window{}, now: time.Now}
}

func (l *limiter) allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.keys[key]
	return !ok || l.now().After(w.ends) || w.failures < l.max
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.keys[key]
	if !ok || now.After(w.ends) {
		if len(l.keys) > 10000 {
			l.prune(now)
		}
		w = &window{ends: now.Add(l.window)}
		l.keys[key] = w
	}
	w.failures++
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// prune drops ended windows, so that the map stays small under a spray of
// made-up accounts.
func (l *limiter) prune(now time.Time) {
	for k, w := range l.keys {
		if now.After(w.ends) {
			delete(l.keys, k)
		}
	}
}
