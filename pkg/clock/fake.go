package clock

import (
	"sync"
	"time"
)

// Fake is a clock for tests. Made by NewFake it runs at the wall clock's
// pace from a shifted origin, so that code pacing itself in short intervals
// (send lanes, polls) still works; made by NewFrozen it stands still, for
// tests that compare times exactly. Either way Advance or Set jump it
// forward, and waiters whose time has come are woken at once.
type Fake struct {
	mu      sync.Mutex
	frozen  bool
	at      time.Time     // the time, when frozen
	offset  time.Duration // from the wall clock, when running
	waiters map[*waiter]struct{}
}

type waiter struct {
	at    time.Time
	ch    chan time.Time
	timer *time.Timer
}

var _ Clock = (*Fake)(nil)

// NewFake returns a running Fake that reads start now.
func NewFake(start time.Time) *Fake {
	f := &Fake{waiters: map[*waiter]struct{}{}}
	f.offset = start.Sub(time.Now())
	return f
}

// NewFrozen returns a Fake that reads start until it is moved: nothing
// passes between two readings, however slow the test.
func NewFrozen(start time.Time) *Fake {
	return &Fake{frozen: true, at: start.UTC(), waiters: map[*waiter]struct{}{}}
}

// Now is the time: the wall clock plus the jumps made so far, or the frozen
// time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now()
}

func (f *Fake) now() time.Time {
	if f.frozen {
		return f.at
	}
	return time.Now().Add(f.offset).UTC()
}

// After returns a channel that receives once the fake time reaches now + d,
// by the passing of real time (unless frozen) or by a jump.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &waiter{at: f.now().Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- f.now()
		return w.ch
	}
	f.waiters[w] = struct{}{}
	if !f.frozen {
		w.timer = time.AfterFunc(d, func() { f.fire(w) })
	}
	return w.ch
}

// Advance moves the clock forward by d (d > 0).
func (f *Fake) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	f.mu.Lock()
	f.offset += d
	f.at = f.at.Add(d)
	f.mu.Unlock()
	f.wake()
}

// Set moves the clock to t, if t is later than now: a clock never goes back.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if d := t.Sub(f.now()); d > 0 {
		f.offset += d
		f.at = f.at.Add(d)
	}
	f.mu.Unlock()
	f.wake()
}

// wake fires every waiter whose time has come.
func (f *Fake) wake() {
	f.mu.Lock()
	var due []*waiter
	now := f.now()
	for w := range f.waiters {
		if !w.at.After(now) {
			due = append(due, w)
		}
	}
	f.mu.Unlock()
	for _, w := range due {
		f.fire(w)
	}
}

// fire delivers a waiter's time once, from a jump or from its real-time
// timer (the fake time only ever runs ahead of the wall clock's, so the
// timer never fires early).
func (f *Fake) fire(w *waiter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.waiters[w]; !ok {
		return
	}
	delete(f.waiters, w)
	if w.timer != nil {
		w.timer.Stop()
	}
	w.ch <- f.now()
}
