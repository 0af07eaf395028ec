package hub

import (
	"runtime"
	"testing"
	"time"
)

func TestZZMem(t *testing.T) {
	e := newEnv(t, Options{})
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	g0 := runtime.NumGoroutine()
	const n = 2000
	for range n {
		e.dialWith(alice, dialOptions(alice), false)
	}
	eventually(t, "open", func() bool { return e.hub.Sockets() == n })
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	t.Logf("per pair: heap %d B, stack %d B, sys %d B, goroutines %d", (ms1.HeapInuse-ms0.HeapInuse)/n, (ms1.StackInuse-ms0.StackInuse)/n, (ms1.Sys-ms0.Sys)/n, runtime.NumGoroutine()-g0)
}
