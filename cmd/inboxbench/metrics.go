package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Server metrics the bench reads from /metrics (Prometheus text format).
const (
	metricBusReceived = "smsinbox_bus_messages_received_total"
	metricGoroutines  = "go_goroutines"
	metricSockets     = "smsinbox_ws_open_sockets"
	metricSlow        = "smsinbox_ws_slow_consumer_disconnects_total"
	metricFramesSent  = "smsinbox_ws_frames_sent_total"
	metricHeapInuse   = "go_memstats_heap_inuse_bytes"
	metricStack       = "go_memstats_stack_inuse_bytes"
	// The webhook's time inside inboxd: its request histogram, by route.
	metricRequestSeconds = "smsinbox_http_request_seconds_bucket"
	inboundRoute         = "POST " + inboundPath
)

// metricsClient opens a new connection per scrape, so that no idle
// keep-alive connection of the bench holds a server goroutine while the
// goroutines are counted.
var metricsClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

// scrape reads the unlabelled samples named in names from base's /metrics.
func scrape(ctx context.Context, base string, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]float64, len(names))
	err := scrapeLines(ctx, base, func(line string) {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !want[name] {
			return
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	})
	return out, err
}

// scrapeLines hands each line of base's /metrics to f.
func scrapeLines(ctx context.Context, base string, f func(line string)) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/metrics: %s", base, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f(sc.Text())
	}
	return sc.Err()
}

// scrapeSum sums one metric over several instances.
func scrapeSum(ctx context.Context, bases []string, name string) (int64, error) {
	each, err := scrapeEach(ctx, bases, name)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, v := range each {
		sum += v
	}
	return int64(sum), nil
}

// scrapeEach reads one metric from each instance.
func scrapeEach(ctx context.Context, bases []string, name string) ([]float64, error) {
	out := make([]float64, len(bases))
	for i, b := range bases {
		m, err := scrape(ctx, b, name)
		if err != nil {
			return nil, fmt.Errorf("scrape %s: %w", b, err)
		}
		out[i] = m[name]
	}
	return out, nil
}

// histogram is a Prometheus histogram's cumulative counts by upper bound
// (seconds; +Inf last).
type histogram map[float64]float64

// scrapeHistogram sums, over the instances, the buckets of the histogram
// name whose route label is route.
func scrapeHistogram(ctx context.Context, bases []string, name, route string) (histogram, error) {
	h := histogram{}
	prefix := name + `{route="` + route + `",le="`
	for _, b := range bases {
		err := scrapeLines(ctx, b, func(line string) {
			rest, ok := strings.CutPrefix(line, prefix)
			if !ok {
				return
			}
			le, value, ok := strings.Cut(rest, `"} `)
			if !ok {
				return
			}
			bound, err1 := strconv.ParseFloat(le, 64)
			v, err2 := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err1 == nil && err2 == nil {
				h[bound] += v
			}
		})
		if err != nil {
			return nil, fmt.Errorf("scrape %s: %w", b, err)
		}
	}
	return h, nil
}

// quantileBound returns the upper bound, in milliseconds, of the bucket
// that holds quantile q of what was counted between before and after, 0
// when nothing was counted. Beyond the last finite bound it returns that
// bound and over.
func quantileBound(before, after histogram, q float64) (ms float64, over bool) {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 {
		return 0, false
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	if total <= 0 {
		return 0, false
	}
	last := 0.0
	for _, b := range bounds {
		if math.IsInf(b, 1) {
			break
		}
		if after[b]-before[b] >= q*total {
			return b * 1000, false
		}
		last = b
	}
	return last * 1000, true
}
