package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestQuantileBound(t *testing.T) {
	inf := math.Inf(1)
	before := histogram{0.01: 10, 0.05: 10, 0.1: 10, inf: 10}
	for _, tc := range []struct {
		name  string
		after histogram
		q     float64
		want  float64
		over  bool
	}{
		{"nothing counted", before, 0.99, 0, false},
		{"all in the first bucket", histogram{0.01: 110, 0.05: 110, 0.1: 110, inf: 110}, 0.99, 10, false},
		{"p99 in the second", histogram{0.01: 108, 0.05: 110, 0.1: 110, inf: 110}, 0.99, 50, false},
		{"p50 in the first", histogram{0.01: 108, 0.05: 110, 0.1: 110, inf: 110}, 0.5, 10, false},
		{"beyond the last bound", histogram{0.01: 20, 0.05: 20, 0.1: 20, inf: 110}, 0.99, 100, true},
	} {
		if got, over := quantileBound(before, tc.after, tc.q); got != tc.want || over != tc.over {
			t.Errorf("%s: quantileBound = %v, %v; want %v, %v", tc.name, got, over, tc.want, tc.over)
		}
	}
	if got, over := quantileBound(nil, histogram{}, 0.99); got != 0 || over {
		t.Errorf("empty histogram: %v, %v; want 0, false", got, over)
	}
}

// A summary's p99 beyond the histogram is the last bound, marked over,
// and it is JSON (+Inf is not).
func TestSummaryServerWebhookOver(t *testing.T) {
	rs := []Result{
		{ServerWebhookP99: 50},
		{ServerWebhookP99: 2500, ServerWebhookP99Over: true},
		{ServerWebhookP99: 2500, ServerWebhookP99Over: true},
	}
	s := summarizeOne(rs)
	if s.ServerWebhookP99 != 2500 || !s.ServerWebhookP99Over {
		t.Errorf("summary p99 %v over %v; want 2500 over", s.ServerWebhookP99, s.ServerWebhookP99Over)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Errorf("marshal summary: %v", err)
	}
	if s := summarizeOne(rs[:1]); s.ServerWebhookP99 != 50 || s.ServerWebhookP99Over {
		t.Errorf("one run at 50 ms: %v over %v; want 50", s.ServerWebhookP99, s.ServerWebhookP99Over)
	}
}

func TestScrapeHistogram(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `# TYPE smsinbox_http_request_seconds histogram
smsinbox_http_request_seconds_bucket{route="GET /api/me",le="0.025"} 7
smsinbox_http_request_seconds_bucket{route="POST /webhooks/plivo/inbound",le="0.025"} 40
smsinbox_http_request_seconds_bucket{route="POST /webhooks/plivo/inbound",le="+Inf"} 42
smsinbox_http_request_seconds_sum{route="POST /webhooks/plivo/inbound"} 0.5
`)
	}))
	defer srv.Close()
	// Two instances: their counts add up.
	h, err := scrapeHistogram(context.Background(), []string{srv.URL, srv.URL}, metricRequestSeconds, inboundRoute)
	if err != nil {
		t.Fatal(err)
	}
	want := histogram{0.025: 80, math.Inf(1): 84}
	if len(h) != len(want) || h[0.025] != want[0.025] || h[math.Inf(1)] != want[math.Inf(1)] {
		t.Errorf("histogram %v, want %v", h, want)
	}
}
