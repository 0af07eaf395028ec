package hub

import (
	"encoding/json"
	"testing"

	"smsinbox/pkg/inbox"
)

// Typing reaches the other assignees' sockets, never the typer's own, at
// most once per thread every 2 s per socket.
func TestTyping(t *testing.T) {
	e := newEnv(t, Options{})
	const otherThread = thread + 1
	e.store.mu.Lock()
	e.store.threads[otherThread] = numberN
	e.store.mu.Unlock()

	a1, a2, b, c := e.dial(alice), e.dial(alice), e.dial(bob), e.dial(carol)
	for _, cl := range []*client{a1, a2, b, c} {
		cl.hello()
	}
	a1.send(map[string]any{"type": "typing", "thread_id": thread})
	a1.send(map[string]any{"type": "typing", "thread_id": thread}) // too soon: dropped
	a1.send(map[string]any{"type": "typing", "thread_id": otherThread})

	for _, want := range []int64{thread, otherThread} {
		f := b.next()
		var data struct {
			ThreadID int64      `json:"thread_id"`
			User     inbox.User `json:"user"`
		}
		if err := json.Unmarshal(f.Data, &data); err != nil {
			t.Fatal(err)
		}
		if f.Type != inbox.EventTyping || f.Topic != topicN || f.Seq != 0 || data.ThreadID != want || data.User.ID != alice || data.User.Name != "Alice" {
			t.Fatalf("bob: got %v, want typing on %s, thread %d, by Alice, seq 0", f, topicN, want)
		}
	}
	m := e.marker()
	for _, cl := range []*client{a1, a2, b, c} {
		cl.expect(m) // and no typing before it
	}

	// Typing on a thread the user may not see, or that does not exist, is
	// not relayed. Carol's resume, read after her typing frames, proves
	// they were handled before the marker.
	evM := e.store.append(topicM, inbox.EventMessageCreated, message(1))
	c.send(map[string]any{"type": "typing", "thread_id": thread})
	c.send(map[string]any{"type": "typing", "thread_id": 999})
	c.resume(map[string]int64{topicM: 0})
	c.expect(evM)
	m = e.marker()
	for _, cl := range []*client{a1, a2, b} {
		cl.expect(m)
	}
	if got := e.store.typingSeen(); got != 0 {
		t.Errorf("typing events stored: got %d, want 0", got)
	}
}
