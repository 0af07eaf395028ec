package hub

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// BenchmarkFanout publishes events on a number watched by 1,000 sockets and
// reports the cost per frame written (server and client share the process).
func BenchmarkFanout(b *testing.B) {
	const sockets = 1000
	e := newEnv(b, Options{QueueSize: 4096})
	dialReaders(b, e, sockets)
	body := map[string]any{"message": map[string]any{"body": "Thanks, see you at 10 tomorrow!"}}
	start := counterValue(b, framesSent)
	b.ResetTimer()
	for range b.N {
		e.publish(topicN, inbox.EventMessageCreated, body)
	}
	want := start + float64(b.N*sockets)
	eventually(b, "frames written", func() bool { return counterValue(b, framesSent) >= want })
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sockets), "ns/frame")
}

// BenchmarkPublishWith1000Sockets measures how long Publish takes to return
// when the event's topic has 1,000 sockets: what a webhook waits for
// between its commit and its answer. Fan-out is not timed, but it is waited
// for after each event, so events do not pile up.
func BenchmarkPublishWith1000Sockets(b *testing.B) {
	const sockets = 1000
	e := newEnv(b, Options{QueueSize: 4096})
	frames := dialReaders(b, e, sockets)
	body := map[string]any{"message": map[string]any{"body": "Thanks, see you at 10 tomorrow!"}}
	var published time.Duration
	for i := range b.N {
		ev := e.store.append(topicN, inbox.EventMessageCreated, body)
		start := time.Now()
		e.send(ev)
		published += time.Since(start)
		want := int64((i + 1) * sockets)
		for frames.Load() < want {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(published.Microseconds())/float64(b.N), "µs/publish")
}

// dialReaders opens n sockets of alice that read until they are closed,
// waits for every hello, and returns the count of frames read after them.
func dialReaders(b *testing.B, e *env, n int) *atomic.Int64 {
	b.Helper()
	var hellos sync.WaitGroup
	frames := new(atomic.Int64)
	for range n {
		ws, _, err := websocket.Dial(context.Background(), e.wsURL(), dialOptions(alice))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ws.CloseNow() })
		hellos.Add(1)
		go func() {
			for i := 0; ; i++ {
				if _, _, err := ws.Read(context.Background()); err != nil {
					return
				}
				if i == 0 {
					hellos.Done()
				} else {
					frames.Add(1)
				}
			}
		}()
	}
	hellos.Wait()
	return frames
}
