package hub

import "github.com/coder/websocket"

// closeReason is the close frame a socket is closed with; a zero code drops
// the connection without one (the peer is gone or not reading).
type closeReason struct {
	code websocket.StatusCode
	text string
}

var (
	closeDrop     = closeReason{}
	closeShutdown = closeReason{websocket.StatusGoingAway, "server shutting down"}
	closeSlow     = closeReason{StatusTooSlow, "too slow; resume"}
	closeStore    = closeReason{websocket.StatusTryAgainLater, "store unavailable; resume"}
	closeBinary   = closeReason{websocket.StatusUnsupportedData, "text frames only"}
	closeFlood    = closeReason{websocket.StatusPolicyViolation, "too many frames"}
	closeTooBig   = closeReason{websocket.StatusMessageTooBig, "frame too big"}
)

// isClosed reports whether the socket has been closed.
func (s *socket) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// closeLocked closes the socket from under a lock: the close handshake runs
// on its own goroutine.
func (s *socket) closeLocked(why closeReason) {
	if s.shutLocked() {
		s.h.wg.Go(func() { s.teardown(why) })
	}
}

// closeAsync closes the socket without waiting for its close handshake: for
// callers that must not block.
func (s *socket) closeAsync(why closeReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(why)
}

// close closes the socket and waits for its close handshake. It must not
// be called with a shard or socket lock held.
func (s *socket) close(why closeReason) {
	s.mu.Lock()
	first := s.shutLocked()
	s.mu.Unlock()
	if first {
		s.teardown(why)
	}
}

// shutLocked marks the socket closed, so that nothing more is queued for it,
// and reports whether it was open.
func (s *socket) shutLocked() bool {
	if s.closed {
		return false
	}
	s.closed = true
	if n := len(s.queue); n > 0 {
		droppedClosed.Add(float64(n))
	}
	s.queue, s.jobs = nil, nil
	if s.room != nil {
		close(s.room)
		s.room = nil
	}
	return true
}

// teardown releases what a closed socket holds and closes its connection.
func (s *socket) teardown(why closeReason) {
	s.cancel()
	s.mu.Lock()
	if s.pinger != nil {
		s.pinger.Stop()
	}
	registered, wanted := s.registered, s.wanted
	s.registered, s.wanted = nil, nil
	s.mu.Unlock()
	for name := range registered {
		s.h.unsubscribe(name, s)
	}
	if s.h.interest != nil {
		for name := range wanted {
			s.h.interest.Unwant(name)
		}
	}
	s.h.forget(s)
	s.h.release(s.user.ID)
	if why.code == 0 {
		_ = s.ws.CloseNow()
		return
	}
	_ = s.ws.Close(why.code, why.text)
}
