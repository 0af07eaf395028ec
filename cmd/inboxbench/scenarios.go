package main

import "context"

// group is a set of scenarios measured on one session.
type group struct {
	name string
	run  func(ctx context.Context, o *options, run int) ([]Result, error)
	want func(o *options) bool
}

// groups are the sessions of a run, in order.
var groups = []group{
	{"s1", runS1, func(o *options) bool { return o.has(scenS1) }},
	{"s2", runInbox, func(o *options) bool { return o.has(scenS2) || o.has(scenS3) }},
	{"s2-sqlite", runSQLite, func(o *options) bool { return o.has(scenS2SQLite) }},
	{"s4", runS4, func(o *options) bool { return o.has(scenS4) }},
	{"s5", runS5, func(o *options) bool { return o.has(scenS5) && !o.s5OnInbox() }},
	{"outage", runOutage, func(o *options) bool { return o.has(scenOutage) }},
	{"interest", runInterest, func(o *options) bool { return o.has(scenInterest) }},
}

// runS1 is the broadcast: every socket on one number, few SMS, each to
// every socket. What it measures is the server's CPU per delivered frame.
func runS1(ctx context.Context, o *options, run int) ([]Result, error) {
	s, err := openSession(ctx, o, "s1", run, true, 1, broadcastShape(o.conns), nil)
	if err != nil {
		return nil, err
	}
	rs := []Result{s.measure(ctx, "S1", o.s1Rate, o.duration, o.workers, nil)}
	s.close(ctx, rs)
	return rs, nil
}

// runInbox is S2 on PostgreSQL + Redis and then, on the same sockets, S3:
// the same traffic while a tenth of the tabs reload (with resume) per minute;
// and S5 too when its shape is the same (see s5OnInbox).
func runInbox(ctx context.Context, o *options, run int) ([]Result, error) {
	s, err := openSession(ctx, o, "s2", run, true, 1, inboxShape(o.conns), nil)
	if err != nil {
		return nil, err
	}
	var rs []Result
	if o.has(scenS2) {
		rs = append(rs, s.measure(ctx, "S2", o.s2Rate, o.duration, o.workers, nil))
	}
	if o.has(scenS3) {
		rs = append(rs, s.measure(ctx, "S3", o.s2Rate, o.duration, o.workers, func(ctx context.Context, ph *phase) func(*Result) {
			churn(ctx, s.sw.tabs, o.churn, o.duration)
			return nil
		}))
	}
	if o.s5OnInbox() {
		rs = append(rs, s.throughput(ctx))
	}
	s.close(ctx, rs)
	return rs, nil
}

// runSQLite is S2 on the embedded default: SQLite and the in-process bus.
func runSQLite(ctx context.Context, o *options, run int) ([]Result, error) {
	s, err := openSession(ctx, o, "s2-sqlite", run, false, 1, inboxShape(o.conns), nil)
	if err != nil {
		return nil, err
	}
	rs := []Result{s.measure(ctx, "S2-sqlite", o.s2Rate, o.duration, o.workers, nil)}
	s.close(ctx, rs)
	return rs, nil
}

// runS4 is two instances on one PostgreSQL and Redis: each user's first tab
// on one, the second on the other; SMS come in on both; threads are read on
// both as soon as they get a message, and each read's thread.read is timed
// to the tabs on the other instance.
func runS4(ctx context.Context, o *options, run int) ([]Result, error) {
	s, err := openSession(ctx, o, "s4", run, true, 2, inboxShape(o.conns), byTab(2))
	if err != nil {
		return nil, err
	}
	rd := newReader(s.api, s.st.bases(), s.w, s.expected)
	s.sw.setWatcher(rd.offer)
	rs := []Result{s.measure(ctx, "S4", o.s4Rate, o.duration, o.workers, func(ctx context.Context, ph *phase) func(*Result) {
		st := newSendStats()
		dropped := rd.drive(ctx, o.s4ReadRate, o.duration, o.workers, st, ph)
		return func(r *Result) {
			t := ph.m.tally(kindRead)
			r.Reads = &ReadResult{Rate: o.s4ReadRate, Sent: st.sent.Load(), OK: st.ok.Load(), Errors: st.errorCount(),
				ErrorsBy: st.errorMap(), Skipped: st.skipped.Load(), Dropped: dropped, API: st.latency.dist(),
				Expected: t.Expected, Received: t.Received, Lost: t.Lost, Unexpected: t.Unexpected,
				Delivery: t.Delivery, Cross: t.Cross}
		}
	})}
	s.close(ctx, rs)
	return rs, nil
}
