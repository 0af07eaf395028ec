package inbox_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// TestFaultLog: an outage is one line per interval, each with the count of
// failures it stands for; the first failure is logged at once.
func TestFaultLog(t *testing.T) {
	var out strings.Builder
	f := inbox.NewFaultLog(slog.New(slog.NewTextHandler(&out, nil)), slog.LevelError, "store down", 10*time.Second)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.SetNow(func() time.Time { return now })
	lines := func() []string { return strings.Split(strings.TrimSpace(out.String()), "\n") }

	err := errors.New("connection refused")
	if !f.Failed(err, "path", "/api/inbox") {
		t.Error("the first failure was not logged")
	}
	for range 999 {
		if f.Failed(err) {
			t.Fatal("a failure within the interval was logged")
		}
		now = now.Add(5 * time.Millisecond) // 999 failures over about 5 s
	}
	now = now.Add(6 * time.Second) // the interval has passed
	if !f.Failed(err) {
		t.Error("the first failure after the interval was not logged")
	}
	got := lines()
	if len(got) != 2 {
		t.Fatalf("1,001 failures over 10 s logged %d lines, want 2:\n%s", len(got), out.String())
	}
	for i, want := range []string{"failures=1 ", "failures=1000 "} {
		if !strings.Contains(got[i], want) || !strings.Contains(got[i], "level=ERROR") || !strings.Contains(got[i], "connection refused") {
			t.Errorf("line %d = %q; want %q, the level and the cause", i+1, got[i], want)
		}
	}
	if !strings.Contains(got[0], "path=/api/inbox") {
		t.Errorf("line 1 = %q; want the caller's attributes", got[0])
	}
}
