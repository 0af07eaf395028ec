package pubsub

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics of the Redis bus, on the default registry. Memory cannot fail, so
// it has none.
var (
	publishErrors = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_bus_publish_errors_total",
		Help: "Batches that could not be published to Redis; local subscribers still got them, other processes must recover from the store.",
	})
	messagesPublished = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_bus_messages_published_total",
		Help: "Batches published to Redis, one message each.",
	})
	messagesReceived = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_bus_messages_received_total",
		Help: "Messages read from the Redis channel, including this process's own (skipped) and malformed ones (logged and skipped).",
	})
	reconnects = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_bus_reconnects_total",
		Help: "Times a Redis subscription was re-established after it was lost; each one makes the subscriber recover missed events from the store.",
	})
)
