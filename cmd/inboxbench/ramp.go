package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// runS5 finds the highest inbound rate one instance sustains: it raises the
// rate step by step while every request is answered 200 within the webhook
// p99 bound, narrows the first failing step down by bisection, then holds
// the best rate for the full duration (at 80 % of it, -s5-retries times at
// most, if that fails).
func runS5(ctx context.Context, o *options, run int) ([]Result, error) {
	s, err := openSession(ctx, o, "s5", run, true, 1, inboxShape(o.s5Conns), nil)
	if err != nil {
		return nil, err
	}
	rs := []Result{s.throughput(ctx)}
	s.close(ctx, rs)
	return rs, nil
}

// throughput is S5 on an open session of one instance on PostgreSQL +
// Redis: the ramp, its bisection and the confirmation at the best rate.
func (s *session) throughput(ctx context.Context) Result {
	o, run := s.o, s.run
	s.warm(ctx, o.s5Start, o.workers)
	ph := newPhase()
	s.sw.phase.Store(ph)
	var steps []RampStep
	once := func(rate float64) bool {
		st := newSendStats()
		m0, _ := readCPUTimes()
		dropped := s.in.drive(ctx, rate, o.s5StepDur, o.workers, st, ph)
		step := RampStep{Rate: rate, Achieved: float64(st.ok.Load()) / st.end.Sub(st.start).Seconds(),
			Webhook: st.latency.dist(), LagP99: st.lag.dist().P99, Errors: st.errorCount(), Dropped: dropped}
		m1, _ := readCPUTimes()
		step.MachineCPUBusy = busyFraction(m0, m1)
		step.Pass = step.Errors == 0 && step.Dropped == 0 && step.Webhook.P99 <= o.s5P99 && step.LagP99 <= o.s5P99
		steps = append(steps, step)
		logf("%s run %d: ramp %.0f SMS/s: webhook p50 %.1f p99 %.1f ms, lag p99 %.1f ms, %d errors, %d dropped, machine %.0f%% busy → %s",
			s.name, run, rate, step.Webhook.P50, step.Webhook.P99, step.LagP99, step.Errors, step.Dropped, 100*step.MachineCPUBusy, passWord(step.Pass))
		if !step.Pass {
			// Let the backlog of a failed step drain before the next one.
			waitDelivered(ctx, ph, 30*time.Second)
		}
		return step.Pass
	}
	// A step fails only if it fails -s5-tries times: on a shared machine
	// another process's burst can spoil a few seconds.
	try := func(rate float64) bool {
		for range o.s5Tries {
			if once(rate) {
				return true
			}
		}
		return false
	}
	best, worst := 0.0, 0.0 // the highest rate that passed, the lowest that failed
	for rate := o.s5Start; rate <= o.s5Max && ctx.Err() == nil; rate += o.s5Step {
		if !try(rate) {
			worst = rate
			break
		}
		best = rate
	}
	for i := 0; i < o.s5Refine && worst > 0 && ctx.Err() == nil; i++ {
		mid := math.Round((best+worst)/2/10) * 10
		if mid <= best || mid >= worst {
			break
		}
		if try(mid) {
			best = mid
		} else {
			worst = mid
		}
	}
	waitDelivered(ctx, ph, 30*time.Second)
	time.Sleep(o.settle)
	var r Result
	rate := best
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if rate <= 0 {
			rate = o.s5Start
		}
		r = s.measure(ctx, "S5", rate, o.s5Duration, o.workers, nil)
		r.Ramp = steps
		switch {
		case best == 0:
			r.Failure = "no rate of the ramp met the bounds; this is the first one held for the full duration"
		case !s5Pass(r, o.s5P99) && attempt < o.s5Retries:
			rate = math.Round(rate * 0.8)
			time.Sleep(o.settle)
			continue
		case !s5Pass(r, o.s5P99):
			r.Failure = "the rate found by the ramp did not hold for the full duration"
			if o.s5Retries > 0 {
				r.Failure += fmt.Sprintf(", nor 80 %% of it %d time(s)", o.s5Retries)
			}
		}
		break
	}
	return r
}

// s5Pass reports whether a confirmation held: every webhook answered 200
// within the p99 bound, nothing dropped, lost or duplicated.
func s5Pass(r Result, p99 float64) bool {
	return r.Errors == 0 && r.Dropped == 0 && r.Webhook.P99 <= p99 && r.Lost == 0 && r.Duplicates == 0
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}
