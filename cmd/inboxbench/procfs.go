package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// usPerTick converts the clock ticks of /proc/<pid>/stat to microseconds.
// Linux reports utime and stime in USER_HZ, which is 100 on every
// architecture Go supports (sysconf(_SC_CLK_TCK)).
const usPerTick = 1e6 / 100

// procSample is a process's resident memory and CPU time at one moment.
type procSample struct {
	rssKB  int64 // VmRSS
	cpuUs  int64 // utime + stime
	thread int64 // Threads
}

// readProc reads pid's RSS from /proc/<pid>/status and its CPU time from
// /proc/<pid>/stat.
func readProc(pid int) (procSample, error) {
	var s procSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	if s.rssKB, err = statusField(status, "VmRSS:"); err != nil {
		return s, err
	}
	if s.thread, err = statusField(status, "Threads:"); err != nil {
		return s, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	ticks, err := statCPUTicks(stat)
	s.cpuUs = ticks * usPerTick
	return s, err
}

// statusField reads a numeric field ("VmRSS:   1234 kB") of /proc/<pid>/status.
func statusField(status []byte, name string) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s in /proc status", name)
}

// statCPUTicks returns utime + stime, fields 14 and 15 of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may hold spaces, so the
// fields are counted from the last ')'.
func statCPUTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	return utime + stime, err
}

// readProcs sums readProc over pids.
func readProcs(pids []int) (procSample, error) {
	var sum procSample
	for _, pid := range pids {
		s, err := readProc(pid)
		if err != nil {
			return sum, err
		}
		sum.rssKB += s.rssKB
		sum.cpuUs += s.cpuUs
		sum.thread += s.thread
	}
	return sum, nil
}

// cpuTimes is the machine's CPU time from the first line of /proc/stat, in
// clock ticks: busy (everything but idle and iowait) and total.
type cpuTimes struct{ busy, total int64 }

func readCPUTimes() (cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	return parseCPUTimes(b)
}

func parseCPUTimes(stat []byte) (cpuTimes, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("malformed /proc/stat")
	}
	var t cpuTimes
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return cpuTimes{}, err
		}
		// guest and guest_nice (fields 9 and 10) are counted in user already.
		if i >= 8 {
			break
		}
		t.total += n
		if i != 3 && i != 4 { // idle, iowait
			t.busy += n
		}
	}
	return t, nil
}

// busyFraction is the share of all CPUs busy between a and b.
func busyFraction(a, b cpuTimes) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total)
}

// backendPIDs lists the PostgreSQL backends connected to database db: their
// command line reads "postgres: [cluster: ]user db host(port) state".
func backendPIDs(db string) []int {
	if db == "" {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) {
			continue
		}
		if slices.Contains(strings.Fields(string(bytes.TrimRight(cmd, "\x00"))), db) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// dbCPU measures the CPU time of a database's backends over a window,
// counting the whole life of backends that started within it (a pool
// replaces a connection it had to close). Backends that exit within the
// window take their share with them.
type dbCPU struct {
	db    string
	start map[int]int64 // pid → CPU µs when the window opened
}

func startDBCPU(db string) *dbCPU {
	c := &dbCPU{db: db, start: map[int]int64{}}
	for _, pid := range backendPIDs(db) {
		if s, err := readProc(pid); err == nil {
			c.start[pid] = s.cpuUs
		}
	}
	return c
}

// used returns the backends' CPU µs since the window opened.
func (c *dbCPU) used() int64 {
	var sum int64
	for _, pid := range backendPIDs(c.db) {
		if s, err := readProc(pid); err == nil {
			sum += s.cpuUs - c.start[pid]
		}
	}
	return sum
}
