// Command inboxbench is the load client of issue 7: it measures smsinbox
// end to end, against real inboxd processes, the way recruiters and Plivo
// use it.
//
// For each scenario it starts the servers on a fresh store (a new
// PostgreSQL database, or a new embedded store), creates a company with
// `inboxd admin create` and the API, signs every user in, opens N
// websockets (spread over the source addresses 127.0.0.2–127.0.0.9,
// authenticated by single-use tickets as the UI does), and then drives
// inbound SMS through the real signed Plivo webhook at a fixed rate, open
// loop. Each SMS carries a unique MessageUUID; the delay from the webhook
// request's start to its message.created frame on every tab of the number
// is the delivery latency. Every expected frame is accounted for (lost),
// and every tab checks its topics' seqs (duplicates, gaps). The servers'
// RSS and CPU time come from /proc, their goroutines from /metrics.
//
//	S1         broadcast: every socket on one number (CPU per frame)
//	S2         inbox shape: 10 sockets per number (5 assignees × 2 tabs), steady SMS
//	S3         S2 while 10 % of the tabs reload with resume per minute
//	S2-sqlite  S2 on the embedded store and in-process bus
//	S4         two instances on one PostgreSQL + Redis, reads on one clearing bells on the other
//	S5         the highest SMS rate one instance sustains (durable commits, webhook p99 ≤ 50 ms)
//
// It prints one table (medians over -runs) and the targets, and writes
// every result as JSON (-json). scripts/bench.sh, behind `make bench` and
// `make bench-quick`, prepares PostgreSQL, Redis, the binary and the file
// limit, then runs it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "inboxbench:", err)
		os.Exit(1)
	}
}

// report is the JSON file of one invocation.
type report struct {
	Command  []string    `json:"command"`
	Started  time.Time   `json:"started"`
	Machine  machine     `json:"machine"`
	Server   serverBuild `json:"server_build"`
	Postgres *pgInfo     `json:"postgres,omitempty"`
	Results  []Result    `json:"results"`
	Medians  []Summary   `json:"medians"`
}

type machine struct {
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	MemTotal  string `json:"mem_total"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	FileLimit uint64 `json:"file_limit"`
}

type pgInfo struct {
	Version           string `json:"version"`
	Fsync             string `json:"fsync"`
	SynchronousCommit string `json:"synchronous_commit"`
}

func run(ctx context.Context, args []string) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	for _, dir := range []string{o.resultsDir, o.logDir, o.profileDir, filepath.Dir(o.jsonPath)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	rep := report{Command: append([]string{"inboxbench"}, args...), Started: time.Now().UTC(), Machine: machineInfo(),
		Server: readServerBuild(o.inboxd, o.revision)}
	if rep.Machine.FileLimit, err = raiseFileLimit(uint64(max(o.conns, o.s5Conns) + 1000)); err != nil {
		return err
	}
	if o.needsPostgres() {
		fsync, sc, version, err := pgSettings(ctx, o.databaseURL)
		if err != nil {
			return fmt.Errorf("PostgreSQL at -database-url: %w", err)
		}
		rep.Postgres = &pgInfo{Version: version, Fsync: fsync, SynchronousCommit: sc}
		if fsync != "on" || sc == "off" || sc == "local" {
			logf("WARNING: PostgreSQL runs with fsync=%s synchronous_commit=%s: commits are not durable, so S5 does not count", fsync, sc)
		}
	}
	logf("inboxbench: inboxd %s; %s, %d CPUs; scenarios %s; %d run(s); %d sockets; %s each", rep.Server, rep.Machine.CPUModel, rep.Machine.CPUs,
		strings.Join(o.scenarios, ","), o.runs, o.conns, o.duration)
	o.templates = newTemplates(o)
	defer o.templates.close()
	var failed []string
	for run := 1; run <= o.runs && ctx.Err() == nil; run++ {
		for _, g := range groups {
			if !g.want(o) || ctx.Err() != nil {
				continue
			}
			rs, err := g.run(ctx, o, run)
			if err != nil {
				logf("%s run %d failed: %v", g.name, run, err)
				failed = append(failed, fmt.Sprintf("%s run %d: %v", g.name, run, err))
				continue
			}
			rep.Results = append(rep.Results, rs...)
			rep.Medians = summarize(rep.Results)
			if err := writeJSON(o.jsonPath, rep); err != nil {
				return err
			}
		}
	}
	fmt.Printf("\ninboxd %s, %s\n\n", rep.Server, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	printTable(os.Stdout, rep.Medians)
	fmt.Printf("\nresults: %s\n", o.jsonPath)
	if len(failed) > 0 {
		return fmt.Errorf("%d scenario run(s) failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return ctx.Err()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// machineInfo describes the machine the numbers come from.
func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := statusField(b, "MemTotal:"); err == nil {
			m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
