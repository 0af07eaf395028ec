package hub

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The hub's metrics, on the default registry. They are per process: a
// deployment's totals are the sum over its instances.
var (
	openSockets = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "smsinbox_ws_open_sockets",
		Help: "Websockets open on this process.",
	})
	framesSent = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_frames_sent_total",
		Help: "Frames written to websockets.",
	})
	framesDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_ws_frames_dropped_total",
		Help: "Frames not written: duplicate events from the bus (reason duplicate), or frames still queued when a socket closed (reason closed).",
	}, []string{"reason"})
	slowDisconnects = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_slow_consumer_disconnects_total",
		Help: "Websockets closed because their queue of unwritten frames was full.",
	})
	resumes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_ws_resumes_total",
		Help: "Resume requests served, by outcome: recovered (every event replayed) or resync (the client must refetch).",
	}, []string{"outcome"})
	authClosed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_ws_auth_closed_total",
		Help: "Websockets closed because their credential ended or their user changed, by cause: a control message's kind, or recheck (the periodic check found the credential gone).",
	}, []string{"cause"})
	refusedPerUser = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_refused_per_user_total",
		Help: "Websocket upgrades refused because the user had as many sockets open on this process as allowed.",
	})
	mailboxDropped = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_mailbox_dropped_total",
		Help: "Events from the bus dropped because a shard's queue of events waiting for fan-out was full; their topics are read back from the store.",
	})
	helloReads = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_hello_reads_total",
		Help: "Hello snapshots read from the store; one serves every socket of a user that opens while it is read.",
	})
	helloShared = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_hello_shared_total",
		Help: "Sockets whose hello came from a snapshot read for another socket of their user.",
	})
	seqsShared = promauto.NewCounter(prometheus.CounterOpts{
		Name: "smsinbox_ws_seqs_shared_total",
		Help: "Sockets whose topics' seqs, read after their hello, came from a read made for another socket of their user.",
	})
	gapFills = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "smsinbox_ws_gap_fills_total",
		Help: "Reads of a topic's missing events from the store, by result: ok, pruned, error.",
	}, []string{"result"})
)

// Label values, spelled once.
var (
	droppedDuplicate = framesDropped.WithLabelValues("duplicate")
	droppedClosed    = framesDropped.WithLabelValues("closed")
	resumeRecovered  = resumes.WithLabelValues("recovered")
	resumeResync     = resumes.WithLabelValues("resync")
	fillOK           = gapFills.WithLabelValues("ok")
	fillPruned       = gapFills.WithLabelValues("pruned")
	fillError        = gapFills.WithLabelValues("error")
)
