package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// reader marks threads read through POST /api/threads/{id}/read, on the
// instances in turn, as soon as a watching tab sees them get a message
// (S4). Each read that changes the thread produces a thread.read frame on
// every tab of its number, on every instance; the matcher keys it by the
// thread and the read_at that the answer and the frame share.
type reader struct {
	api      *api
	bases    []string
	byTopic  map[string]*number
	expected map[string]int

	mu      sync.Mutex
	pending map[int64]bool
	queue   chan readJob
	turn    int
}

type readJob struct {
	thread int64
	n      *number
}

func newReader(a *api, bases []string, w *world, expected map[string]int) *reader {
	r := &reader{api: a, bases: bases, byTopic: map[string]*number{}, expected: expected,
		pending: map[int64]bool{}, queue: make(chan readJob, 1<<16)}
	for _, n := range w.numbers {
		r.byTopic[n.topic] = n
	}
	return r
}

// offer queues a thread that just got a message, unless it is queued.
func (r *reader) offer(threadID int64, topic string) {
	n := r.byTopic[topic]
	if n == nil || threadID == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending[threadID] {
		return
	}
	select {
	case r.queue <- readJob{threadID, n}:
		r.pending[threadID] = true
	default:
	}
}

// drive reads at rate for d into ph; a read due when no thread waits is
// skipped. It returns how many due reads found every worker busy for a
// second and were dropped.
func (r *reader) drive(ctx context.Context, rate float64, d time.Duration, workers int, st *sendStats, ph *phase) int64 {
	_, dropped := pace(ctx, rate, d, workers, func(ctx context.Context, due time.Time) {
		var j readJob
		select {
		case j = <-r.queue:
		default:
			st.skipped.Add(1)
			return
		}
		r.mu.Lock()
		inst := r.turn % len(r.bases)
		r.turn++
		r.mu.Unlock()
		u := j.n.users[rand.IntN(len(j.n.users))]
		var th threadRef // the answer is the Thread
		t0 := now()
		st.lag.add(time.Duration(t0 - int64(due.Sub(epoch))))
		st.sent.Add(1)
		err := r.api.call(ctx, r.bases[inst], u.cookie, http.MethodPost, fmt.Sprintf("/api/threads/%d/read", j.thread), nil, http.StatusOK, &th)
		st.latency.add(time.Duration(now() - t0))
		r.mu.Lock()
		delete(r.pending, j.thread)
		r.mu.Unlock()
		if err != nil {
			st.fail(err.Error())
			return
		}
		key, err := th.key()
		if err != nil {
			st.fail(err.Error())
			return
		}
		st.ok.Add(1)
		// A read of a thread read already changes nothing and sends nothing:
		// its answer repeats the earlier read's key.
		if !ph.m.expect(kindRead, key, t0, r.expected[j.n.topic], inst) {
			st.skipped.Add(1)
		}
	})
	st.end = time.Now()
	return dropped
}
