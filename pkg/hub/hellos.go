package hub

import (
	"context"
	"fmt"
	"sync"

	"smsinbox/pkg/inbox"
)

// helloGroup shares hello snapshots between the sockets of one user that
// open together (a user's tabs reconnecting at once after a deploy, or a
// page that opens several): one store read serves them all.
//
// A socket's snapshot must be read after it subscribed to its company topic
// (socket.hello explains why), so a socket may only join a read that has
// not started yet. Per user there is at most one read running and one
// waiting: a socket that finds a read running joins the waiting one (or
// opens it, and leads it once the running read ends). So n tabs that open
// together cost two reads, not n.
type helloGroup struct {
	mu      sync.Mutex
	running map[inbox.User]*helloFlight
	waiting map[inbox.User]*helloFlight
}

// helloFlight is one read of a user's hello, shared by its sockets.
type helloFlight struct {
	done  chan struct{} // closed once hello and err are set
	hello inbox.Hello
	err   error
}

func newHelloGroup() helloGroup {
	return helloGroup{running: make(map[inbox.User]*helloFlight), waiting: make(map[inbox.User]*helloFlight)}
}

// readHello returns u's hello from a store read that began after this call
// did. ctx is the socket's: when it ends, the socket stops waiting; a read
// it leads still completes for the others (bounded by WriteTimeout).
func (h *Hub) readHello(ctx context.Context, u inbox.User) (inbox.Hello, error) {
	g := &h.hellos
	g.mu.Lock()
	if f := g.waiting[u]; f != nil {
		g.mu.Unlock()
		helloShared.Inc()
		return f.wait(ctx)
	}
	running := g.running[u]
	f := &helloFlight{done: make(chan struct{})}
	if running == nil {
		g.running[u] = f
		g.mu.Unlock()
		h.lead(u, f)
		return f.wait(ctx)
	}
	g.waiting[u] = f
	g.mu.Unlock()
	// Lead the waiting read once the running one ends, even if this
	// socket closes meanwhile: others may have joined.
	<-running.done
	g.mu.Lock()
	delete(g.waiting, u)
	g.running[u] = f
	g.mu.Unlock()
	h.lead(u, f)
	return f.wait(ctx)
}

// lead reads the snapshot of f and hands it to every socket that joined.
func (h *Hub) lead(u inbox.User, f *helloFlight) {
	ctx, cancel := context.WithTimeout(h.runContext(), h.opts.WriteTimeout)
	defer cancel()
	helloReads.Inc()
	f.hello, f.err = h.src.Hello(ctx, u)
	if f.err != nil {
		f.err = fmt.Errorf("read hello of user %d: %w", u.ID, f.err)
	}
	g := &h.hellos
	g.mu.Lock()
	if g.running[u] == f {
		delete(g.running, u)
	}
	g.mu.Unlock()
	close(f.done)
}

// wait returns the flight's snapshot once read. The snapshot is shared:
// its maps and slices are read, never changed.
func (f *helloFlight) wait(ctx context.Context) (inbox.Hello, error) {
	select {
	case <-f.done:
		return f.hello, f.err
	case <-ctx.Done():
		return inbox.Hello{}, fmt.Errorf("wait for hello: %w", ctx.Err())
	}
}
