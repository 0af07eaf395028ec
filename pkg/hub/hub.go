package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// StatusTooSlow closes a socket whose client did not read its frames fast
// enough: it should reconnect and resume.
const StatusTooSlow websocket.StatusCode = 4000

// Options tune a Hub; zero values take the defaults.
type Options struct {
	// OriginPatterns are the origins allowed to open a socket besides the
	// request's own host, as coder/websocket matches them: "host" or
	// "scheme://host", with path.Match wildcards.
	OriginPatterns []string
	// ReadLimit is the largest client frame in bytes (default 4 KiB); a
	// larger one closes the socket with 1009.
	ReadLimit int64
	// PingInterval is how often an idle client is pinged (default 30 s); a
	// client that does not answer within WriteTimeout is dropped.
	PingInterval time.Duration
	// WriteTimeout bounds each run of writes to a socket (default 10 s).
	WriteTimeout time.Duration
	// QueueSize is how many frames may wait for a socket (default 256);
	// one more closes it with StatusTooSlow.
	QueueSize int
	// Writers is how many goroutines write frames to sockets (default: one
	// fewer than GOMAXPROCS, at least 1). Fan-out is CPU work: an event
	// for 10,000 sockets that kept every processor busy would leave none
	// idle to poll the network, and the Go scheduler would then see a
	// finished database or Redis round trip only every 10 ms or so — a
	// webhook makes a dozen. A writer never waits for a slow client (its
	// socket's send buffer does), so a few suffice.
	Writers int
	// GapWait is how long an event that arrived ahead of its predecessor
	// waits for it before the missing ones are read from the store
	// (default 250 ms).
	GapWait time.Duration
	// MaxPerUser is how many sockets one user may have open on this
	// process (default 0: no limit); one more upgrade is answered 429
	// too_many_sockets.
	MaxPerUser int
	// RecheckEvery is how often the credential of every open socket is
	// checked against the store (default 30 s): the safety net for a
	// control message the bus lost, and what ends the sockets of a session
	// that expired while they were open.
	RecheckEvery time.Duration
	// Logger gets the hub's logs (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4 << 10
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.Writers <= 0 {
		o.Writers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if o.GapWait <= 0 {
		o.GapWait = 250 * time.Millisecond
	}
	if o.RecheckEvery <= 0 {
		o.RecheckEvery = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// The hub's life: sockets are accepted only while it runs.
const (
	stateIdle = iota
	stateRunning
	stateStopped
)

// shardCount spreads topics over this many locks, so that fan-out on one
// topic does not wait for fan-out on another.
const shardCount = 64

// Hub keeps this process's websockets and delivers events to them. It is an
// http.Handler for GET /ws; Run feeds it from the bus, and sockets are
// accepted only while Run runs (503 unavailable before and after).
type Hub struct {
	src  Source
	bus  inbox.Bus
	opts Options
	log  *slog.Logger
	// storeFaults logs the store's failures to serve sockets once per
	// interval with a count: an outage closes every socket alike.
	storeFaults *inbox.FaultLog
	// quarter is QueueSize/4 (at least 1): the store page size of a
	// socket's replay, the most live frames it holds meanwhile, and the
	// backlog a replay waits for before its next page.
	quarter int
	// paceAt is the backlog (QueueSize less a quarter) from which a socket
	// takes paced frames (a catch-up's) from the store by itself.
	paceAt int
	// ready is the line of sockets with frames to write.
	ready writeQueue

	seed   maphash.Seed
	shards [shardCount]shard

	mu      sync.Mutex
	state   int
	sockets map[*socket]struct{}
	perUser map[int64]int // sockets open or opening, per user
	// wg counts every goroutine of every socket, so that Run returns only
	// once they have all ended.
	wg sync.WaitGroup

	fills  fillQueue
	box    mailbox
	hellos flights[inbox.User, inbox.Hello]
	seqs   flights[seqsKey, map[string]int64]
	// interest is the bus, when it delivers only wanted topics.
	interest Interest
	runCtx   context.Context // Run's; set before any socket is accepted
}

// New returns a Hub reading from src and fed by bus; call Run to start it.
func New(src Source, bus inbox.Bus, opts Options) *Hub {
	opts = opts.withDefaults()
	h := &Hub{
		src:  src,
		bus:  bus,
		opts: opts,
		log:  opts.Logger,
		storeFaults: inbox.NewFaultLog(opts.Logger, slog.LevelWarn,
			"hub: reading the store failed; sockets are closed and resume when it is back", 0),
		quarter: max(1, opts.QueueSize/4),
		paceAt:  max(1, opts.QueueSize-max(1, opts.QueueSize/4)),
		seed:    maphash.MakeSeed(),
		sockets: make(map[*socket]struct{}),
		perUser: make(map[int64]int),
		fills:   newFillQueue(),
		hellos:  newFlights[inbox.User, inbox.Hello](),
		seqs:    newFlights[seqsKey, map[string]int64](),
	}
	for i := range h.shards {
		h.shards[i].topics = make(map[string]*topic)
	}
	h.ready = writeQueue{max: opts.Writers, spawn: h.wg.Go, run: (*socket).writeTurn}
	h.interest, _ = bus.(Interest)
	return h
}

// Sockets returns the number of open websockets.
func (h *Hub) Sockets() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sockets)
}

// Run delivers the bus's events to the hub's sockets until ctx ends, then
// closes every socket with 1001 (going away) and returns once all of their
// goroutines have ended. It returns an error only if the bus subscription
// failed before ctx ended.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.state != stateIdle {
		h.mu.Unlock()
		return errors.New("hub: Run called twice")
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.state, h.runCtx = stateRunning, runCtx
	h.mu.Unlock()

	var fillers sync.WaitGroup
	for range fillWorkers {
		fillers.Go(func() { h.fillLoop(runCtx) })
	}
	fillers.Go(func() { h.recheckLoop(runCtx) })
	watcher, _ := h.src.(AuthWatcher)
	if watcher != nil {
		watcher.AuthUnknown(true)
	}
	err := h.bus.Subscribe(runCtx, h.deliver, func() {
		if watcher != nil {
			watcher.AuthUnknown(true)
		}
		h.refillAll()
	})
	cancel()
	if watcher != nil {
		watcher.AuthUnknown(false)
	}
	h.closeMailbox()
	h.shutdown()
	fillers.Wait()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("hub: subscribe to the bus: %w", err)
	}
	return nil
}

// shutdown refuses new sockets, closes the open ones and waits for them.
func (h *Hub) shutdown() {
	h.mu.Lock()
	h.state = stateStopped
	open := slices.Collect(maps.Keys(h.sockets))
	h.mu.Unlock()
	var closing sync.WaitGroup
	for _, s := range open {
		closing.Go(func() { s.close(closeShutdown) })
	}
	closing.Wait()
	h.wg.Wait()
}

// ServeHTTP upgrades GET /ws to a websocket. The web layer has already
// authenticated the request and put the caller (inbox.WithAuth) in its
// context: the socket is closed when that credential ends.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := inbox.AuthFrom(r.Context())
	if !ok {
		writeError(w, http.StatusUnauthorized, inbox.ErrUnauthenticated.Code, inbox.ErrUnauthenticated.Message)
		return
	}
	points, err := resumeQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_resume", err.Error())
		return
	}
	if !h.running() {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "real-time updates are not running; try again")
		return
	}
	if !h.reserve(a.User.ID) {
		refusedPerUser.Inc()
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, "too_many_sockets",
			fmt.Sprintf("you have %d live connections open already; close a tab or window", h.opts.MaxPerUser))
		return
	}
	rec := &hijackRecorder{ResponseWriter: w, h: h}
	ws, err := websocket.Accept(rec, r, &websocket.AcceptOptions{OriginPatterns: h.opts.OriginPatterns})
	if err != nil {
		h.release(a.User.ID)
		// Accept has answered (403 for a foreign origin, 4xx for a bad handshake).
		h.log.Debug("hub: websocket refused", "user", a.User.ID, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	// From here on only a, ws and the raw connection are kept: returning
	// lets net/http free the request and its connection state, and the
	// socket lives on in its own reader goroutine.
	h.accept(ws, rec.out, a, points)
}

// resumeQuery reads the upgrade's resume query parameter: the topics of
// a resume frame (a JSON object of topic → seq), given with the upgrade so
// that they are served right after hello, before anything live, however
// the server's goroutines are scheduled. A resume frame sent once the
// socket is open may be read after live events went out past the hello's
// snapshot, and is then answered with resync.
func resumeQuery(r *http.Request) (map[string]int64, error) {
	q := r.URL.Query().Get("resume")
	if q == "" {
		return nil, nil
	}
	var points map[string]int64
	if err := json.Unmarshal([]byte(q), &points); err != nil {
		return nil, fmt.Errorf(`resume must be a JSON object of topic to seq, like {"number:3":38}`)
	}
	if len(points) > maxEarly {
		return nil, fmt.Errorf("resume names %d topics; at most %d", len(points), maxEarly)
	}
	return points, nil
}

// runContext returns Run's context: store reads shared by several sockets
// live as long as the hub, not as one socket.
func (h *Hub) runContext() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.runCtx == nil {
		return context.Background()
	}
	return h.runCtx
}

func (h *Hub) running() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state == stateRunning
}

// accept registers an accepted websocket and starts it. Its place among
// its user's sockets is reserved already; teardown gives it back.
func (h *Hub) accept(ws *websocket.Conn, out *sendBuffer, a inbox.Auth, points map[string]int64) {
	ws.SetReadLimit(h.opts.ReadLimit)
	s := newSocket(h, ws, out, a)
	s.resume(points) // before hello: served right after it
	h.mu.Lock()
	if h.state != stateRunning {
		h.mu.Unlock()
		h.release(a.User.ID)
		_ = ws.Close(closeShutdown.code, closeShutdown.text)
		return
	}
	h.sockets[s] = struct{}{}
	h.wg.Add(1) // the reader, started below
	h.mu.Unlock()
	openSockets.Inc()
	s.start()
	go s.readLoop()
}

// forget removes a closing socket from the hub's set.
func (h *Hub) forget(s *socket) {
	h.mu.Lock()
	_, ok := h.sockets[s]
	delete(h.sockets, s)
	h.mu.Unlock()
	if ok {
		openSockets.Dec()
	}
}

// hijackRecorder puts a send buffer (sendbuf.go) between the connection
// that websocket.Accept hijacks and the websocket's writes, and keeps it.
type hijackRecorder struct {
	http.ResponseWriter
	h   *Hub
	out *sendBuffer
}

// Hijack hijacks the underlying connection and gives coder/websocket a
// writer onto its send buffer. It also trades net/http's 4 KiB read and
// write buffers, which a socket keeps as long as it lives, for smaller
// ones: client frames are a few hundred bytes, and the send buffer joins
// each of ours, so the writer needs room only for a frame's header. The
// read buffer is kept when the client has already sent something it holds.
func (w *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("hijack: %w", err)
	}
	// net/http hands back an empty writer (it resets its own on hijack), so
	// replacing it loses nothing.
	r := brw.Reader
	if r.Buffered() == 0 {
		r = bufio.NewReaderSize(c, socketReadBuffer)
	}
	w.out = newSendBuffer(c, w.h.opts.WriteTimeout, w.h.wg.Go)
	return c, bufio.NewReadWriter(r, bufio.NewWriterSize(w.out, frameBuffer)), nil
}

// socketReadBuffer is the size of a socket's read buffer, which it keeps
// for life: a client's frames are rare and a few hundred bytes (a longer
// one is read in more than one system call).
const socketReadBuffer = 256

// writeError answers with the JSON error of API.md.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = json.NewEncoder(w).Encode(struct {
		Error body `json:"error"`
	}{body{code, message}})
}
