package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// The company of every test, its users and numbers.
const (
	company = 1
	alice   = 1 // recruiter on numberN
	bob     = 2 // recruiter on numberN
	carol   = 3 // recruiter on numberM only
	numberN = 10
	numberM = 20
	thread  = 100 // a thread of numberN
)

var (
	topicN       = inbox.NumberTopic(numberN)
	topicM       = inbox.NumberTopic(numberM)
	topicCompany = inbox.CompanyTopic(company)
)

// waitFor is how long a test waits for anything before it fails.
const waitFor = 10 * time.Second

// env is a running Hub behind an httptest.Server, with a fake store and bus.
type env struct {
	t     testing.TB
	store *fakeStore
	bus   *fakeBus
	hub   *Hub
	srv   *httptest.Server
	stop  context.CancelFunc
	ran   chan error // Run's result
	down  sync.Once
}

// newEnv starts a hub; requests name their user in the X-User header, as the
// web layer's authentication would.
func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	st := newFakeStore(company)
	for id, name := range map[int64]string{alice: "Alice", bob: "Bob", carol: "Carol"} {
		st.users[id] = inbox.User{ID: id, CompanyID: company, Email: strings.ToLower(name) + "@example.com", Name: name, Role: inbox.RoleRecruiter}
	}
	st.numbers[numberN] = []int64{alice, bob}
	st.numbers[numberM] = []int64{carol}
	st.threads[thread] = numberN

	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.GapWait == 0 {
		opts.GapWait = 50 * time.Millisecond
	}
	e := &env{t: t, store: st, bus: newFakeBus(), ran: make(chan error, 1)}
	e.hub = New(st, e.bus, opts)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, err := strconv.ParseInt(r.Header.Get("X-User"), 10, 64); err == nil {
			st.mu.Lock()
			u := st.users[id]
			st.mu.Unlock()
			r = r.WithContext(inbox.WithAuth(r.Context(), inbox.Auth{User: u, Session: r.Header.Get("X-Session")}))
		}
		e.hub.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	go func() { e.ran <- e.hub.Run(ctx) }()
	select {
	case <-e.bus.subscribed:
	case <-time.After(waitFor):
		t.Fatal("hub did not subscribe to the bus")
	}
	t.Cleanup(e.shutdown)
	return e
}

// shutdown stops the hub and the server; it may be called more than once.
func (e *env) shutdown() {
	e.down.Do(func() {
		e.stop()
		select {
		case err := <-e.ran:
			if err != nil {
				e.t.Errorf("Run: got %v, want nil", err)
			}
		case <-time.After(waitFor):
			e.t.Error("Run did not return after its context ended")
		}
		e.srv.Close()
	})
}

// publish stores an event and publishes it, as the service does after commit.
func (e *env) publish(topic, typ string, data any) inbox.Event {
	ev := e.store.append(topic, typ, data)
	e.send(ev)
	return ev
}

// send publishes events that are already stored.
func (e *env) send(events ...inbox.Event) {
	if err := e.bus.Publish(context.Background(), events...); err != nil {
		e.t.Fatalf("publish: %v", err)
	}
}

// marker publishes an event every socket of the company gets: a socket whose
// next frame is the marker got nothing else in between.
func (e *env) marker() inbox.Event {
	return e.publish(topicCompany, inbox.EventContactUpdated, map[string]any{"contact": map[string]any{"id": 1}})
}

// testFrame is a server frame as a client reads it.
type testFrame struct {
	Type  string          `json:"type"`
	Topic string          `json:"topic"`
	Seq   int64           `json:"seq"`
	Data  json.RawMessage `json:"data"`
	raw   []byte          // the frame as sent
}

func (f testFrame) String() string { return fmt.Sprintf("%s %s#%d %s", f.Type, f.Topic, f.Seq, f.Data) }

// client is a test's websocket; a goroutine reads its frames into a channel.
type client struct {
	t      testing.TB
	name   string
	ws     *websocket.Conn
	frames chan testFrame
	done   chan struct{} // closed when reading stopped; err says why
	err    error
	stop   chan struct{}
}

func dialOptions(user int64) *websocket.DialOptions {
	h := http.Header{}
	h.Set("X-User", strconv.FormatInt(user, 10))
	return &websocket.DialOptions{HTTPHeader: h}
}

func (e *env) wsURL() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws" }

// dial opens a websocket as user and starts reading it.
func (e *env) dial(user int64) *client {
	e.t.Helper()
	return e.dialWith(user, dialOptions(user), true)
}

// dialWith opens a websocket as user with opts and the upgrade's query, if
// any; the caller reads it unless read.
func (e *env) dialWith(user int64, opts *websocket.DialOptions, read bool, query ...string) *client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	u := e.wsURL()
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	ws, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		e.t.Fatalf("dial as user %d: %v", user, err)
	}
	if resp.Body != nil {
		resp.Body.Close()
	}
	c := &client{t: e.t, name: fmt.Sprintf("user %d", user), ws: ws, frames: make(chan testFrame, 1<<14), done: make(chan struct{}), stop: make(chan struct{})}
	if read {
		go c.read()
	}
	e.t.Cleanup(c.close)
	return c
}

func (c *client) read() {
	defer close(c.done)
	for {
		_, b, err := c.ws.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		f := testFrame{raw: b}
		if err := json.Unmarshal(b, &f); err != nil {
			c.err = fmt.Errorf("decode %s: %w", b, err)
			return
		}
		select {
		case c.frames <- f:
		case <-c.stop:
			return
		}
	}
}

func (c *client) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	_ = c.ws.CloseNow()
}

// next returns the client's next frame.
func (c *client) next() testFrame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.done:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		c.t.Fatalf("%s: connection ended waiting for a frame: %v", c.name, c.err)
	case <-time.After(waitFor):
		c.t.Fatalf("%s: no frame within %v", c.name, waitFor)
	}
	return testFrame{}
}

// hello reads the first frame, which must be hello.
func (c *client) hello() inbox.Hello {
	c.t.Helper()
	f := c.next()
	if f.Type != inbox.EventHello || f.Topic != "" || f.Seq != 0 {
		c.t.Fatalf("%s: first frame: got %v, want hello with no topic and seq 0", c.name, f)
	}
	var h inbox.Hello
	if err := json.Unmarshal(f.Data, &h); err != nil {
		c.t.Fatalf("%s: decode hello: %v", c.name, err)
	}
	return h
}

// expect reads the next frame and checks it is event ev.
func (c *client) expect(ev inbox.Event) {
	c.t.Helper()
	f := c.next()
	if f.Type != ev.Type || f.Topic != ev.Topic || f.Seq != ev.Seq {
		c.t.Fatalf("%s: got %v, want %s %s#%d", c.name, f, ev.Type, ev.Topic, ev.Seq)
	}
}

// expectSeqs reads frames of topic and checks their seqs are from..to.
func (c *client) expectSeqs(topic string, from, to int64) {
	c.t.Helper()
	for want := from; want <= to; want++ {
		f := c.next()
		if f.Topic != topic || f.Seq != want {
			c.t.Fatalf("%s: got %v, want %s#%d", c.name, f, topic, want)
		}
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("%s: send %s: %v", c.name, b, err)
	}
}

func (c *client) resume(points map[string]int64) {
	c.t.Helper()
	c.send(map[string]any{"type": "resume", "topics": points})
}

// closed waits for the connection to end and returns its close status.
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitFor):
		c.t.Fatalf("%s: still open after %v", c.name, waitFor)
	}
	return websocket.CloseStatus(c.err)
}

// eventually polls cond until it holds or the wait is over.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !poll(cond) {
		t.Fatalf("%s: not within %v", what, waitFor)
	}
}

// poll reports whether cond came to hold within waitFor.
func poll(cond func() bool) bool {
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// errorBody decodes an API error.
func errorBody(t *testing.T, r io.Reader) (code string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		t.Fatalf("decode error body: %v", err)
	}
	if body.Error.Message == "" {
		t.Errorf("error message: got empty, want a sentence")
	}
	return body.Error.Code
}
