package clock_test

import (
	"testing"
	"time"

	"smsinbox/pkg/clock"
)

func TestFakeAdvanceWakesDueWaiters(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := clock.NewFake(start)
	if got := f.Now(); got.Before(start) || got.Sub(start) > time.Minute {
		t.Fatalf("Now() = %v, want about %v", got, start)
	}
	hour := f.After(time.Hour)
	day := f.After(24 * time.Hour)
	f.Advance(61 * time.Minute)
	select {
	case at := <-hour:
		if at.Sub(start) < time.Hour {
			t.Errorf("the hour waiter woke at %v, before its time", at)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hour waiter did not wake after a jump past its time")
	}
	select {
	case <-day:
		t.Fatal("the day waiter woke an hour in")
	default:
	}
	f.Set(start.Add(25 * time.Hour))
	select {
	case <-day:
	case <-time.After(5 * time.Second):
		t.Fatal("the day waiter did not wake after Set past its time")
	}
}

func TestFakeRunsAtRealPaceAndNeverGoesBack(t *testing.T) {
	f := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	select {
	case <-f.After(20 * time.Millisecond):
	case <-time.After(5 * time.Second):
		t.Fatal("a short wait did not end in real time")
	}
	before := f.Now()
	f.Set(before.Add(-time.Hour))
	if got := f.Now(); got.Before(before) {
		t.Errorf("Set to the past moved the clock back: %v < %v", got, before)
	}
	if got := f.Now().Location(); got != time.UTC {
		t.Errorf("Now() is in %v, want UTC", got)
	}
}

func TestFrozenStandsStillUntilMoved(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := clock.NewFrozen(start)
	wait := f.After(time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	if got := f.Now(); !got.Equal(start) {
		t.Errorf("Now() = %v after real time passed; want %v, frozen", got, start)
	}
	select {
	case <-wait:
		t.Fatal("a waiter woke on a frozen clock that was not moved")
	default:
	}
	f.Advance(time.Second)
	if got := f.Now(); !got.Equal(start.Add(time.Second)) {
		t.Errorf("after Advance(1s): %v; want %v", got, start.Add(time.Second))
	}
	select {
	case <-wait:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not wake when the clock moved past it")
	}
}
