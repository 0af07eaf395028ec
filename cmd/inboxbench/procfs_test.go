package main

import (
	"os"
	"testing"
)

func TestStatCPUTicks(t *testing.T) {
	// Field 2 may hold spaces and parentheses; utime 1234 and stime 56 are
	// fields 14 and 15.
	stat := []byte("4242 (inbox d) (x) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 12 0 100 0 0\n")
	got, err := statCPUTicks(stat)
	if err != nil || got != 1290 {
		t.Errorf("statCPUTicks = %d, %v; want 1290", got, err)
	}
	if _, err := statCPUTicks([]byte("garbage")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tinboxd\nVmPeak:\t  99999 kB\nVmRSS:\t   20480 kB\nThreads:\t7\n")
	if rss, err := statusField(status, "VmRSS:"); err != nil || rss != 20480 {
		t.Errorf("VmRSS = %d, %v", rss, err)
	}
	if _, err := statusField(status, "VmSwap:"); err == nil {
		t.Error("a missing field was found")
	}
}

func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.rssKB <= 0 || s.thread <= 0 {
		t.Errorf("own process: %+v", s)
	}
}

func TestParseCPUTimes(t *testing.T) {
	stat := []byte("cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	got, err := parseCPUTimes(stat)
	if err != nil || got.total != 1000 || got.busy != 160 {
		t.Errorf("parseCPUTimes = %+v, %v; want busy 160 of 1000", got, err)
	}
	if f := busyFraction(cpuTimes{busy: 100, total: 1000}, cpuTimes{busy: 400, total: 2000}); f != 0.3 {
		t.Errorf("busyFraction = %v, want 0.3", f)
	}
}
