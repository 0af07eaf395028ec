package hub

import (
	"encoding/binary"
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
//
// It also joins each websocket frame into one write. coder/websocket writes
// a frame through a bufio.Writer, which a socket would keep for life; the
// hub gives it one of frameBuffer bytes, so a frame arrives in pieces (its
// header and the payload's first bytes, then the rest), and the pieces of
// an unfinished frame wait in a pooled buffer until its last byte comes:
// one system call per frame, as with a buffer the size of a frame, but no
// buffer held between frames.
type sendBuffer struct {
	conn    net.Conn
	try     func(p []byte) int // writes what the kernel takes at once; nil: every write goes through the drainer
	timeout time.Duration
	spawn   func(func()) // starts the drainer (the hub's WaitGroup)

	mu       sync.Mutex
	frame    *[]byte // the pieces of an unfinished frame (pooled); nil between frames
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
			b.try = func(p []byte) int { return tryWrite(raw, p) }
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

// Write takes all of p: each frame it completes is handed on whole, and
// what the kernel does not take at once waits for the drainer. It fails
// only once the drainer has failed.
func (b *sendBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	n := len(p)
	if b.frame != nil {
		*b.frame = append(*b.frame, p...)
		p = *b.frame
	}
	for size := frameSize(p); size > 0 && size <= len(p); size = frameSize(p) {
		b.send(p[:size])
		p = p[size:]
	}
	b.keep(p)
	return n, nil
}

// keep holds rest, the start of an unfinished frame, in the join buffer
// (taking one from the pool), or gives the buffer back when rest is empty
// (b.mu held). rest may lie in the join buffer itself.
func (b *sendBuffer) keep(rest []byte) {
	if len(rest) == 0 {
		if b.frame != nil && cap(*b.frame) <= maxPooledFrame {
			*b.frame = (*b.frame)[:0]
			joinBuffers.Put(b.frame)
		}
		b.frame = nil
		return
	}
	if b.frame == nil {
		b.frame = joinBuffers.Get().(*[]byte)
	}
	*b.frame = append((*b.frame)[:0], rest...)
}

// send hands on one whole frame (b.mu held).
func (b *sendBuffer) send(p []byte) {
	if b.draining {
		b.pending = append(b.pending, p...)
		return
	}
	n := 0
	if b.try != nil {
		n = b.try(p)
	}
	if n == len(p) {
		return
	}
	b.pending = append(b.pending, p[n:]...)
	b.draining = true
	b.spawn(b.drain)
}

// frameBuffer is the size of the bufio.Writer coder/websocket writes a
// socket's frames through: the longest frame header (14 bytes) fits.
const frameBuffer = 16

// joinBuffers are the buffers frames are joined in; one larger than
// maxPooledFrame is left to the collector.
var joinBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2<<10); return &b }}

const maxPooledFrame = 64 << 10

// maxFrameSize caps the payload length frameSize reports.
const maxFrameSize = 1 << 30

// frameSize returns the length of the websocket frame p begins with,
// header and payload (RFC 6455 section 5.2), or 0 when p is too short to
// tell.
func frameSize(p []byte) int {
	if len(p) < 2 {
		return 0
	}
	header, size := 2, uint64(p[1]&0x7f)
	switch size {
	case 126:
		header = 4
	case 127:
		header = 10
	}
	if len(p) < header {
		return 0
	}
	switch size {
	case 126:
		size = uint64(binary.BigEndian.Uint16(p[2:]))
	case 127:
		size = binary.BigEndian.Uint64(p[2:])
	}
	if p[1]&0x80 != 0 {
		header += 4 // a masking key: only clients mask, but a frame is a frame
	}
	// Far past anything the hub writes; kept in an int on every platform.
	return header + int(min(size, maxFrameSize))
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
