package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCLI runs inboxd's command line in this process with env as its whole
// environment, and returns what it printed.
func testCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = run(ctx, args, cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errs})
	return out.String(), errs.String(), err
}

// Help never acts: every command's --help prints usage and exits 0, and the
// data folder stays empty — no store opened, no server started.
func TestHelpHasNoSideEffects(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"--help"}, {"-h"}, {"-help"},
		{"serve", "--help"}, {"serve", "-h"},
		{"migrate", "--help"}, {"migrate", "up", "--help"}, {"migrate", "status", "--help"}, {"migrate", "down-to", "1", "--help"},
		{"admin", "--help"}, {"admin", "create", "--help"}, {"admin", "create", "--company", "X", "--email", "a@b.c", "--password", "p", "-h"},
		{"simulate", "inbound", "--help"},
		{"consent", "--help"}, {"consent", "verify", "--help"}, {"consent", "verify", "-h"},
		{"version", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"INBOX_DATA_DIR": dir, "INBOX_ADDR": freeAddr(t), "INBOX_ADMIN_PASSWORD": "correct horse battery"}
			stdout, stderr, err := testCLI(t, env, "", args...)
			if err != nil {
				t.Fatalf("got error %v, want usage and success", err)
			}
			if !strings.Contains(stdout, "Usage") || stderr != "" {
				t.Errorf("stdout %q, stderr %q; want usage on stdout and nothing on stderr", stdout, stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the data folder holds %v after %v; want nothing created", entries, args)
			}
		})
	}
}

func TestUnknownCommands(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"admin"}, {"admin", "delete"}, {"migrate", "sideways"}, {"serve", "extra"}} {
		dir := t.TempDir()
		if _, _, err := testCLI(t, map[string]string{"INBOX_DATA_DIR": dir}, "", args...); err == nil {
			t.Errorf("%v: got success, want an error", args)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 && args[0] != "migrate" {
			t.Errorf("%v created %v", args, entries)
		}
	}
}

// The built binary: --help exits 0 at once instead of starting the server,
// and version names the release.
func TestBinaryHelpAndVersion(t *testing.T) {
	bin := inboxdBinary(t)
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"version"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"INBOX_DATA_DIR=" + dir, "PATH=" + os.Getenv("PATH")}
		timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
		out, err := cmd.CombinedOutput()
		timer.Stop()
		if err != nil {
			t.Fatalf("inboxd %v: %v\n%s", args, err, out)
		}
		want := "Usage"
		if args[0] == "version" {
			want = "inboxd " + version
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("inboxd %v printed %q, want %q", args, out, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the data folder holds %v; want nothing", entries)
	}
}

// admin create takes the password from stdin or INBOX_ADMIN_PASSWORD; on the
// command line it still works, with a warning.
func TestAdminCreatePassword(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"INBOX_DATA_DIR": dir, "INBOX_PASSWORD_COST": "4", "INBOX_LOG_LEVEL": "error"}
	for i, c := range []struct {
		stdin, envPassword string
		args               []string
		warn               bool
	}{
		{stdin: "from stdin pw\n", args: []string{"--password-stdin"}},
		{envPassword: "from the env pw"},
		{args: []string{"--password", "on the command line"}, warn: true},
	} {
		env["INBOX_ADMIN_PASSWORD"] = c.envPassword
		email := []string{"a@one.test", "b@one.test", "c@one.test"}[i]
		args := append([]string{"admin", "create", "--company", "One", "--email", email}, c.args...)
		stdout, stderr, err := testCLI(t, env, c.stdin, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if strings.TrimSpace(stdout) == "" {
			t.Errorf("%v printed no user id", args)
		}
		if got := strings.Contains(stderr, "warning"); got != c.warn {
			t.Errorf("%v: stderr %q; want a warning: %v", args, stderr, c.warn)
		}
	}
	if _, _, err := testCLI(t, map[string]string{"INBOX_DATA_DIR": dir}, "", "admin", "create", "--company", "One", "--email", "d@one.test"); err == nil ||
		!strings.Contains(err.Error(), "INBOX_ADMIN_PASSWORD") {
		t.Errorf("no password anywhere: got %v, want an error naming INBOX_ADMIN_PASSWORD", err)
	}
	if _, _, err := testCLI(t, map[string]string{"INBOX_DATA_DIR": dir}, "", "admin", "create", "--company", "One", "--email", "d@one.test", "--password-stdin"); err == nil {
		t.Error("--password-stdin with nothing on stdin: got success, want an error")
	}
	// Each admin signs in with the password it was given.
	s := startServer(t, map[string]string{"INBOX_DATA_DIR": dir})
	s.login(t, "a@one.test", "from stdin pw")
	s.login(t, "b@one.test", "from the env pw")
	s.login(t, "c@one.test", "on the command line")
}

// migrate applies every migration, status lists them, and down-to rolls the
// schema back and up again.
func TestMigrateCommand(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		env["INBOX_DATA_DIR"] = t.TempDir()
		env["INBOX_LOG_LEVEL"] = "error"
		status := func() string {
			out, _, err := testCLI(t, env, "", "migrate", "status")
			if err != nil {
				t.Fatalf("migrate status: %v", err)
			}
			return out
		}
		if out := status(); !strings.Contains(out, "00001_initial.sql") || !strings.Contains(out, "pending") {
			t.Errorf("status of an empty database:\n%s\nwant every migration pending", out)
		}
		out, _, err := testCLI(t, env, "", "migrate")
		if err != nil || !strings.Contains(out, "schema at version") {
			t.Fatalf("migrate: %q, %v", out, err)
		}
		if out := status(); strings.Contains(out, "pending") {
			t.Errorf("status after migrate:\n%s\nwant nothing pending", out)
		}
		if out, _, err := testCLI(t, env, "", "migrate", "down-to", "1"); err != nil || !strings.Contains(out, "rolled back") {
			t.Fatalf("migrate down-to 1: %q, %v", out, err)
		}
		if out := status(); !strings.Contains(out, "pending") {
			t.Errorf("status after rolling back:\n%s\nwant later migrations pending", out)
		}
		if _, _, err := testCLI(t, env, "", "migrate", "up"); err != nil {
			t.Fatalf("migrate up: %v", err)
		}
		if _, err := os.Stat(filepath.Join(env["INBOX_DATA_DIR"], "smsinbox.db")); env["DATABASE_URL"] == "" && err != nil {
			t.Errorf("no embedded store after migrate: %v", err)
		}
	})
}
