package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// epoch is the origin of every timestamp the bench compares.
var epoch = time.Now()

// now is the time since epoch in ns, on the monotonic clock.
func now() int64 { return int64(time.Since(epoch)) }

// Authentication of the websockets: a single-use ticket from
// POST /api/ws-ticket (what the UI does), or the session cookie itself.
const (
	authTicket = "ticket"
	authCookie = "cookie"
)

// swarm is every tab of a scenario and what they share.
type swarm struct {
	ctx   context.Context
	api   *api
	dial  *dialers
	bases []string // the instances' base URLs
	auth  string

	phase atomic.Pointer[phase]
	// watch, if set, hears of every message.created that a watching tab
	// gets (S4's reads).
	watch atomic.Pointer[func(threadID int64, topic string)]

	stopping  atomic.Bool
	wg        sync.WaitGroup
	planned   atomic.Int64 // reconnections the bench asked for (S3)
	unplanned atomic.Int64 // reconnections after the server closed a socket
	failures  atomic.Int64 // failed reconnection attempts
	tabs      []*tab
}

// phase is what the tabs report to during one measured stretch.
type phase struct {
	m       *matcher
	dups    atomic.Int64 // frames whose seq a tab had already seen
	gaps    atomic.Int64 // frames after a seq a tab never saw
	resyncs atomic.Int64
	bad     atomic.Int64 // frames the bench could not read
	resume  recorder     // from a tab's close to its new hello
}

func newPhase() *phase { return &phase{m: newMatcher(epoch)} }

// connectAll connects every tab, workers at a time, each until its hello,
// and starts its reader. It returns how long that took and the
// distribution of single connections' times.
func (s *swarm) connectAll(workers int) (time.Duration, Dist, error) {
	var rec recorder
	start := time.Now()
	err := parallel(s.ctx, len(s.tabs), workers, func(ctx context.Context, i int) error {
		t := s.tabs[i]
		t0 := time.Now()
		if err := t.connect(ctx, false); err != nil {
			return err
		}
		rec.add(time.Since(t0))
		s.wg.Add(1)
		go t.run()
		return nil
	})
	return time.Since(start), rec.dist(), err
}

// stop closes every tab's socket at once and waits for the readers.
func (s *swarm) stop() {
	s.stopping.Store(true)
	for _, t := range s.tabs {
		if c := t.conn.Load(); c != nil {
			_ = c.CloseNow()
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

// closeCode is how the bench closes a tab it reloads (S3).
const closeCode = websocket.StatusGoingAway

// setWatcher sets the function told of every message.created a watching tab
// gets. Call it before the traffic starts.
func (s *swarm) setWatcher(fn func(threadID int64, topic string)) {
	s.watch.Store(&fn)
}
