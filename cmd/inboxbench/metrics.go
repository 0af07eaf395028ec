package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
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
)

// metricsClient opens a new connection per scrape, so that no idle
// keep-alive connection of the bench holds a server goroutine while the
// goroutines are counted.
var metricsClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

// scrape reads the unlabelled samples named in names from base's /metrics.
func scrape(ctx context.Context, base string, names ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", base, resp.Status)
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]float64, len(names))
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
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
