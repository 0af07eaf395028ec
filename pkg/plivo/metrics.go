package plivo

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"smsinbox/pkg/inbox"
)

// Metrics, on the default registry that /metrics serves.
var (
	sendsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_plivo_sends_total",
		Help: "Texts handed to Plivo (or the dev simulator), by outcome: ok, retry, ambiguous, rejected.",
	}, []string{"outcome"})

	sendDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "smsinbox_plivo_send_duration_seconds",
		Help:    "Time of one Plivo Message API call, whatever its outcome.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16},
	})

	webhookRejections = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_plivo_webhook_signature_failures_total",
		Help: "Webhook requests Verify refused, by reason: missing_signature, bad_signature, malformed, too_large, config.",
	}, []string{"reason"})
)

func init() {
	// Export every series from the start, so a rate() over them is defined
	// before the first failure.
	for _, o := range []string{"ok", "retry", "ambiguous", "rejected"} {
		sendsTotal.WithLabelValues(o)
	}
	for _, r := range []string{"missing_signature", "bad_signature", "malformed", "too_large", "config"} {
		webhookRejections.WithLabelValues(r)
	}
}

// observeSend records one send's outcome and duration.
func observeSend(err error, took time.Duration) {
	sendDuration.Observe(took.Seconds())
	sendsTotal.WithLabelValues(outcomeLabel(err)).Inc()
}

func outcomeLabel(err error) string {
	if err == nil {
		return "ok"
	}
	switch inbox.SendOutcomeOf(err) {
	case inbox.SendRetry:
		return "retry"
	case inbox.SendRejected:
		return "rejected"
	default:
		return "ambiguous"
	}
}
