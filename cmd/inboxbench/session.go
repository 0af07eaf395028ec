package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// session is one scenario run's servers, company and open sockets; its
// phases are measured one after the other on the same sockets.
type session struct {
	o        *options
	name     string
	run      int
	st       *stack
	api      *api
	w        *world
	sw       *swarm
	in       *inbound
	expected map[string]int // tabs per number topic
	common   Result         // what every phase shares: set-up and idle
	base     procSample
	warmed   bool
}

// openSession starts the servers, on PostgreSQL on a copy of the company
// built for sh (see templates), else building it and signing the users in,
// and connects every tab, measuring the connect rate and the idle cost.
// place says which instance each tab connects to (nil: byTab).
func openSession(ctx context.Context, o *options, name string, run int, postgres bool, instances int, sh shape, place placement) (s *session, err error) {
	if place == nil {
		place = byTab(instances)
	}
	s = &session{o: o, name: name, run: run}
	logf("%s run %d: %d servers on %s, %d sockets over %d numbers", name, run, instances, storeName(postgres), sh.conns(), sh.numbers)
	var tp *template
	if postgres {
		if tp, err = o.templates.get(ctx, sh); err != nil {
			return nil, fmt.Errorf("build the company: %w", err)
		}
	}
	load := loadAvg()
	var tpl string
	if tp != nil {
		tpl = tp.db
	}
	st, err := startStack(ctx, o, fmt.Sprintf("%s-run%d", name, run), postgres, instances, tpl)
	if err != nil {
		return nil, err
	}
	s.st = st
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	held := sh.perInstance(instances, place)
	for i, pid := range s.st.pids() {
		if lim, err := fileLimit(pid); err == nil && lim < int64(held[i]+1000) {
			return nil, fmt.Errorf("inboxd may open only %d files and must hold %d sockets: raise `ulimit -n` (scripts/bench.sh does)", lim, held[i])
		}
	}
	s.api = newAPI(2 * max(o.setupConc, o.connectConc))
	if tp != nil {
		s.w = tp.w
	} else {
		t0 := time.Now()
		if s.w, err = buildWorld(ctx, s.api, s.st.bases()[0], sh, o.setupConc); err != nil {
			return nil, err
		}
		logf("%s run %d: set-up (%d users, %d numbers, %d contacts, sign-ins) took %s", name, run,
			len(s.w.users), len(s.w.numbers), sh.numbers*sh.contactsPerNumber, setupTime(t0))
	}
	s.sw = &swarm{ctx: ctx, api: s.api, dial: newDialers(), bases: s.st.bases(), auth: o.auth}
	s.sw.phase.Store(newPhase())
	s.expected = map[string]int{}
	for ni, n := range s.w.numbers {
		for ui, u := range n.users {
			for k := range sh.tabsPerUser {
				s.sw.tabs = append(s.sw.tabs, &tab{s: s.sw, user: u, inst: place(ni, ui, k), watch: ui == 0 && k == 0, pos: seqs{}})
				s.expected[n.topic]++
			}
		}
	}
	hooks := newWebhooks(s.st.token, s.st.bases(), o.workers)
	s.in = &inbound{w: s.w, hooks: hooks, expected: s.expected, run: fmt.Sprintf("bench-%s-%s-%d", o.stamp, name, run)}

	s.api.http.CloseIdleConnections()
	time.Sleep(o.settle)
	if s.base, err = readProcs(s.st.pids()); err != nil {
		return nil, err
	}
	gBase, err := scrapeSum(ctx, s.st.bases(), metricGoroutines)
	if err != nil {
		return nil, err
	}
	heap0, _ := scrapeSum(ctx, s.st.bases(), metricHeapInuse)
	stack0, _ := scrapeSum(ctx, s.st.bases(), metricStack)
	dbConnect := startDBCPU(s.st.dbName)
	var connectProfiles func() []string
	if o.pprof {
		// The connect phase is uniform: its first seconds are enough.
		connectProfiles = s.startProfiles(ctx, "connect", 6*time.Second, false)
	}
	took, connectMs, err := s.sw.connectAll(o.connectConc)
	if err != nil {
		if o.pprof {
			// What the servers were doing when a socket got stuck.
			files := s.snapshotProfiles(ctx, "goroutines-on-failure.txt", "goroutine?debug=2")
			logf("%s run %d: goroutine dumps: %s", name, run, strings.Join(files, ", "))
		}
		s.sw.stop()
		return nil, fmt.Errorf("connect the sockets: %w", err)
	}
	conns := len(s.sw.tabs)
	connected, _ := readProcs(s.st.pids())
	dbConnected := dbConnect.used()
	logf("%s run %d: %d sockets connected in %s (%.0f/s, %s auth)", name, run, conns, took.Round(time.Millisecond), float64(conns)/took.Seconds(), o.auth)
	time.Sleep(o.settle)
	idle, err := readProcs(s.st.pids())
	if err != nil {
		return nil, err
	}
	heap1, _ := scrapeSum(ctx, s.st.bases(), metricHeapInuse)
	stack1, _ := scrapeSum(ctx, s.st.bases(), metricStack)
	s.common = Result{
		Run: run, Store: s.st.store, Bus: s.st.bus, Instances: instances, Conns: conns, Auth: o.auth, ServerEnv: o.serverEnv,
		ConnectRate: float64(conns) / took.Seconds(), ConnectMs: connectMs,
		RSSBaseKB: s.base.rssKB, RSSIdleKB: idle.rssKB,
		RSSIdleKBPerConn:      float64(idle.rssKB-s.base.rssKB) / float64(conns),
		HeapIdleKBPerConn:     float64(heap1-heap0) / 1024 / float64(conns),
		StackIdleKBPerConn:    float64(stack1-stack0) / 1024 / float64(conns),
		ConnectCPUUsPerConn:   float64(connected.cpuUs-s.base.cpuUs) / float64(conns),
		ConnectDBCPUUsPerConn: float64(dbConnected) / float64(conns),
		Goroutines:            Goroutines{Base: gBase}, LoadAvg: load,
	}
	if o.pprof {
		s.common.Profiles = append(connectProfiles(), s.snapshotProfiles(ctx, "heap-idle", "heap")...)
	}
	return s, nil
}

// phaseFn runs beside a phase's inbound traffic, for as long, and returns
// what it adds to the result once every frame has arrived.
type phaseFn func(ctx context.Context, ph *phase) func(r *Result)

// measure runs one phase: inbound SMS at rate for d (and extra beside it),
// then waits for every frame, and accounts for it all.
func (s *session) measure(ctx context.Context, scenario string, rate float64, d time.Duration, workers int, extra phaseFn) Result {
	s.warm(ctx, rate, workers)
	r := s.common
	r.Scenario, r.Rate, r.DurationS, r.Started = scenario, rate, d.Seconds(), time.Now().UTC()
	r.Profiles = append([]string(nil), s.common.Profiles...)
	ph := newPhase()
	s.sw.phase.Store(ph)
	g0, _ := scrapeSum(ctx, s.st.bases(), metricGoroutines)
	slow0, _ := scrapeSum(ctx, s.st.bases(), metricSlow)
	hooks0, _ := scrapeHistogram(ctx, s.st.bases(), metricRequestSeconds, inboundRoute)
	planned0, unplanned0, fail0 := s.sw.planned.Load(), s.sw.unplanned.Load(), s.sw.failures.Load()
	p0, err := readProcs(s.st.pids())
	if err != nil {
		r.Failure = err.Error()
		return r
	}
	r.RSSStartKB = p0.rssKB
	c0, _ := readProc(os.Getpid())
	db := startDBCPU(s.st.dbName)
	m0, _ := readCPUTimes()
	var profiles func() []string
	if s.o.pprof && scenario != "S3" && scenario != "S4" {
		profiles = s.startProfiles(ctx, scenario, d, true)
	}
	logf("%s run %d: %s at %.0f SMS/s for %s", s.name, s.run, scenario, rate, d)
	st := newSendStats()
	var (
		wg     sync.WaitGroup
		finish func(*Result)
	)
	if extra != nil {
		wg.Go(func() { finish = extra(ctx, ph) })
	}
	r.Dropped = s.in.drive(ctx, rate, d, workers, st, ph)
	wg.Wait()
	r.DrainMs = ms(int64(waitDelivered(ctx, ph, 30*time.Second)))
	if hooks1, err := scrapeHistogram(ctx, s.st.bases(), metricRequestSeconds, inboundRoute); err == nil && hooks0 != nil {
		r.ServerWebhookP99, r.ServerWebhookP99Over = quantileBound(hooks0, hooks1, 0.99)
	}
	p1, _ := readProcs(s.st.pids())
	c1, _ := readProc(os.Getpid())
	dbUsed := db.used()
	m1, _ := readCPUTimes()
	wall := time.Since(st.start)

	msgs := ph.m.tally(kindMessage)
	reads := ph.m.tally(kindRead)
	r.Delivery, r.Webhook, r.PacerLag = msgs.Delivery, st.latency.dist(), st.lag.dist()
	r.Sent, r.Errors, r.ErrorsBy = st.sent.Load(), st.errorCount(), st.errorMap()
	r.AchievedRate = float64(st.ok.Load()) / st.end.Sub(st.start).Seconds()
	r.ExpectedFrames, r.ReceivedFrames = msgs.Expected+reads.Expected, msgs.Received+reads.Received
	r.Lost, r.Unexpected = msgs.Lost+reads.Lost, msgs.Unexpected+reads.Unexpected
	r.Duplicates, r.Gaps, r.Resyncs, r.BadFrames = ph.dups.Load(), ph.gaps.Load(), ph.resyncs.Load(), ph.bad.Load()
	cpu := p1.cpuUs - p0.cpuUs
	if r.ReceivedFrames > 0 {
		r.CPUUsPerDelivery = float64(cpu) / float64(r.ReceivedFrames)
	}
	r.ServerCPUCores = float64(cpu) / float64(wall.Microseconds())
	r.ClientCPUCores = float64(c1.cpuUs-c0.cpuUs) / float64(wall.Microseconds())
	r.DBCPUCores = float64(dbUsed) / float64(wall.Microseconds())
	if ok := st.ok.Load(); ok > 0 {
		r.DBCPUUsPerSMS = float64(dbUsed) / float64(ok)
	}
	r.MachineCPUBusy = busyFraction(m0, m1)
	r.RSSAfterKB = p1.rssKB
	r.RSSAfterKBPerConn = float64(p1.rssKB-s.base.rssKB) / float64(r.Conns)
	r.Reloads = s.sw.planned.Load() - planned0
	r.UnplannedReconnects = s.sw.unplanned.Load() - unplanned0
	r.ReconnectFailures = s.sw.failures.Load() - fail0
	if res := ph.resume.dist(); res.N > 0 {
		r.Resume = &res
	}
	if finish != nil {
		finish(&r)
	}
	if profiles != nil {
		r.Profiles = append(r.Profiles, profiles()...)
	}
	time.Sleep(s.o.settle)
	slow1, _ := scrapeSum(ctx, s.st.bases(), metricSlow)
	g1, _ := scrapeSum(ctx, s.st.bases(), metricGoroutines)
	r.SlowDisconnects = slow1 - slow0
	r.Goroutines.Idle, r.Goroutines.After = g0, g1
	logf("%s run %d: %s delivered %d/%d frames, p50 %.2f p99 %.2f p99.9 %.2f ms, webhook p99 %.2f ms, %d errors, %d lost, %d dups",
		s.name, s.run, scenario, r.ReceivedFrames, r.ExpectedFrames, r.Delivery.P50, r.Delivery.P99, r.Delivery.P999, r.Webhook.P99, r.Errors, r.Lost, r.Duplicates)
	return r
}

// warm sends unmeasured traffic at rate for the -warmup duration, once per
// session, and waits for it to be delivered: the servers open their
// database connections and fill their caches outside the measurements.
func (s *session) warm(ctx context.Context, rate float64, workers int) {
	if s.warmed || s.o.warmup <= 0 {
		return
	}
	s.warmed = true
	ph := newPhase()
	s.sw.phase.Store(ph)
	s.in.drive(ctx, rate, s.o.warmup, workers, newSendStats(), ph)
	waitDelivered(ctx, ph, 30*time.Second)
	time.Sleep(s.o.settle)
}

// close closes every socket, waits for the servers' goroutines to come back
// to their level before the sockets (for the settle time at most), records
// how many they kept in rs, and stops the servers.
func (s *session) close(ctx context.Context, rs []Result) {
	t0 := time.Now()
	s.sw.stop()
	s.api.http.CloseIdleConnections()
	s.in.hooks.http.CloseIdleConnections()
	base := int64(s.common.Goroutines.Base)
	g, err := scrapeSum(ctx, s.st.bases(), metricGoroutines)
	for deadline := time.Now().Add(s.o.settle); err == nil && g > base && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(50 * time.Millisecond)
		g, err = scrapeSum(ctx, s.st.bases(), metricGoroutines)
	}
	if err == nil {
		for i := range rs {
			rs[i].Goroutines.Closed = g
		}
	}
	closed := time.Since(t0)
	s.st.close()
	logf("%s run %d: torn down in %s (sockets closed in %s)", s.name, s.run, time.Since(t0).Round(10*time.Millisecond), closed.Round(10*time.Millisecond))
}

func storeName(postgres bool) string {
	if postgres {
		return "PostgreSQL + Redis"
	}
	return "SQLite + in-process bus"
}

// loadAvg is the machine's load average (1, 5, 15 min).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// logf prints progress to stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
