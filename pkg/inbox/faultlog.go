package inbox

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// FaultLogEvery is how often a failing dependency is logged while it keeps
// failing.
const FaultLogEvery = 10 * time.Second

// FaultLog logs the failures of one dependency at most once per interval,
// each line with how many failures it stands for: an outage of the database
// or the bus is one story told every interval, not a line per request (a
// 5-second database outage under load was once 4,000 lines). The first
// failure after a quiet interval is logged at once. Pacing is by the wall
// clock: it is about how much an operator reads, not about business time.
// A FaultLog is safe for concurrent use.
type FaultLog struct {
	log   *slog.Logger
	level slog.Level
	msg   string
	every time.Duration
	now   func() time.Time // the wall clock; tests move it

	mu     sync.Mutex
	count  int64     // failures not yet logged
	logged time.Time // when the last line was written
}

// NewFaultLog returns a FaultLog writing msg at level to log (nil:
// slog.Default()) at most once every interval (0: FaultLogEvery).
func NewFaultLog(log *slog.Logger, level slog.Level, msg string, every time.Duration) *FaultLog {
	if log == nil {
		log = slog.Default()
	}
	if every <= 0 {
		every = FaultLogEvery
	}
	return &FaultLog{log: log, level: level, msg: msg, every: every, now: time.Now}
}

// Failed counts one failure and, when the interval has passed since the last
// line, logs it with the count ("failures": this one and those not logged
// since), err and args. It reports whether it wrote a line.
func (f *FaultLog) Failed(err error, args ...any) bool {
	f.mu.Lock()
	f.count++
	now := f.now()
	if !f.logged.IsZero() && now.Sub(f.logged) < f.every {
		f.mu.Unlock()
		return false
	}
	n := f.count
	f.count, f.logged = 0, now
	f.mu.Unlock()
	f.log.Log(context.Background(), f.level, f.msg, append([]any{"failures", n, "err", err}, args...)...)
	return true
}
