package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

const (
	// A client may send a burst of clientBurst frames, then clientRate per
	// second; more is abuse (typing sends about one per keystroke).
	clientBurst = 60
	clientRate  = 30
	// typingEvery is the least time between two relayed typing frames of
	// one socket on one thread.
	typingEvery = 2 * time.Second
	// typingTimeout bounds the store and bus work of one typing frame, so
	// the reader is back in time to read pongs.
	typingTimeout = 2 * time.Second
	// maxThreads bounds the per-socket caches of the typing path.
	maxThreads = 64
)

// clientFrame is every client → server frame.
type clientFrame struct {
	Type     string           `json:"type"`
	Topics   map[string]int64 `json:"topics"`
	ThreadID int64            `json:"thread_id"`
}

// readLoop reads the client's frames until the connection ends, then closes
// the socket. It is the one goroutine that lives as long as the socket.
func (s *socket) readLoop() {
	defer s.h.wg.Done()
	for {
		// No context deadline: the read ends when the connection closes,
		// and coder/websocket skips its per-read timer.
		typ, b, err := s.ws.Read(context.Background())
		switch {
		case errors.Is(err, websocket.ErrMessageTooBig):
			// coder/websocket has sent 1009; finish the handshake so the
			// client reads it rather than a reset.
			s.close(closeTooBig)
			return
		case err != nil:
			s.close(closeDrop)
			return
		case typ != websocket.MessageText:
			s.close(closeBinary)
			return
		case !s.allow(time.Now()):
			s.close(closeFlood)
			return
		}
		s.handle(b)
	}
}

// allow is a token bucket over the client's frames.
func (s *socket) allow(now time.Time) bool {
	s.tokens = min(clientBurst, s.tokens+now.Sub(s.tokensAt).Seconds()*clientRate)
	s.tokensAt = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// handle acts on one client frame. Unknown and malformed frames are ignored,
// so that newer clients work with older servers.
func (s *socket) handle(b []byte) {
	var m clientFrame
	if err := json.Unmarshal(b, &m); err != nil {
		s.h.log.Debug("hub: malformed client frame", "user", s.user.ID, "err", err)
		return
	}
	switch m.Type {
	case frameResume:
		s.resume(m.Topics)
	case inbox.EventTyping:
		s.typing(m.ThreadID)
	default:
		s.h.log.Debug("hub: unknown client frame", "user", s.user.ID, "type", m.Type)
	}
}

// typing relays "user is typing on thread" to the other assignees of its
// number, on every instance, through the bus. It is never stored.
func (s *socket) typing(threadID int64) {
	if threadID <= 0 {
		return
	}
	now := time.Now()
	if at, ok := s.typedAt[threadID]; ok && now.Sub(at) < typingEvery {
		return
	}
	if s.typedAt == nil || len(s.typedAt) >= maxThreads {
		s.typedAt = make(map[int64]time.Time)
	}
	s.typedAt[threadID] = now

	ctx, cancel := context.WithTimeout(s.ctx, typingTimeout)
	defer cancel()
	topic, err := s.threadTopic(ctx, threadID)
	if err != nil {
		s.h.log.Debug("hub: typing on a thread", "user", s.user.ID, "thread", threadID, "err", err)
		return
	}
	s.mu.Lock()
	_, allowed := s.topics[topic]
	s.mu.Unlock()
	if !allowed {
		return
	}
	data, err := json.Marshal(struct {
		ThreadID int64      `json:"thread_id"`
		User     inbox.User `json:"user"`
	}{threadID, s.user})
	if err != nil {
		s.h.log.Error("hub: encode typing", "err", err)
		return
	}
	if err := s.h.bus.Publish(ctx, inbox.Event{Topic: topic, Type: inbox.EventTyping, Data: data}); err != nil {
		s.h.log.Warn("hub: publish typing", "topic", topic, "err", err)
	}
}

// threadTopic returns a thread's number topic, cached: a thread never moves
// to another number, and whether the user may see it now is checked against
// the socket's topics each time.
func (s *socket) threadTopic(ctx context.Context, threadID int64) (string, error) {
	if topic, ok := s.threads[threadID]; ok {
		return topic, nil
	}
	topic, err := s.h.src.ThreadTopic(ctx, s.user, threadID)
	if err != nil {
		return "", fmt.Errorf("topic of thread %d: %w", threadID, err)
	}
	if s.threads == nil || len(s.threads) >= maxThreads {
		s.threads = make(map[int64]string)
	}
	s.threads[threadID] = topic
	return topic, nil
}
