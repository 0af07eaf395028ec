package main

import "time"

// Result is one scenario's measurement, as written to the JSON file.
type Result struct {
	Scenario  string    `json:"scenario"`
	Run       int       `json:"run"`
	Started   time.Time `json:"started"`
	Store     string    `json:"store"`
	Bus       string    `json:"bus"`
	Instances int       `json:"instances"`
	Conns     int       `json:"conns"`
	Auth      string    `json:"auth"`
	ServerEnv []string  `json:"server_env,omitempty"` // -server-env, if any
	Rate      float64   `json:"rate"`                 // inbound SMS/s asked for
	DurationS float64   `json:"duration_s"`

	ConnectRate float64 `json:"connect_rate_per_s"` // sockets authenticated and hello'd per second
	ConnectMs   Dist    `json:"connect_ms"`         // one socket: ticket, handshake, hello
	// CPU per socket connected: the servers and the database's backends.
	ConnectCPUUsPerConn   float64 `json:"connect_cpu_us_per_conn"`
	ConnectDBCPUUsPerConn float64 `json:"connect_db_cpu_us_per_conn"`

	RSSBaseKB        int64   `json:"rss_base_kb"`  // servers before any socket
	RSSIdleKB        int64   `json:"rss_idle_kb"`  // with every socket open, idle
	RSSStartKB       int64   `json:"rss_start_kb"` // when this scenario's traffic started
	RSSAfterKB       int64   `json:"rss_after_kb"` // after the traffic
	RSSIdleKBPerConn float64 `json:"rss_idle_kb_per_conn"`
	// The Go runtime's view of the idle cost, from /metrics: heap in use
	// and goroutine stacks per socket (over the servers before any socket).
	HeapIdleKBPerConn  float64 `json:"heap_inuse_idle_kb_per_conn"`
	StackIdleKBPerConn float64 `json:"stack_inuse_idle_kb_per_conn"`
	RSSAfterKBPerConn  float64 `json:"rss_after_kb_per_conn"`

	Delivery         Dist    `json:"delivery_ms"` // webhook start to frame arrival, every expected tab
	CPUUsPerDelivery float64 `json:"cpu_us_per_delivery"`
	ServerCPUCores   float64 `json:"server_cpu_cores"` // servers' CPU time / wall time during traffic
	ClientCPUCores   float64 `json:"client_cpu_cores"` // the bench's own
	DBCPUCores       float64 `json:"db_cpu_cores"`     // PostgreSQL backends of the scenario's database
	DBCPUUsPerSMS    float64 `json:"db_cpu_us_per_sms"`
	MachineCPUBusy   float64 `json:"machine_cpu_busy"` // share of every CPU busy, whoever used it
	Webhook          Dist    `json:"webhook_ms"`
	// ServerWebhookP99 is the upper bound (ms) of the bucket of inboxd's
	// own request histogram holding the inbound webhooks' p99: their time
	// inside the server, without the load client's. Over: the p99 is
	// beyond the histogram's last bound, which ServerWebhookP99 is then.
	ServerWebhookP99     float64 `json:"server_webhook_p99_ms"`
	ServerWebhookP99Over bool    `json:"server_webhook_p99_over,omitempty"`
	PacerLag             Dist    `json:"pacer_lag_ms"` // due time to request start
	AchievedRate         float64 `json:"achieved_rate"`

	Sent           int64            `json:"sent"`
	Errors         int64            `json:"errors"`
	ErrorsBy       map[string]int64 `json:"errors_by,omitempty"`
	Dropped        int64            `json:"dropped"` // due sends the client never started
	ExpectedFrames int64            `json:"expected_frames"`
	ReceivedFrames int64            `json:"received_frames"`
	Lost           int64            `json:"lost"`
	Duplicates     int64            `json:"duplicates"` // the same seq twice on one tab
	Gaps           int64            `json:"gaps"`
	Unexpected     int64            `json:"unexpected_frames"`
	Resyncs        int64            `json:"resyncs"`
	BadFrames      int64            `json:"bad_frames"`
	DrainMs        float64          `json:"drain_ms"` // from the last send until every frame arrived

	Goroutines          Goroutines    `json:"goroutines"`
	SlowDisconnects     int64         `json:"slow_consumer_disconnects"`
	Reloads             int64         `json:"reloads"` // S3's planned reconnections
	UnplannedReconnects int64         `json:"unplanned_reconnects"`
	ReconnectFailures   int64         `json:"reconnect_failures"`
	Resume              *Dist         `json:"resume_ms,omitempty"` // close to the new hello
	Reads               *ReadResult   `json:"reads,omitempty"`
	Ramp                []RampStep    `json:"ramp,omitempty"`
	BusByInstance       []InstanceBus `json:"bus_by_instance,omitempty"`
	LoadAvg             string        `json:"loadavg_before"`
	Profiles            []string      `json:"profiles,omitempty"`
	Failure             string        `json:"failure,omitempty"`
}

// Goroutines are the servers' go_goroutines: before any socket, with every
// socket idle before the traffic, after it (settled), and once every socket
// has closed.
type Goroutines struct {
	Base   int64 `json:"base"`
	Idle   int64 `json:"idle"`
	After  int64 `json:"after"`
	Closed int64 `json:"closed"`
}

// ReadResult is S4's reads: POST /api/threads/{id}/read on one instance,
// thread.read on every tab of the number on both.
type ReadResult struct {
	Rate       float64          `json:"rate"`
	Sent       int64            `json:"sent"`
	OK         int64            `json:"ok"`
	Errors     int64            `json:"errors"`
	ErrorsBy   map[string]int64 `json:"errors_by,omitempty"`
	Skipped    int64            `json:"skipped"` // due with no unread thread waiting, or no change
	Dropped    int64            `json:"dropped"` // due while every worker was busy for a second
	API        Dist             `json:"api_ms"`
	Expected   int64            `json:"expected_frames"`
	Received   int64            `json:"received_frames"`
	Lost       int64            `json:"lost"`
	Unexpected int64            `json:"unexpected_frames"`
	Delivery   Dist             `json:"delivery_ms"`       // every expected tab
	Cross      Dist             `json:"cross_instance_ms"` // tabs on the other instance
}

// RampStep is one rate of S5's ramp.
type RampStep struct {
	Rate     float64 `json:"rate"`
	Achieved float64 `json:"achieved"`
	Webhook  Dist    `json:"webhook_ms"`
	LagP99   float64 `json:"pacer_lag_p99_ms"`
	Errors   int64   `json:"errors"`
	Dropped  int64   `json:"dropped"`
	// MachineCPUBusy is the share of every CPU busy during the step,
	// whoever used it.
	MachineCPUBusy float64 `json:"machine_cpu_busy"`
	Pass           bool    `json:"pass"`
}
