package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// inboxdBinary builds this command once per test run.
func inboxdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "inboxd-test-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, "inboxd"), ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "inboxd")
}

// process is an inboxd running as its own OS process.
type process struct {
	URL    string
	cmd    *exec.Cmd
	env    []string
	killed bool // by kill9: no clean shutdown to check
}

// kill9 kills the process with SIGKILL, as a crash or the OOM killer
// would: no shutdown, no last write. It returns once the process is gone.
func (p *process) kill9(t *testing.T) {
	t.Helper()
	p.killed = true
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 inboxd at %s: %v", p.URL, err)
	}
	p.cmd.Wait() //nolint:errcheck // "signal: killed", as intended
}

// startProcess runs the built inboxd with env on a free port until the test
// ends (SIGTERM, then wait: a clean shutdown is part of what is tested,
// unless the test killed it with kill9). It is an end-to-end test: skipped
// under -short.
func startProcess(t *testing.T, env map[string]string) *process {
	t.Helper()
	endToEnd(t)
	addr := freeAddr(t)
	vars := map[string]string{
		"INBOX_ADDR": addr, "INBOX_PUBLIC_URL": "http://" + addr, "INBOX_DEMO": "0",
		"INBOX_PASSWORD_COST": "4", "INBOX_SEND_INTERVAL": "20ms", "INBOX_LOG_LEVEL": "warn",
		"INBOX_DATA_DIR": t.TempDir(), "PATH": os.Getenv("PATH"),
	}
	for k, v := range env {
		vars[k] = v
	}
	p := &process{URL: "http://" + addr}
	for k, v := range vars {
		p.env = append(p.env, k+"="+v)
	}
	p.cmd = exec.Command(inboxdBinary(t))
	p.cmd.Env = p.env
	logs, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			t.Log(addr + ": " + sc.Text())
		}
	}()
	t.Cleanup(func() {
		if p.killed {
			return
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("inboxd at %s exited with %v after SIGTERM, want a clean exit", addr, err)
			}
		case <-time.After(20 * time.Second):
			p.cmd.Process.Kill()
			t.Errorf("inboxd at %s did not stop within 20 s of SIGTERM", addr)
		}
	})
	eventually(t, 30*time.Second, "inboxd at "+addr+" answers", func() bool {
		resp, err := http.Get(p.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

// run runs an inboxd subcommand with the process's environment.
func (p *process) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(inboxdBinary(t), args...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("inboxd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// server gives the harness's client and webhook helpers a process.
func (p *process) server(t *testing.T, token string) *testServer {
	return &testServer{URL: p.URL, cfg: Config{PlivoAuthToken: token}, stop: func() {}}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// redisServer runs a private redis-server on addr, so that a test may stop
// and restart it without disturbing anyone else's.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
}

func startRedis(t *testing.T, addr string) *redisServer {
	t.Helper()
	endToEnd(t)
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server is not installed (scripts/services.sh installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	host, port, _ := net.SplitHostPort(addr)
	r := &redisServer{addr: addr}
	r.cmd = exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "redis-server answers on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	return r
}

func (r *redisServer) stop() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
}
