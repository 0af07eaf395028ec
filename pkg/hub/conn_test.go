package hub

import (
	"context"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"smsinbox/pkg/inbox"
)

func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// A client that does not read is closed once its queue is full; the others
// get every event, and publishing never waits for it.
func TestSlowConsumer(t *testing.T) {
	e := newEnv(t, Options{QueueSize: 8, WriteTimeout: time.Second})
	before := counterValue(t, slowDisconnects)

	fast := e.dial(alice)
	fast.hello()
	// The slow client's tiny receive buffer makes the server's writes
	// block soon; it never reads.
	opts := dialOptions(bob)
	opts.HTTPClient = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				err = c.(*net.TCPConn).SetReadBuffer(4096)
			}
			return c, err
		},
	}}
	e.dialWith(bob, opts, false)
	eventually(t, "both sockets open", func() bool { return e.hub.Sockets() == 2 })

	// The fast client keeps up (it reads each event before the next is
	// published) while the slow one falls behind.
	body := strings.Repeat("x", 16<<10)
	for sent := 0; e.hub.Sockets() == 2; sent++ {
		if sent == 5000 {
			t.Fatalf("slow socket still open after %d events", sent)
		}
		fast.expect(e.publish(topicN, inbox.EventMessageCreated, map[string]any{"body": body}))
	}
	fast.expect(e.marker())
	if got := counterValue(t, slowDisconnects) - before; got != 1 {
		t.Errorf("slow consumer disconnects: got %v, want 1", got)
	}
}

// A client that stops reading does not hold the hub's one writer: the
// kernel's buffers fill, what is left waits in its send buffer, and the
// other sockets go on getting every frame. Once it reads again it gets
// every frame, in order.
func TestSlowClientDoesNotHoldTheWriters(t *testing.T) {
	e := newEnv(t, Options{Writers: 1, QueueSize: 1024, WriteTimeout: 3 * waitFor})
	fast := e.dialWith(alice, dialOptions(alice), false)
	fast.ws.SetReadLimit(1 << 20)
	go fast.read()
	fast.hello()
	slow := e.dialWith(bob, dialOptions(bob), false)
	slow.ws.SetReadLimit(1 << 20)
	eventually(t, "both sockets open", func() bool { return e.hub.Sockets() == 2 })
	waiting := func() bool {
		for _, s := range e.hub.open() {
			if s.user.ID == bob {
				s.out.mu.Lock()
				defer s.out.mu.Unlock()
				return s.out.draining
			}
		}
		return false
	}

	body := strings.Repeat("x", 64<<10)
	var last inbox.Event
	sent := 0
	for ; !waiting(); sent++ {
		if sent == 500 {
			t.Fatalf("the slow client's writes never had to wait after %d events of 64 KiB", sent)
		}
		last = e.publish(topicN, inbox.EventMessageCreated, map[string]any{"body": body})
		fast.expect(last)
	}
	// The slow client's bytes wait; the fast one still gets each event.
	for range 20 {
		last = e.publish(topicN, inbox.EventMessageCreated, map[string]any{"body": body})
		fast.expect(last)
	}
	if !waiting() {
		t.Fatal("the slow client's send buffer emptied while it read nothing")
	}
	go slow.read()
	slow.hello()
	slow.expectSeqs(topicN, 1, last.Seq)
	if e.hub.Sockets() != 2 {
		t.Errorf("open sockets: got %d, want 2", e.hub.Sockets())
	}
}

func TestReadLimit(t *testing.T) {
	e := newEnv(t, Options{ReadLimit: 1024})
	a := e.dial(alice)
	a.hello()
	a.send(map[string]any{"type": "resume", "pad": strings.Repeat("x", 2048)})
	if got := a.closed(); got != websocket.StatusMessageTooBig {
		t.Errorf("close status after an oversized frame: got %v, want %v", got, websocket.StatusMessageTooBig)
	}
}

func TestBinaryFrame(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.dial(alice)
	a.hello()
	if err := a.ws.Write(context.Background(), websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if got := a.closed(); got != websocket.StatusUnsupportedData {
		t.Errorf("close status after a binary frame: got %v, want %v", got, websocket.StatusUnsupportedData)
	}
}

// Malformed and unknown frames are ignored; a flood of frames is not.
func TestClientFrames(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.dial(alice)
	a.hello()
	for _, raw := range []string{"not json", `{"type":"sing"}`, `{"type":"typing","thread_id":"x"}`, `[]`} {
		if err := a.ws.Write(context.Background(), websocket.MessageText, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	a.expect(e.marker())

	for range 1000 {
		if err := a.ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"sing"}`)); err != nil {
			break // closed by the server
		}
	}
	if got := a.closed(); got != websocket.StatusPolicyViolation {
		t.Errorf("close status after a flood: got %v, want %v", got, websocket.StatusPolicyViolation)
	}
}

// Ending Run's context closes every socket with 1001 and Run returns.
func TestShutdown(t *testing.T) {
	e := newEnv(t, Options{})
	a, b := e.dial(alice), e.dial(bob)
	a.hello()
	b.hello()
	e.shutdown()
	for _, c := range []*client{a, b} {
		if got := c.closed(); got != websocket.StatusGoingAway {
			t.Errorf("%s: close status at shutdown: got %v, want %v", c.name, got, websocket.StatusGoingAway)
		}
	}
	if got := e.hub.Sockets(); got != 0 {
		t.Errorf("sockets after shutdown: got %d, want 0", got)
	}
}

// Every goroutine the hub starts ends with its socket or with Run.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		e := newEnv(t, Options{QueueSize: 8})
		for i := range 3 {
			e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
		}
		var clients []*client
		for _, u := range []int64{alice, bob, carol, alice} {
			c := e.dial(u)
			c.hello()
			clients = append(clients, c)
		}
		clients[0].resume(map[string]int64{topicN: 0})
		clients[0].expectSeqs(topicN, 1, 3)
		clients[1].send(map[string]any{"type": "typing", "thread_id": thread})
		clients[0].next()
		e.send(e.store.assign(numberN, alice, carol))
		clients[2].next()
		clients[2].next()
		clients[3].close() // a client that leaves first
		e.shutdown()
		for _, c := range clients {
			c.close()
			c.closed()
		}
	}()
	if !poll(func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: got %d, want at most %d as before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}

// A socket the store cannot serve is closed with 1013: reconnect and resume.
func TestStoreDown(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.down.Store(true)
	a := e.dial(alice)
	if got := a.closed(); got != websocket.StatusTryAgainLater {
		t.Errorf("close status when hello fails: got %v, want %v", got, websocket.StatusTryAgainLater)
	}

	e.store.down.Store(false)
	b := e.dial(bob)
	b.hello()
	e.store.append(topicN, inbox.EventMessageCreated, message(1))
	e.store.down.Store(true)
	b.resume(map[string]int64{topicN: 0})
	if got := b.closed(); got != websocket.StatusTryAgainLater {
		t.Errorf("close status when a replay fails: got %v, want %v", got, websocket.StatusTryAgainLater)
	}
}

// A client that answers pings stays; one that does not is dropped.
func TestPing(t *testing.T) {
	e := newEnv(t, Options{PingInterval: 20 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	a := e.dial(alice)
	a.hello()
	e.dialWith(bob, dialOptions(bob), false) // never reads, so never answers
	eventually(t, "both sockets open", func() bool { return e.hub.Sockets() == 2 })
	eventually(t, "silent client dropped", func() bool { return e.hub.Sockets() == 1 })
	a.expect(e.marker())
}
