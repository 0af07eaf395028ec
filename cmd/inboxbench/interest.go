package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// interestInstances is how many servers the interest scenario runs.
const interestInstances = 4

// InstanceBus is what one instance of the interest scenario held and read
// from the bus during the traffic.
type InstanceBus struct {
	Instance     int     `json:"instance"`
	Sockets      int     `json:"sockets"`       // the bench's tabs on it
	OpenSockets  int64   `json:"open_sockets"`  // as the server counts them, at the end
	NumberTopics int     `json:"number_topics"` // distinct numbers its sockets watch
	TopicShare   float64 `json:"topic_share"`   // of all the numbers
	Messages     int64   `json:"bus_messages"`  // read from Redis during the phase
	PerSecond    float64 `json:"bus_messages_per_s"`
	ExpectedRate float64 `json:"expected_per_s"` // SMS/s × topic share
	// What was published on the channels it subscribes to, per second:
	// its number topics', and the others its sockets hold (the company's,
	// the control topic, its users').
	NumberPerSecond float64 `json:"published_number_topics_per_s"`
	SharedPerSecond float64 `json:"published_shared_topics_per_s"`
}

// runInterest is four instances on one PostgreSQL + Redis whose sockets
// hold clearly different shares of the numbers: every tab of a number is on
// one instance, instance i (from 0) holding (i+1)/10 of the numbers (see
// byShare). SMS come uniformly over all the numbers, through the instances
// in turn. An instance subscribes only to its sockets' topics, so the
// messages it reads from Redis per second should follow its own share:
// each is reported beside SMS/s × that share.
func runInterest(ctx context.Context, o *options, run int) ([]Result, error) {
	// Each inboxd keeps up to 32 PostgreSQL connections, and PostgreSQL
	// allows 100 by default: four pools fit only if no instance is asked
	// for more than about 16 things at once.
	oo := *o
	oo.connectConc = min(o.connectConc, 16)
	oo.workers = min(o.workers, 16*interestInstances)
	o = &oo
	sh := inboxShape(o.conns)
	s, err := openSession(ctx, o, "interest", run, true, interestInstances, sh, byShare(sh.numbers, interestInstances))
	if err != nil {
		return nil, err
	}
	bases := s.st.bases()
	r := s.measure(ctx, "Interest", o.interestRate, o.duration, o.workers, func(ctx context.Context, ph *phase) func(*Result) {
		tap, err := tapBus(ctx, o.redisURL, s.st.prefix)
		if err != nil {
			logf("interest run %d: %v", run, err)
			return nil
		}
		before, err := scrapeEach(ctx, bases, metricBusReceived)
		if err != nil {
			tap.stop()
			logf("interest run %d: %v", run, err)
			return nil
		}
		return func(r *Result) {
			after, err := scrapeEach(ctx, bases, metricBusReceived)
			published := tap.stop()
			if err != nil {
				r.Failure = err.Error()
				return
			}
			open, _ := scrapeEach(ctx, bases, metricSockets)
			// Every count is over the same window: the SMS answered 200
			// and the bus messages of the phase, per second of traffic.
			smsRate := float64(r.Sent-r.Errors) / o.duration.Seconds()
			r.BusByInstance = s.busByInstance(smsRate, o.duration, before, after, open, published)
		}
	})
	for _, b := range r.BusByInstance {
		logf("interest run %d: instance %d: %d sockets, %d number topics (%.0f %%), read %.1f bus messages/s; SMS/s × share %.1f; published on its number topics %.1f/s, on its other topics %.1f/s",
			run, b.Instance, b.Sockets, b.NumberTopics, 100*b.TopicShare, b.PerSecond, b.ExpectedRate, b.NumberPerSecond, b.SharedPerSecond)
	}
	rs := []Result{r}
	s.close(ctx, rs)
	return rs, nil
}

// busByInstance puts together each instance's sockets and number topics
// (from where the tabs connect) with the messages it read from the bus
// between two scrapes, over d of traffic at smsRate, and
// with what was published meanwhile on the channels it subscribes to.
func (s *session) busByInstance(smsRate float64, d time.Duration, before, after, open []float64, published map[string]int64) []InstanceBus {
	out := make([]InstanceBus, len(before))
	topics := make([]map[string]bool, len(before))
	for i := range out {
		out[i].Instance = i
		topics[i] = map[string]bool{}
	}
	for _, t := range s.sw.tabs {
		out[t.inst].Sockets++
		topics[t.inst][t.user.number.topic] = true
	}
	for i := range out {
		b := &out[i]
		b.NumberTopics = len(topics[i])
		b.TopicShare = float64(b.NumberTopics) / float64(len(s.w.numbers))
		b.Messages = int64(after[i] - before[i])
		b.PerSecond = float64(b.Messages) / d.Seconds()
		b.ExpectedRate = smsRate * b.TopicShare
		if i < len(open) {
			b.OpenSockets = int64(open[i])
		}
	}
	for _, t := range s.sw.tabs {
		// A socket also holds its user's topic.
		topics[t.inst][fmt.Sprintf("user:%d", t.user.id)] = true
	}
	kinds := map[string]float64{}
	for topic, n := range published {
		rate := float64(n) / d.Seconds()
		kind, _, _ := strings.Cut(topic, ":")
		kinds[kind] += rate
		for i := range out {
			switch {
			case kind == "number" && topics[i][topic]:
				out[i].NumberPerSecond += rate
			case kind == "company" || kind == "control" || topics[i][topic]:
				// Every instance has the company's and the control
				// topic; a user's is where the user's sockets are.
				out[i].SharedPerSecond += rate
			}
		}
	}
	var parts []string
	for k, v := range kinds {
		parts = append(parts, fmt.Sprintf("%s %.1f/s", k, v))
	}
	slices.Sort(parts)
	logf("%s run %d: published on the bus per topic kind: %s", s.name, s.run, strings.Join(parts, ", "))
	return out
}
