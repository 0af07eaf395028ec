package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	requests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	latency = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "smsinbox_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	webhooks = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_webhooks_total", Help: "Plivo webhooks by kind (inbound, status) and result.",
	}, []string{"kind", "result"})
	dependencyUp = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "smsinbox_dependency_up",
		Help: "Whether a dependency (store, bus) answered the latest readiness check (/readyz): 1 yes, 0 no.",
	}, []string{"dependency"})
)

// instrument counts requests by route pattern (never by raw path, which
// would make a label per id) and status.
func instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the websocket
// upgrade hijacks it).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
