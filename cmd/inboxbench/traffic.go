package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// inbound drives signed inbound SMS at the servers: each to a random number
// of the world from one of its candidates, round-robin over the instances,
// each carrying a unique MessageUUID (also in its text) that the matcher
// pairs with the message.created frames of the number's tabs.
type inbound struct {
	w        *world
	hooks    *webhooks
	expected map[string]int // tabs per number topic
	run      string         // prefix of this scenario run's MessageUUIDs
	seq      atomic.Int64
}

// drive sends at rate for d, with workers concurrent requests, into ph.
func (in *inbound) drive(ctx context.Context, rate float64, d time.Duration, workers int, st *sendStats, ph *phase) int64 {
	_, dropped := pace(ctx, rate, d, workers, func(ctx context.Context, due time.Time) {
		i := in.seq.Add(1)
		rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
		n := in.w.numbers[rng.IntN(len(in.w.numbers))]
		from := n.contacts[rng.IntN(len(n.contacts))]
		uuid := fmt.Sprintf("%s-%08d", in.run, i)
		inst := int(i) % len(in.hooks.bases)
		req, err := in.hooks.request(ctx, inst, from, n.e164, "bench "+uuid, uuid)
		if err != nil {
			st.fail(err.Error())
			return
		}
		t0 := now()
		st.lag.add(time.Duration(t0 - int64(due.Sub(epoch))))
		ph.m.expect(kindMessage, uuid, t0, in.expected[n.topic], inst)
		st.sent.Add(1)
		status, err := in.hooks.do(req)
		st.latency.add(time.Duration(now() - t0))
		if err != nil || status != 200 {
			ph.m.cancel(uuid)
			st.fail(errorKey(status, err))
			return
		}
		st.ok.Add(1)
	})
	st.end = time.Now()
	return dropped
}

// churn reloads fraction of the tabs per minute, for d, spread evenly, each
// tab at most once while tabs remain: S3.
func churn(ctx context.Context, tabs []*tab, fraction float64, d time.Duration) int {
	perSecond := fraction * float64(len(tabs)) / 60
	if perSecond <= 0 {
		return 0
	}
	order := rand.Perm(len(tabs))
	reloaded := 0
	pace(ctx, perSecond, d, 1, func(ctx context.Context, due time.Time) {
		tabs[order[reloaded%len(order)]].reload()
		reloaded++
	})
	return reloaded
}

// waitDelivered waits until ph has every frame it expects, or timeout.
func waitDelivered(ctx context.Context, ph *phase, timeout time.Duration) time.Duration {
	start := time.Now()
	for !ph.m.done() && time.Since(start) < timeout && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}
