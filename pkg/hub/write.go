package hub

import (
	"context"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// enqueueLocked queues b for the writers, putting the socket in line for
// them if it is not. A full queue closes the socket: the client is too slow
// and will resume.
func (s *socket) enqueueLocked(b []byte) {
	if s.closed {
		return
	}
	if s.backlog >= s.h.opts.QueueSize {
		slowDisconnects.Inc()
		s.closeLocked(closeSlow)
		return
	}
	s.queue = append(s.queue, b)
	s.backlog++
	if !s.writing {
		s.writing = true
		s.h.ready.push(s)
	}
}

// writeQueue is the line of sockets with frames to write, and the writers
// that take them: at most Options.Writers goroutines, started when sockets
// wait and ending when none do. A socket is in line at most once, and has
// one writer at a time (socket.writing).
type writeQueue struct {
	mu      sync.Mutex
	sockets []*socket
	head    int
	writers int
	max     int
	spawn   func(func())
	run     func(*socket)
}

// push puts s in line, starting a writer if there is room for one more.
func (q *writeQueue) push(s *socket) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sockets = append(q.sockets, s)
	if q.writers < q.max {
		q.writers++
		q.spawn(q.work)
	}
}

// work writes to the sockets in line until there are none.
func (q *writeQueue) work() {
	for {
		q.mu.Lock()
		if q.head == len(q.sockets) {
			// An idle hub keeps no line.
			q.sockets, q.head = nil, 0
			q.writers--
			q.mu.Unlock()
			return
		}
		s := q.sockets[q.head]
		q.sockets[q.head] = nil
		q.head++
		if q.head >= 1024 && 2*q.head >= len(q.sockets) {
			// A line that never empties does not grow for ever.
			n := copy(q.sockets, q.sockets[q.head:])
			clear(q.sockets[n:])
			q.sockets, q.head = q.sockets[:n], 0
		}
		q.mu.Unlock()
		q.run(s)
	}
}

// writeTurn writes what s has queued, then puts it back in line if more
// came meanwhile. Its send buffer never waits for the client: when bytes
// are left waiting for it, its drainer gives the socket back (drained).
func (s *socket) writeTurn() {
	s.mu.Lock()
	if s.closed || len(s.queue) == 0 {
		s.writing, s.queue = false, nil
		s.mu.Unlock()
		return
	}
	batch := s.queue
	s.queue = nil
	s.mu.Unlock()
	err := s.write(batch)
	s.mu.Lock()
	s.backlog -= len(batch)
	if s.room != nil && s.backlog <= s.h.quarter {
		close(s.room)
		s.room = nil
	}
	if err != nil {
		s.writing = false
		s.closeLocked(closeDrop)
		s.mu.Unlock()
		s.h.log.Debug("hub: write to websocket", "user", s.user.ID, "err", err)
		return
	}
	s.mu.Unlock()
	if s.out != nil && s.out.busy() {
		return
	}
	s.next()
}

// next puts the socket back in line if frames wait, or ends its turn.
func (s *socket) next() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.queue) == 0 {
		s.writing, s.queue = false, nil
		return
	}
	s.h.ready.push(s)
}

// drained is the send buffer's report that what waited for the client is
// written, or could not be.
func (s *socket) drained(err error) {
	if err != nil {
		s.h.log.Debug("hub: write to websocket", "user", s.user.ID, "err", err)
		s.closeAsync(closeDrop)
	}
	s.next()
}

// write hands a batch to the websocket. Its send buffer takes every frame
// without waiting, so coder/websocket gets a context without a deadline and
// skips its own per-frame timer; the send buffer's drainer has the
// deadline.
func (s *socket) write(batch [][]byte) error {
	for i, b := range batch {
		if err := s.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
			framesSent.Add(float64(i))
			return fmt.Errorf("write frame: %w", err)
		}
	}
	framesSent.Add(float64(len(batch)))
	return nil
}

// waitRoom waits until the backlog is down to a quarter of QueueSize, so a
// replay never fills the queue by itself.
func (s *socket) waitRoom() error {
	s.mu.Lock()
	for !s.closed && s.backlog > s.h.quarter {
		if s.room == nil {
			s.room = make(chan struct{})
		}
		room := s.room
		s.mu.Unlock()
		select {
		case <-room:
		case <-s.ctx.Done():
			return fmt.Errorf("wait for the writer: %w", s.ctx.Err())
		}
		s.mu.Lock()
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("wait for the writer: %w", context.Canceled)
	}
	return nil
}

// ping checks that the client still answers, every PingInterval.
func (s *socket) ping() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.h.wg.Add(1)
	s.mu.Unlock()
	defer s.h.wg.Done()

	ctx, cancel := context.WithTimeout(s.ctx, s.h.opts.WriteTimeout)
	err := s.ws.Ping(ctx)
	cancel()
	if err != nil {
		s.h.log.Debug("hub: websocket ping", "user", s.user.ID, "err", err)
		s.close(closeDrop)
		return
	}
	s.mu.Lock()
	if !s.closed {
		s.pinger.Reset(s.h.opts.PingInterval)
	}
	s.mu.Unlock()
}
