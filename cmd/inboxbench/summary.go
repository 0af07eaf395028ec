package main

import (
	"math"
	"slices"
)

// Summary is one scenario over every run: medians of the measurements, and
// the worst of the counts that must be zero.
type Summary struct {
	Scenario  string  `json:"scenario"`
	Runs      int     `json:"runs"`
	Store     string  `json:"store"`
	Bus       string  `json:"bus"`
	Instances int     `json:"instances"`
	Conns     int     `json:"conns"`
	Rate      float64 `json:"rate"`
	Achieved  float64 `json:"achieved_rate"`
	DurationS float64 `json:"duration_s"`

	ConnectRate           float64       `json:"connect_rate_per_s"`
	RSSIdleKBPerConn      float64       `json:"rss_idle_kb_per_conn"`
	RSSAfterKBPerConn     float64       `json:"rss_after_kb_per_conn"`
	HeapIdleKBPerConn     float64       `json:"heap_inuse_idle_kb_per_conn"`
	StackIdleKBPerConn    float64       `json:"stack_inuse_idle_kb_per_conn"`
	ConnectCPUUsPerConn   float64       `json:"connect_cpu_us_per_conn"`
	ConnectDBCPUUsPerConn float64       `json:"connect_db_cpu_us_per_conn"`
	Delivery              Dist          `json:"delivery_ms"`
	CPUUsPerDelivery      float64       `json:"cpu_us_per_delivery"`
	ServerCPUCores        float64       `json:"server_cpu_cores"`
	ClientCPUCores        float64       `json:"client_cpu_cores"`
	DBCPUCores            float64       `json:"db_cpu_cores"`
	DBCPUUsPerSMS         float64       `json:"db_cpu_us_per_sms"`
	MachineCPUBusy        float64       `json:"machine_cpu_busy"`
	ServerWebhookP99      float64       `json:"server_webhook_p99_ms"`
	ServerWebhookP99Over  bool          `json:"server_webhook_p99_over,omitempty"`
	Webhook               Dist          `json:"webhook_ms"`
	Sent                  float64       `json:"sent"`
	ExpectedFrames        float64       `json:"expected_frames"`
	ReceivedFrames        float64       `json:"received_frames"`
	ReadCross             *Dist         `json:"read_cross_instance_ms,omitempty"`
	ReadDelivery          *Dist         `json:"read_delivery_ms,omitempty"`
	Resume                *Dist         `json:"resume_ms,omitempty"`
	BusByInstance         []InstanceBus `json:"bus_by_instance,omitempty"`
	Goroutines            struct {
		Base   float64 `json:"base"`
		Idle   float64 `json:"idle"`
		After  float64 `json:"after"`
		Closed float64 `json:"closed"`
	} `json:"goroutines"`

	// The worst run's counts: every one of them should be 0.
	Lost       int64 `json:"lost"`
	Duplicates int64 `json:"duplicates"`
	Errors     int64 `json:"errors"`
	Dropped    int64 `json:"dropped"`
	Unexpected int64 `json:"unexpected_frames"`
	Gaps       int64 `json:"gaps"`
	Resyncs    int64 `json:"resyncs"`
	Slow       int64 `json:"slow_consumer_disconnects"`
	Unplanned  int64 `json:"unplanned_reconnects"`

	Failures []string `json:"failures,omitempty"`
}

// summarize groups results by scenario, in the order they first appear.
func summarize(rs []Result) []Summary {
	var order []string
	by := map[string][]Result{}
	for _, r := range rs {
		if _, seen := by[r.Scenario]; !seen {
			order = append(order, r.Scenario)
		}
		by[r.Scenario] = append(by[r.Scenario], r)
	}
	out := make([]Summary, 0, len(order))
	for _, name := range order {
		out = append(out, summarizeOne(by[name]))
	}
	return out
}

func summarizeOne(rs []Result) Summary {
	f := func(get func(Result) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = get(r)
		}
		return median(xs)
	}
	worst := func(get func(Result) int64) int64 {
		var m int64
		for _, r := range rs {
			m = max(m, get(r))
		}
		return m
	}
	dist := func(get func(Result) *Dist) *Dist {
		var ds []Dist
		for _, r := range rs {
			if d := get(r); d != nil {
				ds = append(ds, *d)
			}
		}
		if len(ds) == 0 {
			return nil
		}
		m := medianDist(ds)
		return &m
	}
	r0 := rs[0]
	s := Summary{Scenario: r0.Scenario, Runs: len(rs), Store: r0.Store, Bus: r0.Bus, Instances: r0.Instances, Conns: r0.Conns}
	s.Rate = f(func(r Result) float64 { return r.Rate })
	s.Achieved = f(func(r Result) float64 { return r.AchievedRate })
	s.DurationS = f(func(r Result) float64 { return r.DurationS })
	s.ConnectRate = f(func(r Result) float64 { return r.ConnectRate })
	s.RSSIdleKBPerConn = f(func(r Result) float64 { return r.RSSIdleKBPerConn })
	s.RSSAfterKBPerConn = f(func(r Result) float64 { return r.RSSAfterKBPerConn })
	s.HeapIdleKBPerConn = f(func(r Result) float64 { return r.HeapIdleKBPerConn })
	s.StackIdleKBPerConn = f(func(r Result) float64 { return r.StackIdleKBPerConn })
	s.ConnectCPUUsPerConn = f(func(r Result) float64 { return r.ConnectCPUUsPerConn })
	s.ConnectDBCPUUsPerConn = f(func(r Result) float64 { return r.ConnectDBCPUUsPerConn })
	s.Delivery = *dist(func(r Result) *Dist { return &r.Delivery })
	s.Webhook = *dist(func(r Result) *Dist { return &r.Webhook })
	s.CPUUsPerDelivery = f(func(r Result) float64 { return r.CPUUsPerDelivery })
	s.ServerCPUCores = f(func(r Result) float64 { return r.ServerCPUCores })
	s.ClientCPUCores = f(func(r Result) float64 { return r.ClientCPUCores })
	s.DBCPUCores = f(func(r Result) float64 { return r.DBCPUCores })
	s.DBCPUUsPerSMS = f(func(r Result) float64 { return r.DBCPUUsPerSMS })
	s.MachineCPUBusy = f(func(r Result) float64 { return r.MachineCPUBusy })
	// A p99 beyond the histogram's last bound counts as above every other.
	p99 := f(func(r Result) float64 {
		if r.ServerWebhookP99Over {
			return math.Inf(1)
		}
		return r.ServerWebhookP99
	})
	if math.IsInf(p99, 1) {
		p99 = 0
		for _, r := range rs {
			p99 = max(p99, r.ServerWebhookP99) // the last bound
		}
		s.ServerWebhookP99Over = true
	}
	s.ServerWebhookP99 = p99
	s.Sent = f(func(r Result) float64 { return float64(r.Sent) })
	s.ExpectedFrames = f(func(r Result) float64 { return float64(r.ExpectedFrames) })
	s.ReceivedFrames = f(func(r Result) float64 { return float64(r.ReceivedFrames) })
	s.ReadCross = dist(func(r Result) *Dist {
		if r.Reads == nil {
			return nil
		}
		return &r.Reads.Cross
	})
	s.ReadDelivery = dist(func(r Result) *Dist {
		if r.Reads == nil {
			return nil
		}
		return &r.Reads.Delivery
	})
	s.Resume = dist(func(r Result) *Dist { return r.Resume })
	for i := range r0.BusByInstance {
		b := r0.BusByInstance[i]
		in := func(r Result) (InstanceBus, bool) {
			if i < len(r.BusByInstance) {
				return r.BusByInstance[i], true
			}
			return InstanceBus{}, false
		}
		b.Messages = int64(f(func(r Result) float64 { x, _ := in(r); return float64(x.Messages) }))
		b.PerSecond = f(func(r Result) float64 { x, _ := in(r); return x.PerSecond })
		b.ExpectedRate = f(func(r Result) float64 { x, _ := in(r); return x.ExpectedRate })
		b.NumberPerSecond = f(func(r Result) float64 { x, _ := in(r); return x.NumberPerSecond })
		b.SharedPerSecond = f(func(r Result) float64 { x, _ := in(r); return x.SharedPerSecond })
		s.BusByInstance = append(s.BusByInstance, b)
	}
	s.Goroutines.Base = f(func(r Result) float64 { return float64(r.Goroutines.Base) })
	s.Goroutines.Idle = f(func(r Result) float64 { return float64(r.Goroutines.Idle) })
	s.Goroutines.After = f(func(r Result) float64 { return float64(r.Goroutines.After) })
	s.Goroutines.Closed = f(func(r Result) float64 { return float64(r.Goroutines.Closed) })
	s.Lost = worst(func(r Result) int64 { return r.Lost })
	s.Duplicates = worst(func(r Result) int64 { return r.Duplicates })
	s.Errors = worst(func(r Result) int64 {
		if r.Reads != nil {
			return r.Errors + r.Reads.Errors
		}
		return r.Errors
	})
	s.Dropped = worst(func(r Result) int64 { return r.Dropped })
	s.Unexpected = worst(func(r Result) int64 { return r.Unexpected })
	s.Gaps = worst(func(r Result) int64 { return r.Gaps })
	s.Resyncs = worst(func(r Result) int64 { return r.Resyncs })
	s.Slow = worst(func(r Result) int64 { return r.SlowDisconnects })
	s.Unplanned = worst(func(r Result) int64 { return r.UnplannedReconnects })
	for _, r := range rs {
		if r.Failure != "" && !slices.Contains(s.Failures, r.Failure) {
			s.Failures = append(s.Failures, r.Failure)
		}
	}
	return s
}

// medianDist is the median of each percentile over several runs.
func medianDist(ds []Dist) Dist {
	f := func(get func(Dist) float64) float64 {
		xs := make([]float64, len(ds))
		for i, d := range ds {
			xs[i] = get(d)
		}
		return median(xs)
	}
	return Dist{
		N:    int(f(func(d Dist) float64 { return float64(d.N) })),
		P50:  f(func(d Dist) float64 { return d.P50 }),
		P90:  f(func(d Dist) float64 { return d.P90 }),
		P99:  f(func(d Dist) float64 { return d.P99 }),
		P999: f(func(d Dist) float64 { return d.P999 }),
		Max:  f(func(d Dist) float64 { return d.Max }),
	}
}
