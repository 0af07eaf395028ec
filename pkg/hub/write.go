package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// enqueueLocked queues b for the writer, starting it if it is not running.
// A full queue closes the socket: the client is too slow and will resume.
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
		s.h.wg.Go(s.writeLoop)
	}
}

// writeLoop writes every queued frame, taking the whole queue at each turn,
// and ends when it is empty.
func (s *socket) writeLoop() {
	var batch [][]byte
	for {
		s.mu.Lock()
		if n := len(batch); n > 0 {
			s.backlog -= n
			if s.room != nil && s.backlog <= s.h.quarter {
				close(s.room)
				s.room = nil
			}
			clear(batch)
		}
		if s.closed || len(s.queue) == 0 {
			// An idle socket keeps no buffer.
			s.writing, s.queue = false, nil
			s.mu.Unlock()
			return
		}
		batch, s.queue = s.queue, batch[:0]
		s.mu.Unlock()
		if err := s.write(batch); err != nil {
			s.h.log.Debug("hub: write to websocket", "user", s.user.ID, "err", err)
			s.close(closeDrop)
			return
		}
	}
}

// write writes a batch within one WriteTimeout. The deadline is set on the
// connection, once per batch, so coder/websocket gets a context without a
// deadline and skips its own per-frame timer.
func (s *socket) write(batch [][]byte) error {
	if s.nc != nil {
		if err := s.nc.SetWriteDeadline(time.Now().Add(s.h.opts.WriteTimeout)); err != nil {
			return fmt.Errorf("set write deadline: %w", err)
		}
	}
	for i, b := range batch {
		if err := s.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
			framesSent.Add(float64(i))
			return fmt.Errorf("write frame: %w", err)
		}
	}
	framesSent.Add(float64(len(batch)))
	if s.nc != nil {
		// Pongs and close frames written by coder/websocket itself must
		// not inherit this batch's deadline.
		if err := s.nc.SetWriteDeadline(time.Time{}); err != nil {
			return fmt.Errorf("clear write deadline: %w", err)
		}
	}
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
