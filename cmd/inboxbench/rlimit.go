package main

import (
	"fmt"
	"syscall"
)

// raiseFileLimit raises this process's soft RLIMIT_NOFILE to its hard limit
// and checks that it allows need descriptors. (The servers it starts get
// the limit of the shell that ran it: scripts/bench.sh raises that.)
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("setrlimit: %w", err)
		}
	}
	if lim.Cur < need {
		return lim.Cur, fmt.Errorf("the open-file limit is %d, and %d sockets need about %d: raise it (ulimit -Hn, /etc/security/limits.conf)", lim.Cur, need-1000, need)
	}
	return lim.Cur, nil
}
