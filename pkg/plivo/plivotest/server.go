package plivotest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/clock"
)

// Create is one text the fake accepted, as plivo-go sent it.
type Create struct {
	Src, Dst, Text string
	URL, Method    string    // the status callback
	MessageUUID    string    // what the fake answered (or would have: see Hung)
	Hung           bool      // taken by a HangNext step: the client never heard of MessageUUID
	At             time.Time // when the fake accepted it, by its clock (SetClock; the wall clock's by default)
}

// Server is a fake of Plivo's Message API, POST /v1/Account/{auth_id}/Message/,
// checking Basic auth against its auth id and token and answering 202 with a
// new message_uuid, the way Plivo does. It records every text it accepts and
// can be scripted, request by request, to answer an error, to hang, to stall
// or to drop the connection. It also answers Plivo's Message list, GET on
// the same path, with its message records: the texts it accepted (outbound)
// and the texts it "received" (Receive) — records.go. It is safe for
// concurrent use.
type Server struct {
	// URL is the base URL to give the Sender as its API URL.
	URL string
	// AuthID and AuthToken are the credentials the fake accepts.
	AuthID, AuthToken string

	srv       *httptest.Server
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	onCreate func(Create)
	creates  []Create
	requests int
	script   []step
	drops    int
	held     int              // requests hanging or stalled now
	media    map[string]Media // by path

	clock   clock.Clock // nil: the wall clock
	records []Record    // added records (inbound texts), besides the creates
	lists   listLimit
}

// Media is a file the fake serves as Plivo serves an MMS's media: at a URL
// under the API, to the account's Basic auth only.
type Media struct {
	ContentType string
	Body        []byte
}

// step is a scripted answer for one request.
type step struct {
	status     int           // an error status to answer instead of 202
	retryAfter time.Duration // the Retry-After header, when positive
	hang       bool          // accept the text, then answer nothing
	stall      bool          // never read the request: answer nothing, record nothing
}

// NewServer starts a fake for the account authID/authToken; it is closed
// when the test ends.
func NewServer(t testing.TB, authID, authToken string) *Server {
	t.Helper()
	s := &Server{AuthID: authID, AuthToken: authToken, closed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/Account/{auth_id}/Message/{$}", s.create)
	mux.HandleFunc("GET /v1/Account/{auth_id}/Message/{$}", s.list)
	mux.HandleFunc("GET /v1/Account/{auth_id}/Media/{id}/{$}", s.serveMedia)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"api_id": newUUID(), "error": "not found"})
	})
	s.srv = httptest.NewUnstartedServer(mux)
	// A new connection per request, so that DropNext hits the next one.
	s.srv.Config.SetKeepAlivesEnabled(false)
	s.srv.Listener = &dropListener{Listener: s.srv.Listener, s: s}
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the fake, releasing any hanging request first.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// Creates returns every text accepted so far, in order.
func (s *Server) Creates() []Create {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Create(nil), s.creates...)
}

// Requests returns how many send requests reached the API (dropped
// connections do not count; Message list requests are counted by Lists).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// FailNext makes the next n requests answer status (429, 500, 400, …) with
// a Plivo-style error body, and a Retry-After header in whole seconds when
// retryAfter is positive. They are not recorded as creates.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, step{status: status, retryAfter: retryAfter})
	}
}

// HangNext makes the next n requests be read and recorded as creates, as
// Plivo would queue them, and then answered nothing until the client gives
// up: the client cannot know whether the text was taken.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, step{hang: true})
	}
}

// StallNext makes the next n requests get no answer until the client gives
// up, with the fake reading nothing of them and recording nothing: the
// client wrote its request and cannot know that Plivo never took the text.
func (s *Server) StallNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, step{stall: true})
	}
}

// Held returns how many requests are hanging or stalled right now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// SetClock makes the fake read c for the time of what it accepts and
// receives, and for its list rate limit.
func (s *Server) SetClock(c clock.Clock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = c
}

// now is the fake's time, in UTC with Plivo's precision (microseconds).
func (s *Server) now() time.Time {
	s.mu.Lock()
	c := s.clock
	s.mu.Unlock()
	if c == nil {
		c = clock.Real()
	}
	return c.Now().UTC().Truncate(time.Microsecond)
}

// hold blocks a request until its client goes away or the fake closes.
func (s *Server) hold(r *http.Request) {
	s.mu.Lock()
	s.held++
	s.mu.Unlock()
	select {
	case <-r.Context().Done():
	case <-s.closed:
	}
	s.mu.Lock()
	s.held--
	s.mu.Unlock()
}

// OnCreate sets a function called with each accepted text before the fake
// answers: a test can deliver a status callback that overtakes the answer,
// as Plivo's sometimes do.
func (s *Server) OnCreate(fn func(Create)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCreate = fn
}

// DropNext makes the fake close the next n connections as soon as they are
// accepted, before reading any request.
func (s *Server) DropNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops += n
}

// createBody is the JSON plivo-go sends.
type createBody struct {
	Src    string `json:"src"`
	Dst    string `json:"dst"`
	Text   string `json:"text"`
	URL    string `json:"url"`
	Method string `json:"method"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()

	if !s.authorized(w, r) {
		return
	}
	// A script step applies to the next authenticated request, taken as
	// it arrives (requests arriving together take one step each); one
	// whose body turns out malformed gives its step back to the next.
	var next step
	s.mu.Lock()
	if len(s.script) > 0 {
		next, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	if next.stall {
		// Drained and dropped, never decoded: to the client this is a
		// request nobody took. Reading it to the end lets the server
		// notice when the client goes away, which ends the hold.
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 1<<20)) //nolint:errcheck // dropped anyway
		s.hold(r)
		return
	}
	var body createBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		if next != (step{}) {
			s.mu.Lock()
			s.script = append([]step{next}, s.script...)
			s.mu.Unlock()
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"api_id": newUUID(), "error": "invalid JSON: " + err.Error()})
		return
	}
	if next.status != 0 {
		if next.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((next.retryAfter+time.Second-1)/time.Second)))
		}
		writeJSON(w, next.status, map[string]any{"api_id": newUUID(), "error": http.StatusText(next.status)})
		return
	}
	for _, f := range []struct{ name, value string }{{"src", body.Src}, {"dst", body.Dst}, {"text", body.Text}} {
		if f.value == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"api_id": newUUID(), "error": f.name + " parameter is required"})
			return
		}
	}
	uuid := newUUID()
	c := Create{Src: body.Src, Dst: body.Dst, Text: body.Text, URL: body.URL, Method: body.Method, MessageUUID: uuid, At: s.now(),
		Hung: next.hang}
	s.mu.Lock()
	s.creates = append(s.creates, c)
	onCreate := s.onCreate
	s.mu.Unlock()
	if onCreate != nil {
		onCreate(c)
	}
	if next.hang {
		s.hold(r)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"api_id":       newUUID(),
		"message":      "message(s) queued",
		"message_uuid": []string{uuid},
	})
}

// dropListener closes accepted connections while drops are scripted.
type dropListener struct {
	net.Listener
	s *Server
}

func (l *dropListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.mu.Lock()
		drop := l.s.drops > 0
		if drop {
			l.s.drops--
		}
		l.s.mu.Unlock()
		if !drop {
			return c, nil
		}
		c.Close()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// AddMedia serves m and returns its URL, the one an inbound MMS webhook
// names in Media0, Media1, …
func (s *Server) AddMedia(id string, m Media) string {
	path := "/v1/Account/" + s.AuthID + "/Media/" + id + "/"
	s.mu.Lock()
	if s.media == nil {
		s.media = map[string]Media{}
	}
	s.media[path] = m
	s.mu.Unlock()
	return s.URL + path
}

// authorized checks the request's Basic auth and account, answering 401
// when they are not the fake's.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	id, token, ok := r.BasicAuth()
	if !ok || id != s.AuthID || token != s.AuthToken || r.PathValue("auth_id") != s.AuthID {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"api_id": newUUID(), "error": "Authentication failed"})
		return false
	}
	return true
}

func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	m, found := s.media[r.URL.Path]
	s.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"api_id": newUUID(), "error": "not found"})
		return
	}
	w.Header().Set("Content-Type", m.ContentType)
	w.Write(m.Body) //nolint:errcheck // the client went away
}
