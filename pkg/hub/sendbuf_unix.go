//go:build unix

package hub

import "syscall"

// tryWrite writes what the kernel takes of p at once, without waiting,
// and returns how much that was: 0 when it takes nothing (or the
// connection failed; the drainer then finds out how).
func tryWrite(raw syscall.RawConn, p []byte) int {
	n := 0
	_ = raw.Write(func(fd uintptr) bool {
		if m, err := syscall.Write(int(fd), p); err == nil {
			n = m
		}
		return true // never wait for the connection to be writable
	})
	return n
}
