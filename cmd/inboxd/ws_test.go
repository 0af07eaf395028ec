package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// frame is a websocket frame from the server.
type frame struct {
	Type  string          `json:"type"`
	Topic string          `json:"topic"`
	Seq   int64           `json:"seq"`
	Data  json.RawMessage `json:"data"`
}

// socket is one browser tab's websocket: it reads every frame into a queue
// and keeps the bell the way the UI does — from hello, then from every
// thread the events carry.
type socket struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
	closed chan struct{}
	err    error // why the read loop ended

	mu      sync.Mutex
	hello   *inbox.Hello
	unread  map[int64]int    // thread id → unread count
	lastSeq map[string]int64 // topic → last seq seen
}

// dial opens a websocket as c with a single-use ticket, optionally sending
// a resume right away (as the UI does on reconnect).
func (c *client) dial(t *testing.T, resume map[string]int64) *socket {
	t.Helper()
	var tk struct{ Ticket string }
	c.call("POST", "/api/ws-ticket", nil, 201, &tk)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws?ticket="+tk.Ticket, &websocket.DialOptions{HTTPClient: specClient(t)})
	if err != nil {
		t.Fatalf("dial /ws: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	s := &socket{t: t, conn: conn, frames: make(chan frame, 4096), closed: make(chan struct{}),
		unread: map[int64]int{}, lastSeq: map[string]int64{}}
	if resume != nil {
		s.send(map[string]any{"type": "resume", "topics": resume})
	}
	go s.read()
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "test over") })
	s.expect("hello", 10*time.Second)
	return s
}

func (s *socket) read() {
	defer close(s.closed)
	for {
		_, b, err := s.conn.Read(context.Background())
		if err != nil {
			s.err = err
			return
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			s.err = err
			return
		}
		s.apply(f)
		s.frames <- f
	}
}

// apply keeps the bell: hello sets it, a thread in any event replaces ours.
func (s *socket) apply(f frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Seq > 0 {
		s.lastSeq[f.Topic] = f.Seq
	}
	switch f.Type {
	case "hello":
		var h inbox.Hello
		if err := json.Unmarshal(f.Data, &h); err != nil {
			s.t.Errorf("hello: %v", err)
			return
		}
		s.hello = &h
		for topic, seq := range h.Topics {
			s.lastSeq[topic] = seq
		}
		for _, th := range h.Inbox.Threads {
			s.unread[th.ID] = th.UnreadCount
		}
	case "message.created", "thread.read", "thread.unread", "thread.claimed", "thread.released", "thread.claim_lapsed":
		var d struct{ Thread inbox.Thread }
		if err := json.Unmarshal(f.Data, &d); err == nil && d.Thread.ID != 0 {
			s.unread[d.Thread.ID] = d.Thread.UnreadCount
		}
	}
}

// bell is the number of threads with unread messages this tab knows of.
func (s *socket) bell() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.unread {
		if u > 0 {
			n++
		}
	}
	return n
}

func (s *socket) seq(topic string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSeq[topic]
}

func (s *socket) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		s.t.Fatalf("write frame: %v", err)
	}
}

// next returns the next frame, or fails after timeout.
func (s *socket) next(timeout time.Duration) frame {
	s.t.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(timeout):
		s.t.Fatalf("no frame within %v", timeout)
	}
	return frame{}
}

// expect skips frames until one of type typ arrives.
func (s *socket) expect(typ string, timeout time.Duration) frame {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case f := <-s.frames:
			if f.Type == typ {
				return f
			}
		case <-deadline:
			s.t.Fatalf("no %s frame within %v", typ, timeout)
		}
	}
}

// quiet fails if a frame of one of the given types arrives within d.
func (s *socket) quiet(d time.Duration, types ...string) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f := <-s.frames:
			for _, typ := range types {
				if f.Type == typ {
					s.t.Errorf("got an unexpected %s frame on %s: %s", f.Type, f.Topic, f.Data)
				}
			}
		case <-deadline:
			return
		}
	}
}

// events collects n sequenced frames of topic, skipping everything else.
func (s *socket) events(topic string, n int, timeout time.Duration) []frame {
	s.t.Helper()
	var out []frame
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case f := <-s.frames:
			if f.Topic == topic && f.Seq > 0 {
				out = append(out, f)
			}
		case <-deadline:
			s.t.Fatalf("got %d events of %s within %v, want %d", len(out), topic, timeout, n)
		}
	}
	return out
}

// closeStatus waits for the server to close the socket and returns the code.
func (s *socket) closeStatus(timeout time.Duration) websocket.StatusCode {
	s.t.Helper()
	select {
	case <-s.closed:
		return websocket.CloseStatus(s.err)
	case <-time.After(timeout):
		s.t.Fatalf("the socket stayed open for %v", timeout)
	}
	return -1
}

// dialWith opens /ws with a raw header (a cookie, an Origin) and returns the
// HTTP status of a refused handshake.
func dialWith(t *testing.T, base string, h http.Header) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h, HTTPClient: specClient(t)})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn, http.StatusSwitchingProtocols
}

// dialTicket opens /ws with a ticket and returns the handshake's status.
func dialTicket(t *testing.T, base, ticket string) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?ticket="+ticket, &websocket.DialOptions{HTTPClient: specClient(t)})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	return conn, http.StatusSwitchingProtocols
}
