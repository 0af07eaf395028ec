package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// tab is one browser tab of one user: a websocket that, like the UI,
// reconnects and resumes from its last seq whenever it is closed. Its
// position in each topic outlives its connections, so a replay that
// repeats or skips an event is caught.
type tab struct {
	s     *swarm
	user  *user
	inst  int  // the instance it connects to
	watch bool // it reports message.created to the swarm's watcher

	conn     atomic.Pointer[websocket.Conn]
	planned  atomic.Bool  // the next close is a reload the bench asked for
	closedAt atomic.Int64 // when that reload was asked for

	pos seqs // only the tab's reader touches it
}

// bufs are the frame buffers of the readers: a tab holds one only while it
// handles a frame.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// connect opens the tab's socket, authenticated for real, and reads up to
// its hello. With resume it asks, with the upgrade, for every event after
// its position.
func (t *tab) connect(ctx context.Context, resume bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	base := t.s.bases[t.inst]
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	h := http.Header{"Origin": {base}}
	if t.s.auth == authTicket {
		tk, err := t.s.api.ticket(ctx, base, t.user.cookie)
		if err != nil {
			return err
		}
		wsURL += "?ticket=" + url.QueryEscape(tk)
	} else {
		h.Set("Cookie", sessionCookie+"="+t.user.cookie)
	}
	if resume {
		// With the upgrade, so that it is served before anything live.
		b, _ := json.Marshal(t.pos.resume())
		sep := "?"
		if strings.Contains(wsURL, "?") {
			sep = "&"
		}
		wsURL += sep + "resume=" + url.QueryEscape(string(b))
	}
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: t.s.dial.client(), HTTPHeader: h})
	if err != nil {
		return fmt.Errorf("dial %s as %s: %w", base, t.user.email, err)
	}
	c.SetReadLimit(32 << 20)
	for {
		typ, err := t.readOne(ctx, c)
		if err != nil {
			c.CloseNow()
			return fmt.Errorf("wait for hello: %w", err)
		}
		if typ == typeHello {
			break
		}
	}
	t.conn.Store(c)
	return nil
}

// readOne reads and handles one frame, and returns its type.
func (t *tab) readOne(ctx context.Context, c *websocket.Conn) (string, error) {
	_, r, err := c.Reader(ctx)
	if err != nil {
		return "", err
	}
	buf := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return "", err
	}
	return t.handle(buf.Bytes(), now()), nil
}

// handle accounts for one frame that arrived at at.
func (t *tab) handle(b []byte, at int64) string {
	ph := t.s.phase.Load()
	f, err := parseFrame(b)
	if err != nil {
		ph.bad.Add(1)
		return ""
	}
	if f.seq > 0 {
		switch t.pos.observe(f.topic, f.seq) {
		case seqDup:
			ph.dups.Add(1)
			return f.typ
		case seqGap:
			ph.gaps.Add(1)
		}
	}
	switch f.typ {
	case typeMessageCreated:
		ph.m.arrive(f.uuid, at, t.inst)
		if fn := t.s.watch.Load(); t.watch && fn != nil {
			(*fn)(f.threadID, f.topic)
		}
	case typeThreadRead:
		if key, err := readKey(b); err == nil {
			ph.m.arrive(key, at, t.inst)
		} else {
			ph.bad.Add(1)
		}
	case typeHello:
		topics, err := helloTopics(b)
		if err != nil {
			ph.bad.Add(1)
		}
		t.pos.hello(topics)
	case typeResync:
		ph.resyncs.Add(1)
	}
	return f.typ
}

// run reads the tab's frames until the swarm stops, reconnecting with
// resume whenever the socket closes.
func (t *tab) run() {
	defer t.s.wg.Done()
	for {
		c := t.conn.Load()
		var err error
		for err == nil {
			_, err = t.readOne(t.s.ctx, c)
		}
		c.CloseNow()
		if t.s.stopping.Load() || t.s.ctx.Err() != nil {
			return
		}
		from := now()
		if t.planned.Swap(false) {
			t.s.planned.Add(1)
			from = t.closedAt.Load()
		} else {
			t.s.unplanned.Add(1)
		}
		if !t.reconnect() {
			return
		}
		t.s.phase.Load().resume.add(time.Duration(now() - from))
	}
}

// reconnect connects again with resume, backing off while it fails; it
// reports false if the swarm stopped first.
func (t *tab) reconnect() bool {
	backoff := 50 * time.Millisecond
	for {
		err := t.connect(t.s.ctx, true)
		if err == nil {
			return true
		}
		if t.s.stopping.Load() || errors.Is(err, context.Canceled) {
			return false
		}
		t.s.failures.Add(1)
		time.Sleep(backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
}

// reload closes the socket as a reloading tab does; the reader reconnects
// with resume (S3).
func (t *tab) reload() {
	c := t.conn.Load()
	if c == nil {
		return
	}
	t.closedAt.Store(now())
	t.planned.Store(true)
	go c.Close(closeCode, "bench: tab reloaded")
}
