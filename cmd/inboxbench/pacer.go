package main

import (
	"context"
	"sync"
	"time"
)

// pace runs job at rate per second for d, open loop: job i is due at
// start + i/rate whatever became of the jobs before it, so a slow server
// shows up as latency and lag instead of a lower rate. workers goroutines
// run the jobs; a due job that finds them all busy waits in a queue of up
// to a second's worth, and beyond that is dropped and counted. It returns
// the number of jobs scheduled and dropped once every job has ended.
func pace(ctx context.Context, rate float64, d time.Duration, workers int, job func(ctx context.Context, due time.Time)) (scheduled, dropped int64) {
	if rate <= 0 || d <= 0 {
		return 0, 0
	}
	q := make(chan time.Time, max(int(rate), 64))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for due := range q {
				job(ctx, due)
			}
		})
	}
	start := time.Now()
	n := int64(d.Seconds() * rate)
	for i := range n {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case q <- due:
			scheduled++
		default:
			dropped++
		}
	}
	close(q)
	wg.Wait()
	return scheduled, dropped
}
