package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Dist summarises a latency distribution in milliseconds.
type Dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest sample with at least p % of the samples
// at or below it. It returns 0 for no samples.
func percentile(sorted []int64, p float64) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The small epsilon keeps float error (99.9/100*1000 = 999.0000000000001)
	// from moving the rank up by one.
	rank := int(math.Ceil(p/100*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// distribution sorts samples (nanoseconds) in place and summarises them.
func distribution(samples []int64) Dist {
	slices.Sort(samples)
	return Dist{
		N:    len(samples),
		P50:  ms(percentile(samples, 50)),
		P90:  ms(percentile(samples, 90)),
		P99:  ms(percentile(samples, 99)),
		P999: ms(percentile(samples, 99.9)),
		Max:  ms(percentile(samples, 100)),
	}
}

// ms converts nanoseconds to milliseconds rounded to the microsecond.
func ms(ns int64) float64 { return math.Round(float64(ns)/1e3) / 1e3 }

// median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. It does not change xs.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// recorder collects latency samples from many goroutines.
type recorder struct {
	mu      sync.Mutex
	samples []int64
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.samples = append(r.samples, int64(d))
	r.mu.Unlock()
}

// dist summarises what was recorded so far.
func (r *recorder) dist() Dist {
	r.mu.Lock()
	s := slices.Clone(r.samples)
	r.mu.Unlock()
	return distribution(s)
}
