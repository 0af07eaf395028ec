package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// Attempts counts attempts per key in fixed windows: the sign-in limits.
// The in-process one (the default) counts for this instance only; with
// Redis (pkg/throttle, wired by cmd/inboxd) every instance shares the counts.
type Attempts interface {
	// Reserve counts one attempt of key, atomically, unless max are
	// counted in its window already (the window starts with its first
	// attempt). Then it counts nothing and says how long until the window
	// ends (> 0).
	Reserve(ctx context.Context, key string, max int, window time.Duration) (wait time.Duration, err error)
	// Release gives back an attempt Reserve counted: it was no failure.
	Release(ctx context.Context, key string) error
}

// The sign-in limits: failures per (email, client address), and per client
// address, in one window.
const (
	maxAccountFailures = 5
	maxAddressFailures = 50
	attemptWindow      = 15 * time.Minute
)

// errTooManyAttempts answers a request past a sign-in limit.
var errTooManyAttempts = inbox.Errorf(inbox.KindRateLimited, "too_many_attempts",
	"too many failed sign-ins from here; wait a few minutes and try again")

// reserveAttempt counts an attempt to prove email's password from r's
// client address against both limits, before the password is checked: of
// many attempts at once, no more than a limit's worth get checked. Past a
// limit it sets Retry-After and returns errTooManyAttempts. Call release
// when the attempt was no failure (the right password, or the server
// failing), so that it does not count.
func (s *Server) reserveAttempt(w http.ResponseWriter, r *http.Request, email string) (release func(), err error) {
	addr := addressKey(clientAddr(r, s.trusted))
	email = strings.ToLower(strings.TrimSpace(email))
	account, address := attemptKey("account", email, addr), attemptKey("address", addr)
	var held []func()
	release = func() {
		for _, f := range held {
			f()
		}
	}
	for _, l := range []struct {
		key string
		max int
	}{{account, maxAccountFailures}, {address, maxAddressFailures}} {
		wait, undo := s.attempts.reserve(r.Context(), l.key, l.max)
		if wait > 0 {
			release()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return nil, errTooManyAttempts
		}
		held = append(held, undo)
	}
	return release, nil
}

// attemptKey names a counter without the email or address in clear: the
// keys may live in a Redis shared with other programs.
func attemptKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "signin:" + hex.EncodeToString(sum[:16])
}

// attemptCounter counts on Attempts, or on this process's memory while
// Attempts fails (Redis down): the limits then hold per instance rather
// than not at all, and nobody is locked out by an outage.
type attemptCounter struct {
	shared Attempts // nil: local only
	local  *memoryAttempts
	log    *slog.Logger

	failures  atomic.Int64 // shared failures not logged yet
	loggedAt  atomic.Int64 // unix ns of the last log line
	logsEvery time.Duration
}

// reserve reserves on the shared counter, else the local one, and returns
// how to give the attempt back to the one that counted it.
func (c *attemptCounter) reserve(ctx context.Context, key string, max int) (time.Duration, func()) {
	if c.shared != nil {
		wait, err := c.shared.Reserve(ctx, key, max, attemptWindow)
		if err == nil {
			return wait, func() {
				// Not the request's context: the client may have gone.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := c.shared.Release(ctx, key); err != nil {
					c.failed(err)
				}
			}
		}
		c.failed(err)
	}
	wait, _ := c.local.Reserve(ctx, key, max, attemptWindow)
	return wait, func() { c.local.Release(context.Background(), key) } //nolint:errcheck // never fails
}

// failed logs a failure of the shared counter at most once a minute, with
// how many there were.
func (c *attemptCounter) failed(err error) {
	n := c.failures.Add(1)
	now := time.Now().UnixNano()
	last := c.loggedAt.Load()
	if now-last < int64(c.logsEvery) || !c.loggedAt.CompareAndSwap(last, now) {
		return
	}
	c.failures.Add(-n)
	c.log.Warn("sign-in limits are counted on this instance alone: the shared counter fails", "failures", n, "err", err)
}

// memoryAttempts is the in-process Attempts.
type memoryAttempts struct {
	clock clock.Clock
	mu    sync.Mutex
	keys  map[string]*window
}

type window struct {
	count int
	ends  time.Time
}

func newMemoryAttempts(c clock.Clock) *memoryAttempts {
	return &memoryAttempts{clock: c, keys: map[string]*window{}}
}

func (m *memoryAttempts) Reserve(_ context.Context, key string, max int, d time.Duration) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	w, ok := m.keys[key]
	if !ok || !now.Before(w.ends) {
		if len(m.keys) > 10000 {
			m.prune(now)
		}
		w = &window{ends: now.Add(d)}
		m.keys[key] = w
	}
	if w.count >= max {
		return w.ends.Sub(now), nil
	}
	w.count++
	return 0, nil
}

func (m *memoryAttempts) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.keys[key]; ok && w.count > 0 {
		w.count--
	}
	return nil
}

// prune drops ended windows, so that the map stays small under a spray of
// made-up accounts.
func (m *memoryAttempts) prune(now time.Time) {
	for k, w := range m.keys {
		if !now.Before(w.ends) {
			delete(m.keys, k)
		}
	}
}
