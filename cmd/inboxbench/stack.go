package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// instance is one inboxd process.
type instance struct {
	url   string // base and public URL
	pid   int
	cmd   *exec.Cmd
	log   string // its stdout and stderr
	pprof string // base URL of its pprof listener, when profiling
	done  chan error
}

// stack is a scenario's servers: a fresh store (a new PostgreSQL database,
// or a new embedded store), and n inboxd processes on it (with Redis as
// their bus when on PostgreSQL).
type stack struct {
	o       *options
	name    string
	store   string // postgres or sqlite
	bus     string // redis or in-process
	dbName  string
	prefix  string // the servers' Redis prefix
	dataDir string
	token   string
	env     []string
	insts   []*instance
}

// startStack prepares the store, creates the company's admin with
// `inboxd admin create`, and starts n servers, each until it answers. On
// PostgreSQL with a template, the store is a copy of that database, which
// already holds the company.
func startStack(ctx context.Context, o *options, name string, postgres bool, n int, template string) (st *stack, err error) {
	st = &stack{o: o, name: name, store: "sqlite", bus: "in-process", token: randomHex(16)}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	if st.dataDir, err = os.MkdirTemp("", "inboxbench-"+name+"-"); err != nil {
		return st, err
	}
	st.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"INBOX_DEMO=0", "INBOX_LOG_LEVEL=warn", "INBOX_DATA_DIR=" + st.dataDir,
		"PLIVO_AUTH_TOKEN=" + st.token,
		// Sign-ins are set-up, not what is measured: a cheap hash keeps
		// thousands of them quick. Sockets authenticate by ticket or session.
		"INBOX_PASSWORD_COST=4"}
	st.env = append(st.env, o.serverEnv...)
	if postgres {
		st.store, st.bus = "postgres", "redis"
		st.dbName = "inboxbench_" + o.stamp + "_" + strings.ReplaceAll(strings.ToLower(name), "-", "_")
		dbURL, err := createDatabase(ctx, o.databaseURL, st.dbName, template)
		if err != nil {
			st.dbName = ""
			return st, err
		}
		// No Plivo: on PostgreSQL the simulator must be asked for.
		st.prefix = "inboxbench-" + o.stamp + "-" + name
		st.env = append(st.env, "DATABASE_URL="+dbURL, "REDIS_URL="+o.redisURL,
			"INBOX_REDIS_PREFIX="+st.prefix, "INBOX_SIMULATOR=1")
	}
	if !postgres || template == "" {
		admin := exec.CommandContext(ctx, o.inboxd, "admin", "create", "--company", benchCompany, "--email", adminEmail, "--password", benchPassword)
		admin.Env = st.env
		if out, err := admin.CombinedOutput(); err != nil {
			return st, fmt.Errorf("inboxd admin create: %v\n%s", err, out)
		}
	}
	for i := range n {
		inst, err := st.start(ctx, i)
		if inst != nil {
			st.insts = append(st.insts, inst)
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// start runs the i-th server on a free port and waits until it answers.
func (st *stack) start(ctx context.Context, i int) (*instance, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	inst := &instance{url: "http://" + addr, log: filepath.Join(st.o.logDir, fmt.Sprintf("%s-%s-%d.log", st.o.stamp, st.name, i)), done: make(chan error, 1)}
	env := append(st.env[:len(st.env):len(st.env)], "INBOX_ADDR="+addr, "INBOX_PUBLIC_URL="+inst.url)
	if st.o.pprof {
		paddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		env = append(env, "INBOX_PPROF_ADDR="+paddr)
		inst.pprof = "http://" + paddr
	}
	logf, err := os.Create(inst.log)
	if err != nil {
		return nil, err
	}
	inst.cmd = exec.Command(st.o.inboxd)
	inst.cmd.Env = env
	inst.cmd.Stdout, inst.cmd.Stderr = logf, logf
	// Its own process group (a Ctrl-C reaches the bench, which stops it
	// cleanly), and it dies with the bench.
	inst.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := inst.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start inboxd: %w", err)
	}
	inst.pid = inst.cmd.Process.Pid
	go func() { inst.done <- inst.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(inst.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-inst.done:
			inst.done <- err
			return inst, fmt.Errorf("inboxd exited before answering (%v):\n%s", err, tail(inst.log, 20))
		case <-ctx.Done():
			return inst, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return inst, fmt.Errorf("inboxd did not answer on %s within 60 s:\n%s", addr, tail(inst.log, 20))
		}
	}
	return inst, nil
}

// close stops the servers, drops the database and removes the data
// directory.
func (st *stack) close() {
	t0 := time.Now()
	st.stopServers()
	stopped := time.Since(t0)
	if st.dbName != "" && st.o.keep {
		logf("%s: kept database %s", st.name, st.dbName)
	} else if st.dbName != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := dropDatabase(ctx, st.o.databaseURL, st.dbName); err != nil {
			fmt.Fprintf(os.Stderr, "inboxbench: drop database %s: %v\n", st.dbName, err)
		}
		cancel()
	}
	if st.dataDir != "" {
		_ = os.RemoveAll(st.dataDir)
	}
	logf("%s: servers stopped in %s, store removed in %s", st.name, stopped.Round(10*time.Millisecond), (time.Since(t0) - stopped).Round(10*time.Millisecond))
}

// stopServers stops the servers: SIGTERM, then SIGKILL after 20 s.
func (st *stack) stopServers() {
	for _, inst := range st.insts {
		_ = inst.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, inst := range st.insts {
		select {
		case <-inst.done:
		case <-time.After(20 * time.Second):
			_ = inst.cmd.Process.Kill()
			<-inst.done
		}
	}
	st.insts = nil
}

// pids and bases list the servers' process ids and base URLs.
func (st *stack) pids() []int {
	var out []int
	for _, i := range st.insts {
		out = append(out, i.pid)
	}
	return out
}

func (st *stack) bases() []string {
	var out []string
	for _, i := range st.insts {
		out = append(out, i.url)
	}
	return out
}

// fileLimit returns the soft open-file limit of process pid.
func fileLimit(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Max open files"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no open-file limit in /proc/%d/limits", pid)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
