package pubsub

import (
	"net"
	"sync"
	"testing"
)

// freezer is a TCP proxy whose open connections can be frozen: they stay
// open and swallow whatever is sent, but nothing comes out any more, as when
// a peer vanishes without closing. Connections made afterwards work.
type freezer struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	closed bool
	conns  []net.Conn
	frozen chan struct{} // closed by freeze for the connections open then

	wg sync.WaitGroup
}

// newFreezer starts a proxy to target, stopped when the test ends.
func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f := &freezer{ln: ln, target: target, frozen: make(chan struct{})}
	f.wg.Go(f.accept)
	t.Cleanup(f.close)
	return f
}

func (f *freezer) addr() string { return f.ln.Addr().String() }

// freeze silences every connection open now.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.frozen)
	f.frozen = make(chan struct{})
}

func (f *freezer) accept() {
	for {
		client, err := f.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", f.target)
		if err != nil {
			client.Close()
			continue
		}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		f.conns = append(f.conns, client, server)
		frozen := f.frozen
		f.mu.Unlock()
		f.wg.Go(func() { pipe(server, client, frozen) })
		f.wg.Go(func() { pipe(client, server, frozen) })
	}
}

// pipe copies from src to dst until either fails, dropping everything read
// once frozen is closed.
func pipe(dst, src net.Conn, frozen <-chan struct{}) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case <-frozen:
			default:
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// close stops the proxy and waits for its goroutines.
func (f *freezer) close() {
	f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
