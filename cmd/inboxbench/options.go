package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// The scenarios of issue 7.
const (
	scenS1       = "s1"        // broadcast: every socket on one number
	scenS2       = "s2"        // inbox shape on PostgreSQL + Redis
	scenS2SQLite = "s2-sqlite" // inbox shape on the embedded store and in-process bus
	scenS3       = "s3"        // S2 with 10 % of the sockets reloading per minute
	scenS4       = "s4"        // two instances, reads on one clearing bells on the other
	scenS5       = "s5"        // the highest inbound rate one instance sustains
	scenOutage   = "outage"    // a Redis outage under traffic: paced catch-up, no slow closes
	scenInterest = "interest"  // four instances holding 10/20/30/40 % of the numbers: bus messages per instance
)

// allScenarios are those run unless -scenarios says otherwise; extra ones
// run only when named.
var (
	allScenarios   = []string{scenS1, scenS2, scenS3, scenS2SQLite, scenS4, scenS5}
	extraScenarios = []string{scenOutage, scenInterest}
)

// options are the command line.
type options struct {
	inboxd      string
	databaseURL string
	redisURL    string
	scenarios   []string
	runs        int
	conns       int
	duration    time.Duration
	settle      time.Duration
	warmup      time.Duration
	auth        string
	connectConc int
	setupConc   int
	workers     int

	s1Rate, s2Rate, s4Rate, s4ReadRate float64
	churn                              float64
	s5Conns                            int
	s5Start, s5Step, s5Max             float64
	s5Refine, s5Tries, s5Retries       int
	s5StepDur, s5Duration              time.Duration
	s5P99                              float64

	interestRate float64

	outageConns                int
	outageRate                 float64
	outageDown, outageDuration time.Duration

	jsonPath   string
	resultsDir string
	logDir     string
	pprof      bool
	profileDir string
	quick      bool
	keep       bool
	serverEnv  []string   // extra KEY=VALUE for the servers (GOGC, INBOX_* knobs)
	revision   string     // the commit inboxd was built from, when it cannot tell
	stamp      string     // names this invocation's databases, logs and files
	templates  *templates // the companies built so far, one per shape (not a flag)
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("inboxbench", flag.ContinueOnError)
	fs.StringVar(&o.inboxd, "inboxd", "bin/inboxd", "the inboxd binary to run")
	fs.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL of an existing database, used to create and drop a fresh one per scenario")
	fs.StringVar(&o.redisURL, "redis-url", os.Getenv("REDIS_URL"), "Redis URL")
	scen := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios: "+strings.Join(allScenarios, ", ")+
		" (the default), or "+strings.Join(extraScenarios, ", "))
	fs.IntVar(&o.runs, "runs", 1, "runs of every scenario; the table shows medians")
	fs.BoolVar(&o.quick, "quick", false, "the quick preset: 2,000 sockets, 5 s per scenario, S5 on S2's sockets with a short ramp (explicit flags win)")
	fs.IntVar(&o.conns, "conns", 10000, "websockets per scenario (S1-S4)")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "traffic per scenario")
	fs.DurationVar(&o.settle, "settle", 3*time.Second, "pause before idle and after-traffic measurements")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured traffic at the scenario's rate before its first measurement (fills the servers' connection pools)")
	fs.StringVar(&o.auth, "auth", authTicket, "websocket authentication: ticket (POST /api/ws-ticket, as the UI) or cookie")
	fs.IntVar(&o.connectConc, "connect-concurrency", 64, "sockets connecting at once")
	fs.IntVar(&o.setupConc, "setup-concurrency", 32, "API calls at once during set-up")
	fs.IntVar(&o.workers, "workers", 256, "concurrent webhook requests at most (the pacer is open-loop: when all are busy, due requests queue for up to a second, then are dropped and counted)")
	fs.Float64Var(&o.s1Rate, "s1-rate", 2, "S1 inbound SMS/s (each to every socket)")
	fs.Float64Var(&o.s2Rate, "s2-rate", 500, "S2 and S3 inbound SMS/s")
	fs.Float64Var(&o.churn, "churn", 0.10, "S3: fraction of the sockets reloading (with resume) per minute")
	fs.Float64Var(&o.s4Rate, "s4-rate", 500, "S4 inbound SMS/s, over both instances")
	fs.Float64Var(&o.s4ReadRate, "s4-read-rate", 100, "S4 thread reads/s, over both instances")
	fs.IntVar(&o.s5Conns, "s5-conns", 1000, "S5 websockets")
	fs.Float64Var(&o.s5Start, "s5-start", 250, "S5: first rate of the ramp, SMS/s")
	fs.Float64Var(&o.s5Step, "s5-step", 250, "S5: rate added at each step")
	fs.Float64Var(&o.s5Max, "s5-max", 6000, "S5: highest rate tried")
	fs.IntVar(&o.s5Refine, "s5-refine", 2, "S5: bisection steps between the last rate that passed and the first that failed")
	fs.IntVar(&o.s5Tries, "s5-tries", 2, "S5: times a ramp step is tried before it counts as failed (on a shared machine another process's burst can spoil a few seconds)")
	fs.IntVar(&o.s5Retries, "s5-retries", 2, "S5: times the confirmation is tried again at 80 % of the rate when it fails")
	fs.DurationVar(&o.s5StepDur, "s5-step-duration", 10*time.Second, "S5: length of a ramp step")
	fs.DurationVar(&o.s5Duration, "s5-duration", 60*time.Second, "S5: length of the confirmation at the best rate")
	fs.Float64Var(&o.s5P99, "s5-p99", 50, "S5: the webhook p99 (ms) a rate must stay under")
	fs.Float64Var(&o.interestRate, "interest-rate", 100, "interest: inbound SMS/s, uniform over the numbers, over the four instances")
	fs.IntVar(&o.outageConns, "outage-conns", 1000, "outage: websockets, all on one number, split over two instances")
	fs.Float64Var(&o.outageRate, "outage-rate", 30, "outage: inbound SMS/s (each to every socket)")
	fs.DurationVar(&o.outageDown, "outage-down", 20*time.Second, "outage: how long Redis is stopped")
	fs.DurationVar(&o.outageDuration, "outage-duration", 40*time.Second, "outage: traffic, the outage in its middle (at least outage-down + 10 s)")
	fs.StringVar(&o.jsonPath, "json", "", "write the results as JSON here (default bench-results/<time>.json)")
	fs.StringVar(&o.resultsDir, "results", "bench-results", "folder of the JSON, server logs and profiles")
	fs.BoolVar(&o.pprof, "pprof", false, "profile the servers of S1, S2 and S5 (the binary must serve net/http/pprof on INBOX_PPROF_ADDR: see scripts/bench.sh)")
	env := fs.String("server-env", "", "comma-separated KEY=VALUE added to the servers' environment, for experiments (GOGC=50,GOMEMLIMIT=…)")
	fs.StringVar(&o.revision, "revision", "", "the commit -inboxd was built from, recorded with the results (default: the binary's own VCS information)")
	fs.BoolVar(&o.keep, "keep", false, "keep each scenario's PostgreSQL database (its name is logged) for inspection")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		// Fit in about 90 s on two cores: shorter phases and pauses, a
		// coarser S5 ramp, and S5 on S2's sockets (see s5OnInbox).
		quick := map[string]func(){
			"conns": func() { o.conns = 2000 }, "duration": func() { o.duration = 5 * time.Second },
			"settle": func() { o.settle = 500 * time.Millisecond }, "warmup": func() { o.warmup = 500 * time.Millisecond },
			"s5-step-duration": func() { o.s5StepDur = 2 * time.Second }, "s5-duration": func() { o.s5Duration = 5 * time.Second },
			"s5-refine": func() { o.s5Refine = 1 }, "s5-tries": func() { o.s5Tries = 1 }, "s5-retries": func() { o.s5Retries = 0 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
		if !set["s5-conns"] {
			o.s5Conns = o.conns
		}
	}
	for _, kv := range strings.Split(*env, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("-server-env %q: want KEY=VALUE", kv)
		}
		o.serverEnv = append(o.serverEnv, kv)
	}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(allScenarios, s) && !slices.Contains(extraScenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (want %s)", s, strings.Join(append(slices.Clone(allScenarios), extraScenarios...), ", "))
		}
		o.scenarios = append(o.scenarios, s)
	}
	if o.auth != authTicket && o.auth != authCookie {
		return nil, fmt.Errorf("-auth %q: want ticket or cookie", o.auth)
	}
	if o.runs < 1 || o.conns < 10 || o.s5Conns < 10 || o.duration <= 0 || o.s5Tries < 1 || o.s5Retries < 0 {
		return nil, errors.New("-runs and -s5-tries must be at least 1, -conns and -s5-conns at least 10, -duration positive, -s5-retries not negative")
	}
	if o.needsPostgres() && (o.databaseURL == "" || o.redisURL == "") {
		return nil, errors.New("the PostgreSQL scenarios need -database-url and -redis-url (or DATABASE_URL and REDIS_URL): scripts/bench.sh sets them")
	}
	o.stamp = time.Now().UTC().Format("20060102t150405")
	o.logDir = o.resultsDir + "/logs"
	o.profileDir = o.resultsDir + "/profiles"
	if o.jsonPath == "" {
		o.jsonPath = o.resultsDir + "/" + o.stamp + ".json"
	}
	return o, nil
}

func (o *options) has(s string) bool { return slices.Contains(o.scenarios, s) }

// s5OnInbox reports whether S5 runs on S2's session rather than its own:
// it has S2's shape at -s5-conns sockets, so when that is -conns (as in
// -quick) the sockets need not be set up twice.
func (o *options) s5OnInbox() bool {
	return o.has(scenS5) && o.s5Conns == o.conns && (o.has(scenS2) || o.has(scenS3))
}

func (o *options) needsPostgres() bool {
	return slices.ContainsFunc(o.scenarios, func(s string) bool { return s != scenS2SQLite })
}
