package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// dialSession opens a websocket as user, opened with the session whose
// store key is session.
func (e *env) dialSession(user int64, session string) *client {
	e.t.Helper()
	opts := dialOptions(user)
	opts.HTTPHeader.Set("X-Session", session)
	c := e.dialWith(user, opts, true)
	c.name += " (session " + session + ")"
	return c
}

// control publishes an auth change, as the service does after commit.
func (e *env) control(c inbox.AuthChange) {
	e.t.Helper()
	ev, err := c.Event()
	if err != nil {
		e.t.Fatal(err)
	}
	e.send(ev)
}

// An ended session closes its own sockets with 4001, and no other socket
// of its user; a password change closes the user's other sessions' sockets.
func TestSessionEndedClosesItsSockets(t *testing.T) {
	e := newEnv(t, Options{})
	s1, s1b, s2 := e.dialSession(alice, "s1"), e.dialSession(alice, "s1"), e.dialSession(alice, "s2")
	other := e.dialSession(bob, "s1") // another user's: never matches
	for _, c := range []*client{s1, s1b, s2, other} {
		c.hello()
	}
	e.control(inbox.AuthChange{Kind: inbox.AuthSessionEnded, UserID: alice, Session: inbox.SessionRef("s1")})
	for _, c := range []*client{s1, s1b} {
		if got := c.closed(); got != StatusSessionEnded {
			t.Errorf("%s: closed with %v, want %v", c.name, got, StatusSessionEnded)
		}
	}
	m := e.marker()
	s2.expect(m)
	other.expect(m)

	s3 := e.dialSession(alice, "s3")
	s3.hello()
	e.control(inbox.AuthChange{Kind: inbox.AuthOtherSessionsEnded, UserID: alice, Session: inbox.SessionRef("s3")})
	if got := s2.closed(); got != StatusSessionEnded {
		t.Errorf("%s after a password change in s3: closed with %v, want %v", s2.name, got, StatusSessionEnded)
	}
	m = e.marker()
	s3.expect(m)
	other.expect(m)
}

// A role change makes the user's sockets reconnect (4002); a deactivation
// ends them (4001).
func TestUserChangedAndEnded(t *testing.T) {
	e := newEnv(t, Options{})
	a, b := e.dial(alice), e.dial(bob)
	a.hello()
	b.hello()
	e.control(inbox.AuthChange{Kind: inbox.AuthUserChanged, UserID: alice})
	if got := a.closed(); got != StatusAccountChanged {
		t.Errorf("after a role change: closed with %v, want %v", got, StatusAccountChanged)
	}
	e.control(inbox.AuthChange{Kind: inbox.AuthUserEnded, UserID: bob})
	if got := b.closed(); got != StatusSessionEnded {
		t.Errorf("after a deactivation: closed with %v, want %v", got, StatusSessionEnded)
	}
	eventually(t, "both sockets forgotten", func() bool { return e.hub.Sockets() == 0 })
}

// With no control message (the bus lost it), the periodic check closes the
// sockets whose credential the store no longer knows, and only those.
func TestRecheckClosesEndedCredentials(t *testing.T) {
	e := newEnv(t, Options{RecheckEvery: 20 * time.Millisecond})
	gone, kept, bobs := e.dialSession(alice, "gone"), e.dialSession(alice, "kept"), e.dial(bob)
	for _, c := range []*client{gone, kept, bobs} {
		c.hello()
	}
	e.store.end("session:gone")
	if got := gone.closed(); got != StatusSessionEnded {
		t.Errorf("ended session's socket: closed with %v, want %v", got, StatusSessionEnded)
	}
	e.store.end("user:" + strconv.Itoa(bob))
	if got := bobs.closed(); got != StatusSessionEnded {
		t.Errorf("deactivated user's socket: closed with %v, want %v", got, StatusSessionEnded)
	}
	checks := e.store.liveChecks.Load()
	eventually(t, "two more checks", func() bool { return e.store.liveChecks.Load() >= checks+2 })
	m := e.marker()
	kept.expect(m)
}

// A store that cannot answer the check closes nothing: a database outage
// must not sign everyone out.
func TestRecheckStoreDownClosesNothing(t *testing.T) {
	e := newEnv(t, Options{RecheckEvery: 10 * time.Millisecond})
	a := e.dial(alice)
	a.hello()
	e.store.down.Store(true)
	checks := e.store.liveChecks.Load()
	eventually(t, "three failed checks", func() bool { return e.store.liveChecks.Load() >= checks+3 })
	e.store.down.Store(false)
	a.expect(e.marker())
}

// One user may open MaxPerUser sockets on an instance; the next upgrade is
// 429 too_many_sockets, and a closed socket frees its place.
func TestMaxSocketsPerUser(t *testing.T) {
	e := newEnv(t, Options{MaxPerUser: 2})
	a1, a2 := e.dial(alice), e.dial(alice)
	a1.hello()
	a2.hello()
	e.dial(bob).hello() // another user has places of their own

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, e.wsURL(), dialOptions(alice))
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third socket of one user: got %v, %v; want 429", resp, err)
	}
	if code := errorBody(t, resp.Body); code != "too_many_sockets" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third socket: code %q, Retry-After %q; want too_many_sockets with Retry-After", code, resp.Header.Get("Retry-After"))
	}
	a1.close()
	eventually(t, "a place frees up", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, e.wsURL(), dialOptions(alice))
		if err != nil {
			return false
		}
		ws.CloseNow()
		return true
	})
}

// A recruiter's number.updated carries what GET /api/numbers shows them: no
// assignees, and for a number that is not theirs nothing but its id. An
// admin gets the assignees.
func TestNumberUpdatedForRecruiters(t *testing.T) {
	e := newEnv(t, Options{})
	const admin = 9
	e.store.mu.Lock()
	e.store.users[admin] = inbox.User{ID: admin, CompanyID: company, Email: "admin@example.com", Name: "Ada", Role: inbox.RoleAdmin}
	e.store.mu.Unlock()
	a, c, ad := e.dial(alice), e.dial(carol), e.dial(admin)
	for _, cl := range []*client{a, c, ad} {
		cl.hello()
	}
	change := e.store.assign(numberN, alice, bob)
	e.send(change)
	type number struct {
		ID        int64            `json:"id"`
		E164      string           `json:"e164"`
		Label     string           `json:"label"`
		Assignees []map[string]any `json:"assignees"`
	}
	read := func(cl *client) number {
		t.Helper()
		f := cl.next()
		if f.Type != inbox.EventNumberUpdated || f.Seq != change.Seq {
			t.Fatalf("%s: got %v, want the number.updated", cl.name, f)
		}
		var d struct{ Number number }
		if err := json.Unmarshal(f.Data, &d); err != nil {
			t.Fatal(err)
		}
		return d.Number
	}
	if n := read(ad); len(n.Assignees) != 2 {
		t.Errorf("admin: %+v, want both assignees", n)
	}
	if n := read(a); n.ID != numberN || n.Assignees != nil {
		t.Errorf("assigned recruiter: %+v, want the number without assignees", n)
	}
	if n := read(c); n.ID != numberN || n.Assignees != nil || n.E164 != "" || n.Label != "" {
		t.Errorf("recruiter of another number: %+v, want the id alone", n)
	}
}

// watchingStore is a Source that caches credentials: it records what the
// hub tells it.
type watchingStore struct {
	*fakeStore
	mu      sync.Mutex
	changes []inbox.AuthChange
	unknown []bool
}

func (w *watchingStore) AuthChanged(e inbox.Event) {
	c, _ := inbox.ParseAuthChange(e)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changes = append(w.changes, c)
}

func (w *watchingStore) AuthUnknown(listening bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unknown = append(w.unknown, listening)
}

func (w *watchingStore) seen() ([]inbox.AuthChange, []bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.changes), slices.Clone(w.unknown)
}

// A Source that caches credentials hears from the hub every control message
// (a name change too, which closes no socket), that caching may start when
// the hub listens, that messages may have been lost when the bus recovers,
// and that caching must stop when the hub stops.
func TestAuthWatcher(t *testing.T) {
	w := &watchingStore{fakeStore: newFakeStore(company)}
	bus := newFakeBus()
	h := New(w, bus, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	<-bus.subscribed
	for _, c := range []inbox.AuthChange{{Kind: inbox.AuthSessionEnded, UserID: alice, Session: "s"}, {Kind: inbox.AuthUserUpdated, UserID: bob}} {
		ev, err := c.Event()
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	bus.recover()
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	changes, unknown := w.seen()
	if len(changes) != 2 || changes[0].Kind != inbox.AuthSessionEnded || changes[1] != (inbox.AuthChange{Kind: inbox.AuthUserUpdated, UserID: bob}) {
		t.Errorf("control messages passed on: got %+v, want both", changes)
	}
	if !slices.Equal(unknown, []bool{true, true, false}) {
		t.Errorf("AuthUnknown calls: got %v, want [true true false] (start, recovery, stop)", unknown)
	}
}
