package hub

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

func TestHelloShape(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.append(topicN, inbox.EventMessageCreated, map[string]any{"n": 1})
	e.store.append(topicN, inbox.EventMessageCreated, map[string]any{"n": 2})
	e.store.append(topicCompany, inbox.EventContactUpdated, map[string]any{"n": 1})

	a := e.dial(alice)
	f := a.next()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(f.raw, &raw); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(raw)), []string{"data", "seq", "topic", "type"}; !slices.Equal(got, want) {
		t.Errorf("hello frame keys: got %v, want %v", got, want)
	}
	var hello inbox.Hello
	if err := json.Unmarshal(f.Data, &hello); err != nil {
		t.Fatalf("decode hello: %v", err)
	}
	if f.Type != "hello" || f.Topic != "" || f.Seq != 0 {
		t.Errorf("hello: got %v, want type hello, empty topic, seq 0", f)
	}
	if hello.User.ID != alice || hello.User.Name != "Alice" {
		t.Errorf("hello user: got %+v, want Alice (%d)", hello.User, alice)
	}
	if want := map[string]int64{topicCompany: 1, topicN: 2}; !maps.Equal(hello.Topics, want) {
		t.Errorf("hello topics: got %v, want %v", hello.Topics, want)
	}
	var data struct {
		Inbox map[string]json.RawMessage `json:"inbox"`
	}
	if err := json.Unmarshal(f.Data, &data); err != nil {
		t.Fatal(err)
	}
	if _, ok := data.Inbox["unread_total"]; !ok {
		t.Errorf("hello inbox: got keys %v, want unread_total among them", slices.Sorted(maps.Keys(data.Inbox)))
	}

	c := e.dial(carol)
	if got, want := c.hello().Topics, map[string]int64{topicCompany: 1, topicM: 0}; !maps.Equal(got, want) {
		t.Errorf("carol's hello topics: got %v, want %v", got, want)
	}
}

// Events committed while the hello snapshot is on its way come after hello,
// once each: on the company topic (subscribed before the snapshot) and on a
// number topic (subscribed after it, and caught up from the store).
func TestHelloRace(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.duringNextHello(func() {
		e.publish(topicCompany, inbox.EventContactUpdated, map[string]any{"n": 1})
		e.publish(topicN, inbox.EventMessageCreated, map[string]any{"n": 1})
		e.publish(topicN, inbox.EventMessageCreated, map[string]any{"n": 2})
	})
	a := e.dial(alice)
	if got, want := a.hello().Topics, map[string]int64{topicCompany: 0, topicN: 0}; !maps.Equal(got, want) {
		t.Fatalf("hello topics: got %v, want %v", got, want)
	}
	got := map[string][]int64{}
	for range 3 {
		f := a.next()
		got[f.Topic] = append(got[f.Topic], f.Seq)
	}
	want := map[string][]int64{topicCompany: {1}, topicN: {1, 2}}
	for topic, seqs := range want {
		if !slices.Equal(got[topic], seqs) {
			t.Errorf("after hello, %s: got seqs %v, want %v", topic, got[topic], seqs)
		}
	}
	a.expect(e.marker())
	a.expect(e.publish(topicN, inbox.EventMessageCreated, map[string]any{"n": 3}))
}

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t, Options{})
	resp, err := http.Get(e.srv.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status: got %d, want %d", resp.StatusCode, http.StatusUnauthorized)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("content type: got %q, want application/json", got)
	}
	if code := errorBody(t, resp.Body); code != "unauthenticated" {
		t.Errorf("error code: got %q, want unauthenticated", code)
	}
}

func TestOrigin(t *testing.T) {
	e := newEnv(t, Options{OriginPatterns: []string{"https://ats.example.com"}})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},                        // not a browser
		{e.srv.URL, true},                 // the request's own host
		{"https://ats.example.com", true}, // configured
		{"https://evil.example.com", false},
		{"http://ats.example.com", false}, // wrong scheme
	} {
		opts := dialOptions(alice)
		if tc.origin != "" {
			opts.HTTPHeader.Set("Origin", tc.origin)
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		ws, resp, err := websocket.Dial(ctx, e.wsURL(), opts)
		cancel()
		if tc.ok {
			if err != nil {
				t.Errorf("origin %q: got %v, want a socket", tc.origin, err)
				continue
			}
			ws.CloseNow()
			continue
		}
		if err == nil {
			ws.CloseNow()
			t.Errorf("origin %q with a valid user: got a socket, want 403", tc.origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: got %v (%v), want status 403", tc.origin, resp, err)
		}
	}
}

func TestNotRunning(t *testing.T) {
	h := New(newFakeStore(company), newFakeBus(), Options{})
	r := httptest.NewRequest(http.MethodGet, "/ws", nil)
	r = r.WithContext(inbox.WithUser(r.Context(), inbox.User{ID: alice, CompanyID: company}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("before Run: got status %d, want %d", w.Code, http.StatusServiceUnavailable)
	}
	if code := errorBody(t, w.Body); code != "unavailable" {
		t.Errorf("error code: got %q, want unavailable", code)
	}
}

// The tabs of one user that open while a hello is being read share the next
// read: six sockets, two store reads. Each still gets a complete hello and
// then every live event.
func TestHelloSharedByAUsersSockets(t *testing.T) {
	e := newEnv(t, Options{})
	reads, shared := counterValue(t, helloReads), counterValue(t, helloShared)
	entered, release := make(chan struct{}), make(chan struct{})
	e.store.duringNextHello(func() {
		close(entered)
		<-release
	})
	first := e.dial(alice)
	<-entered
	var others []*client
	for range 5 {
		others = append(others, e.dial(alice))
	}
	// One of the five leads the next read; the other four join it.
	eventually(t, "four sockets waiting to share a hello", func() bool { return counterValue(t, helloShared)-shared == 4 })
	close(release)
	for _, c := range append(others, first) {
		if h := c.hello(); h.User.ID != alice || len(h.Topics) != 2 {
			t.Fatalf("hello: got %+v, want Alice's with the company and number topics", h)
		}
	}
	if got := counterValue(t, helloReads) - reads; got != 2 {
		t.Errorf("hello reads for six sockets: got %v, want 2", got)
	}
	ev := e.publish(topicN, inbox.EventMessageCreated, message(1))
	for _, c := range append(others, first) {
		c.expect(ev)
	}
}

// The seqs a socket reads after its hello (of the number topics the hello
// named) are shared the same way by the user's sockets opening together.
func TestSeqsSharedByAUsersSockets(t *testing.T) {
	e := newEnv(t, Options{})
	shared := counterValue(t, seqsShared)
	entered, release := make(chan struct{}), make(chan struct{})
	e.store.mu.Lock()
	e.store.onSeqs = func() {
		close(entered)
		<-release
	}
	e.store.mu.Unlock()
	first := e.dial(alice)
	<-entered
	before := e.store.topicSeqsCalls.Load()
	var others []*client
	for range 5 {
		others = append(others, e.dial(alice))
	}
	eventually(t, "four sockets waiting to share a seqs read", func() bool { return counterValue(t, seqsShared)-shared == 4 })
	close(release)
	all := append(others, first)
	for _, c := range all {
		c.hello()
	}
	if got := e.store.topicSeqsCalls.Load() - before; got != 1 {
		t.Errorf("seqs reads for the five sockets that opened during the first's: got %d, want 1", got)
	}
	ev := e.publish(topicN, inbox.EventMessageCreated, message(1))
	for _, c := range all {
		c.expect(ev)
	}
}
