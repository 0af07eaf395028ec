package main

import (
	"testing"
	"time"
)

func TestMatcherCountsEveryExpectedFrame(t *testing.T) {
	m := newMatcher(time.Now())
	ms := int64(time.Millisecond)
	m.expect(kindMessage, "a", 10*ms, 3, 0)
	m.expect(kindMessage, "b", 20*ms, 2, 0)
	m.arrive("a", 11*ms, 0)
	m.arrive("a", 12*ms, 1)
	m.arrive("b", 25*ms, 0)
	if m.done() {
		t.Fatal("done with two frames missing")
	}
	m.arrive("a", 13*ms, 0)
	m.arrive("a", 14*ms, 0) // one more than owed
	m.arrive("b", 26*ms, 0)
	if !m.done() {
		t.Fatal("not done with every frame in")
	}
	tl := m.tally(kindMessage)
	if tl.Keys != 2 || tl.Expected != 5 || tl.Received != 5 || tl.Lost != 0 || tl.Unexpected != 1 {
		t.Errorf("tally = %+v", tl)
	}
	if tl.Delivery.N != 5 || tl.Delivery.P50 != 3 || tl.Delivery.Max != 6 {
		t.Errorf("delivery = %+v, want 5 samples, p50 3 ms, max 6 ms", tl.Delivery)
	}
	if tl.Cross.N != 1 || tl.Cross.Max != 2 {
		t.Errorf("cross-instance = %+v, want the one frame on instance 1, 2 ms", tl.Cross)
	}
}

func TestMatcherLostAndCancelled(t *testing.T) {
	m := newMatcher(time.Now())
	m.expect(kindMessage, "a", 0, 10, 0)
	m.expect(kindMessage, "failed", 0, 10, 0)
	for range 7 {
		m.arrive("a", 1, 0)
	}
	m.cancel("failed") // its webhook failed: nothing is owed
	tl := m.tally(kindMessage)
	if tl.Expected != 10 || tl.Received != 7 || tl.Lost != 3 {
		t.Errorf("tally = %+v, want 10 expected, 7 received, 3 lost", tl)
	}
	if m.done() {
		t.Error("done with 3 frames lost")
	}
}

func TestMatcherFrameBeforeItsKey(t *testing.T) {
	m := newMatcher(time.Now())
	ms := int64(time.Millisecond)
	// A thread.read can reach a tab before the read's answer reaches the bench.
	m.arrive("read:5@t", 4*ms, 1)
	m.arrive("stray", 4*ms, 0)
	if !m.expect(kindRead, "read:5@t", 1*ms, 2, 0) {
		t.Fatal("a new key was refused")
	}
	m.arrive("read:5@t", 5*ms, 0)
	if m.expect(kindRead, "read:5@t", 9*ms, 2, 1) {
		t.Error("a repeated key (a read of a read thread) was registered again")
	}
	rd := m.tally(kindRead)
	if rd.Expected != 2 || rd.Received != 2 || rd.Lost != 0 || rd.Delivery.Max != 4 || rd.Cross.N != 1 || rd.Cross.Max != 3 {
		t.Errorf("reads = %+v", rd)
	}
	if msg := m.tally(kindMessage); msg.Unexpected != 1 {
		t.Errorf("the stray frame was not counted as unexpected: %+v", msg)
	}
}
