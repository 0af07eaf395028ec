package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"smsinbox/pkg/inbox"
)

// flights share store reads between the sockets of one user that open
// together (a user's tabs reconnecting at once after a deploy, or a page
// that opens several): one read of the hello snapshot, and one of the seqs
// of the topics it names, serve them all.
//
// A socket's read must begin after the socket subscribed to what it reads
// (socket.hello explains why), so a socket may only join a read that has
// not begun. Per key there is at most one read running and one waiting: a
// socket that finds a read running joins the waiting one (or opens it, and
// leads it once the running read ends). So n tabs that open together cost
// two reads, not n.
type flights[K comparable, V any] struct {
	mu      sync.Mutex
	running map[K]*flight[V]
	waiting map[K]*flight[V]
}

// flight is one read, shared by the sockets that joined it.
type flight[V any] struct {
	done chan struct{} // closed once v and err are set
	v    V
	err  error
}

func newFlights[K comparable, V any]() flights[K, V] {
	return flights[K, V]{running: make(map[K]*flight[V]), waiting: make(map[K]*flight[V])}
}

// do returns the result of read for key from a call that began after this
// call did, sharing it with the sockets that call do with key meanwhile.
// ctx is the socket's: when it ends, the socket stops waiting; a read it
// leads still completes for the others (read gets its own context).
func (g *flights[K, V]) do(ctx context.Context, key K, shared func(), read func() (V, error)) (V, error) {
	g.mu.Lock()
	if f := g.waiting[key]; f != nil {
		g.mu.Unlock()
		shared()
		return f.wait(ctx)
	}
	running := g.running[key]
	f := &flight[V]{done: make(chan struct{})}
	if running == nil {
		g.running[key] = f
		g.mu.Unlock()
		g.lead(key, f, read)
		return f.wait(ctx)
	}
	g.waiting[key] = f
	g.mu.Unlock()
	// Lead the waiting read once the running one ends, even if this socket
	// closes meanwhile: others may have joined.
	<-running.done
	g.mu.Lock()
	delete(g.waiting, key)
	g.running[key] = f
	g.mu.Unlock()
	g.lead(key, f, read)
	return f.wait(ctx)
}

// lead runs the read of f and hands its result to every socket that joined.
func (g *flights[K, V]) lead(key K, f *flight[V], read func() (V, error)) {
	f.v, f.err = read()
	g.mu.Lock()
	if g.running[key] == f {
		delete(g.running, key)
	}
	g.mu.Unlock()
	close(f.done)
}

// wait returns the flight's result once read. It is shared: its maps and
// slices are read, never changed.
func (f *flight[V]) wait(ctx context.Context) (V, error) {
	select {
	case <-f.done:
		return f.v, f.err
	case <-ctx.Done():
		var zero V
		return zero, fmt.Errorf("wait for a shared read: %w", ctx.Err())
	}
}

// readHello returns u's hello from a store read that began after this call
// did.
func (h *Hub) readHello(ctx context.Context, u inbox.User) (inbox.Hello, error) {
	return h.hellos.do(ctx, u, helloShared.Inc, func() (inbox.Hello, error) {
		ctx, cancel := context.WithTimeout(h.runContext(), h.opts.WriteTimeout)
		defer cancel()
		helloReads.Inc()
		hello, err := h.src.Hello(ctx, u)
		if err != nil {
			return hello, fmt.Errorf("read hello of user %d: %w", u.ID, err)
		}
		return hello, nil
	})
}

// readSeqs returns the current seqs of topics from a store read that began
// after this call did, shared by the sockets of u asking for the same
// topics meanwhile.
func (h *Hub) readSeqs(ctx context.Context, u inbox.User, topics []string) (map[string]int64, error) {
	sorted := slices.Sorted(slices.Values(topics))
	key := seqsKey{user: u.ID, topics: strings.Join(sorted, " ")}
	return h.seqs.do(ctx, key, seqsShared.Inc, func() (map[string]int64, error) {
		ctx, cancel := context.WithTimeout(h.runContext(), h.opts.WriteTimeout)
		defer cancel()
		return h.src.TopicSeqs(ctx, sorted)
	})
}

// seqsKey names a seqs read: whose sockets share it, and its topics.
type seqsKey struct {
	user   int64
	topics string
}
