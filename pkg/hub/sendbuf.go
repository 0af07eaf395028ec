package hub

import (
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// sendBuffer is what a socket's websocket writes to: it hands the bytes to
// the kernel without waiting, and keeps what the kernel cannot take yet for
// a goroutine of its own, which writes it within the write timeout. So
// writing to a socket never blocks the hub's writers (write.go) on a client
// that reads slowly: they stay few, and busy only while there is CPU work.
//
// Bytes are never reordered: while some wait, later writes wait behind
// them.
type sendBuffer struct {
	conn    net.Conn
	raw     syscall.RawConn // nil: every write goes through the drainer
	timeout time.Duration
	spawn   func(func()) // starts the drainer (the hub's WaitGroup)

	mu       sync.Mutex
	pending  []byte
	draining bool
	handOff  bool  // the drainer gives the socket back to the writers when done
	err      error // the drainer's failure: every later write fails with it
	// drained is called by the drainer when it is done, with its error,
	// if it failed or handOff was set.
	drained func(error)
}

func newSendBuffer(conn net.Conn, timeout time.Duration, spawn func(func())) *sendBuffer {
	b := &sendBuffer{conn: conn, timeout: timeout, spawn: spawn}
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			b.raw = raw
		}
	}
	return b
}

// setDrained sets the socket's callback (see drained).
func (b *sendBuffer) setDrained(f func(error)) {
	b.mu.Lock()
	b.drained = f
	b.mu.Unlock()
}

// Write takes all of p: what the kernel does not take at once waits for
// the drainer. It fails only once the drainer has failed.
func (b *sendBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.draining {
		b.pending = append(b.pending, p...)
		return len(p), nil
	}
	n := 0
	if b.raw != nil {
		n = tryWrite(b.raw, p)
	}
	if n == len(p) {
		return n, nil
	}
	b.pending = append(b.pending, p[n:]...)
	b.draining = true
	b.spawn(b.drain)
	return len(p), nil
}

// busy reports whether bytes wait for the drainer; if so, the drainer will
// call drained when it is done.
func (b *sendBuffer) busy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.draining {
		b.handOff = true
	}
	return b.draining
}

// drain writes what waits, blocking, each run within the timeout.
func (b *sendBuffer) drain() {
	var err error
	for {
		b.mu.Lock()
		p := b.pending
		b.pending = nil
		if len(p) == 0 || err != nil {
			if err != nil {
				b.err = err
			}
			b.draining = false
			call := b.handOff || err != nil
			b.handOff = false
			drained := b.drained
			b.mu.Unlock()
			if call && drained != nil {
				drained(err)
			}
			return
		}
		b.mu.Unlock()
		err = b.write(p)
	}
}

func (b *sendBuffer) write(p []byte) error {
	if err := b.conn.SetWriteDeadline(time.Now().Add(b.timeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := b.conn.Write(p); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	// Nothing else writes to the connection while it waits: the deadline
	// need not be cleared for anyone.
	return nil
}
