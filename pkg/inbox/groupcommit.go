package inbox

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Group commit of inbound texts: ReceiveSMS queues a text here while the
// transactions in flight are at their limit, and the caller whose batch is
// stored hands the next batch to the first text waiting.

// pendingSMS is a text waiting for, or stored by, a group commit.
type pendingSMS struct {
	in    InboundSMS
	lead  chan struct{} // closed when this caller is to store batch
	batch []*pendingSMS // the batch it leads, this text among them
	done  chan struct{} // closed when the outcome below is known

	m       Message
	dup     bool // the MessageUUID was stored already
	replied bool // a keyword reply was queued
	retry   bool // its batch failed: store it alone
	err     error
}

// groupCommit is the queue of texts waiting for a transaction.
type groupCommit struct {
	mu       sync.Mutex
	limit    int // batches stored at once at most
	inflight int // batches being stored; the queue is empty unless at limit
	queue    []*pendingSMS
	// timeout bounds a batch's transaction; it runs for several callers,
	// so not on the leader's context alone.
	timeout time.Duration
}

// newGroupCommit stores up to one batch per core at once (two at least):
// enough to keep the server and the database busy while a batch waits on a
// round trip or an fsync, few enough that batches form.
func newGroupCommit() groupCommit {
	return groupCommit{limit: max(2, runtime.GOMAXPROCS(0)), timeout: 5 * time.Second}
}

// maxBatch bounds a batch, and so how long its locks are held.
const maxBatch = 64

// join reports whether p's caller is to store p right away; if not, p is
// queued for a batch.
func (g *groupCommit) join(p *pendingSMS) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight < g.limit {
		g.inflight++
		return true
	}
	g.queue = append(g.queue, p)
	return false
}

// leave takes p out of the queue, unless it has left it for a batch.
func (g *groupCommit) leave(p *pendingSMS) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.Index(g.queue, p)
	if i >= 0 {
		g.queue = slices.Delete(g.queue, i, i+1)
	}
	return i >= 0
}

// next takes the next batch off the queue for a leader whose batch is
// stored, or frees its place when nobody waits.
func (g *groupCommit) next() []*pendingSMS {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.inflight--
		return nil
	}
	n := min(len(g.queue), maxBatch)
	batch := slices.Clone(g.queue[:n])
	g.queue = slices.Delete(g.queue, 0, n)
	return batch
}

// leadBatch stores batch for p's caller, then hands the place on: the first
// text of the next batch leads it.
func (s *Service) leadBatch(ctx context.Context, p *pendingSMS, batch []*pendingSMS) {
	s.storeBatch(ctx, batch)
	if next := s.inbound.next(); next != nil {
		next[0].batch = next
		close(next[0].lead)
	}
	for _, q := range batch {
		if q != p {
			close(q.done)
		}
	}
}
