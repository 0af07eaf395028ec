package main

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	sorted := []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	for _, c := range []struct {
		p    float64
		want int64
	}{{50, 50}, {90, 90}, {99, 100}, {99.9, 100}, {100, 100}, {10, 10}, {1, 10}, {0, 10}} {
		if got := percentile(sorted, c.p); got != c.want {
			t.Errorf("percentile(1..10 ×10, %v) = %d, want %d", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile of nothing = %d, want 0", got)
	}
	// 1,000 samples: p99.9 is the 999th, not the maximum.
	many := make([]int64, 1000)
	for i := range many {
		many[i] = int64(i + 1)
	}
	if got := percentile(many, 99.9); got != 999 {
		t.Errorf("p99.9 of 1..1000 = %d, want 999", got)
	}
}

func TestDistributionSortsAndConverts(t *testing.T) {
	samples := []int64{int64(3 * time.Millisecond), int64(time.Millisecond), int64(2 * time.Millisecond), int64(1500 * time.Microsecond)}
	d := distribution(samples)
	if d.N != 4 || d.P50 != 1.5 || d.Max != 3 || d.P99 != 3 {
		t.Errorf("distribution = %+v, want n 4, p50 1.5, p99 3, max 3", d)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{5}, 5}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	xs := []float64{3, 1, 2}
	median(xs)
	if xs[0] != 3 {
		t.Error("median reordered its input")
	}
}
