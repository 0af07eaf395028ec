package hub

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestFrameSize(t *testing.T) {
	ext16 := func(n uint16) []byte { return binary.BigEndian.AppendUint16([]byte{0x81, 126}, n) }
	ext64 := func(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x81, 127}, n) }
	for _, c := range []struct {
		name string
		p    []byte
		want int
	}{
		{"empty", nil, 0},
		{"one byte", []byte{0x81}, 0},
		{"empty text frame", []byte{0x81, 0}, 2},
		{"a pong", []byte{0x8a, 0}, 2},
		{"125 bytes", []byte{0x81, 125}, 127},
		{"16-bit length, cut short", []byte{0x81, 126, 1}, 0},
		{"16-bit length", ext16(1200), 1204},
		{"16-bit length, largest", ext16(65535), 65539},
		{"64-bit length, cut short", ext64(70000)[:9], 0},
		{"64-bit length", ext64(70000), 70010},
		{"masked", []byte{0x81, 0x80 | 5}, 11},
		{"masked, 16-bit length", []byte{0x81, 0x80 | 126, 0x01, 0x2c}, 4 + 4 + 300},
		{"a length past what is kept", ext64(1 << 40), 10 + maxFrameSize},
	} {
		if got := frameSize(c.p); got != c.want {
			t.Errorf("%s: frameSize(% x) = %d; want %d", c.name, c.p, got, c.want)
		}
	}
}

// frameOf encodes payload as an unmasked text frame (RFC 6455 section 5.2).
func frameOf(payload []byte) []byte {
	var f []byte
	switch n := len(payload); {
	case n <= 125:
		f = []byte{0x81, byte(n)}
	case n <= 65535:
		f = binary.BigEndian.AppendUint16([]byte{0x81, 126}, uint16(n))
	default:
		f = binary.BigEndian.AppendUint64([]byte{0x81, 127}, uint64(n))
	}
	return append(f, payload...)
}

// recordWrites is a sendBuffer whose kernel takes everything and keeps
// each write.
func recordWrites() (*sendBuffer, func() [][]byte) {
	var (
		mu     sync.Mutex
		writes [][]byte
	)
	b := &sendBuffer{try: func(p []byte) int {
		mu.Lock()
		writes = append(writes, bytes.Clone(p))
		mu.Unlock()
		return len(p)
	}}
	return b, func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return writes
	}
}

// However the bytes of a run of frames are cut into writes, the kernel gets
// each frame whole, in one write, in order.
func FuzzSendBufferJoinsFrames(f *testing.F) {
	f.Add([]byte{0, 1, 14, 125, 126, 200}, []byte{16, 1, 3})
	f.Add([]byte{255, 255, 3}, []byte{16})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, sizes, cuts []byte) {
		var stream []byte
		var want [][]byte
		for i, s := range sizes {
			n := int(s)
			if s >= 250 {
				n = 60000 + 3000*int(s-250) // lengths past 65535 too
			}
			frame := frameOf(bytes.Repeat([]byte{byte('a' + i%26)}, n))
			stream = append(stream, frame...)
			want = append(want, frame)
		}
		b, writes := recordWrites()
		for i := 0; len(stream) > 0; i++ {
			n := len(stream)
			if len(cuts) > 0 {
				n = min(n, int(cuts[i%len(cuts)])+1)
			}
			if m, err := b.Write(stream[:n]); m != n || err != nil {
				t.Fatalf("Write took %d of %d bytes: %v", m, n, err)
			}
			stream = stream[n:]
		}
		got := writes()
		if len(got) != len(want) {
			t.Fatalf("the kernel got %d writes; want %d, one per frame", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("write %d is %d bytes; want frame %d whole (%d bytes)", i, len(got[i]), i, len(want[i]))
			}
		}
		if b.frame != nil {
			t.Errorf("%d bytes held after the last frame", len(*b.frame))
		}
	})
}

// coder/websocket, writing through the writer the hub's Hijack gives it,
// hands the kernel each frame in one write: messages of every
// length class, a ping and the close frame. The client reads them intact.
func TestEachFrameIsOneWrite(t *testing.T) {
	var (
		sizes  = []int{0, 1, 13, 14, 15, 16, 17, 125, 126, 1200, 65535, 65536, 70000}
		mu     sync.Mutex
		writes []int // each write's length, or -1 when it is not one whole frame
		done   = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		rec := &hijackRecorder{ResponseWriter: w, h: &Hub{opts: Options{WriteTimeout: 5 * time.Second}}}
		ws, err := websocket.Accept(rec, r, nil)
		if err == nil {
			out := rec.out
			out.mu.Lock()
			try := out.try
			out.try = func(p []byte) int {
				mu.Lock()
				if frameSize(p) == len(p) {
					writes = append(writes, len(p))
				} else {
					writes = append(writes, -1)
				}
				mu.Unlock()
				return try(p)
			}
			out.mu.Unlock()
		}
		if err != nil {
			t.Error(err)
			return
		}
		ctx := ws.CloseRead(context.Background()) // reads the pong and the close reply
		for _, n := range sizes {
			if err := ws.Write(ctx, websocket.MessageText, []byte(strings.Repeat("x", n))); err != nil {
				t.Error(err)
				return
			}
		}
		if err := ws.Ping(ctx); err != nil {
			t.Error(err)
		}
		_ = ws.Close(websocket.StatusNormalClosure, "bye")
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	for _, n := range sizes {
		_, p, err := c.Read(ctx)
		if err != nil || len(p) != n || strings.Trim(string(p), "x") != "" {
			t.Fatalf("read %d bytes, %v; want %d x's", len(p), err, n)
		}
	}
	// Reading on answers the ping and then sees the close.
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after the messages: %v; want the normal close", err)
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	// The messages, the ping and the close: one write each, in that order.
	if len(writes) != len(sizes)+2 {
		t.Fatalf("writes %v; want %d, one per frame", writes, len(sizes)+2)
	}
	for i, w := range writes {
		if w < 0 {
			t.Fatalf("write %d of %v is not one whole frame", i, writes)
		}
	}
}
