package pubsub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"smsinbox/pkg/inbox"
)

// Subscribe calls deliver for every event published through r and for every
// event other processes publish on the channel, until ctx ends; then it
// returns nil. It holds one subscription connection and replaces it, after a
// capped backoff, whenever it fails or falls silent. Every time Redis
// confirms a subscription, except the first when it succeeded at once,
// Subscribe calls recovered: events other processes published meanwhile were
// lost. Events published through r are delivered throughout, Redis or not.
// Both callbacks run on the goroutine that reads the network, so recovered,
// like deliver, must return quickly: start rereading the store elsewhere.
//
// With RedisOptions.Interest the wanted topics are the process's, not a
// subscriber's: one Subscribe call at a time holds the connection and hands
// what it receives, and its recoveries, to every subscriber; the others
// wait to take over when it ends (and then count as recovered).
func (r *Redis) Subscribe(ctx context.Context, deliver func(inbox.Event), recovered func()) error {
	sub := r.local.add(deliver, recovered)
	defer r.local.remove(sub)

	// missed says whether events may have been lost since Subscribe was
	// called: after the first confirmation, any later one comes from a new
	// connection; and a subscription that only succeeded after failures
	// started late.
	missed := false
	if r.interested {
		select {
		case r.listener <- struct{}{}:
			defer func() { <-r.listener }()
		case <-ctx.Done():
			return nil
		}
		// Taking over from a connection that ended: what was published
		// between the two is lost.
		missed = r.listened.Swap(true)
	}
	var wait backoff
	// An outage is logged once per interval with the number of failed
	// attempts, not once per attempt (every 2 s at most): a fresh log per
	// connection, so that the first loss after a recovery is told at once.
	newLost := func() *inbox.FaultLog {
		return inbox.NewFaultLog(r.log, slog.LevelWarn, "redis subscription lost; reconnecting", 0)
	}
	lost := newLost()
	subscribed := func() {
		if missed {
			reconnects.Inc()
			r.log.Info("redis subscription restored", "channel", r.channel)
			r.recover(sub)
			lost = newLost()
		}
		missed = true
		wait.reset()
	}
	for {
		err := r.listen(ctx, sub, subscribed)
		if ctx.Err() != nil {
			return nil
		}
		missed = true
		delay := wait.next()
		lost.Failed(err, "channel", r.channel, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
}

// listen runs one go-redis subscription until it fails or ctx ends. go-redis
// may replace the connection underneath by itself (after a failed ping, for
// instance) and then subscribes again, so subscribed is called for every
// confirmation Redis sends, not only the first.
func (r *Redis) listen(ctx context.Context, sub *subscriber, subscribed func()) error {
	var ps *redis.PubSub
	if r.interested {
		ps = r.client.Subscribe(ctx)
		defer r.interest.disconnected(ps)
		// An error shows in Receive, which ends this connection; go-redis
		// remembers the channels asked for either way.
		_ = ps.Subscribe(ctx, r.interest.connected(ps, r.topicChannel(inbox.ControlTopic))...)
	} else {
		ps = r.subscribeAll(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	quiet := newSilence()
	var wg sync.WaitGroup
	var watchErr error
	wg.Go(func() { watchErr = r.watch(ctx, ps, quiet) })

	err := r.read(ctx, ps, sub, subscribed, quiet)
	cancel()
	wg.Wait()
	if watchErr != nil {
		// The watchdog closed the connection; its reason is the real one.
		return watchErr
	}
	return err
}

// read receives from ps until it fails. It never blocks on anything but the
// network and the subscriber's callbacks, which must not block.
func (r *Redis) read(ctx context.Context, ps *redis.PubSub, sub *subscriber, subscribed func(), quiet *silence) error {
	for {
		reply, err := ps.Receive(ctx)
		if err != nil {
			return fmt.Errorf("redis receive on %s: %w", r.channel, err)
		}
		quiet.heard()
		switch m := reply.(type) {
		case *redis.Subscription:
			// The pattern's, or the control topic's, confirmation is the
			// connection's; a topic's releases the Want calls waiting.
			switch {
			case m.Kind == "psubscribe" && !r.interested,
				m.Kind == "subscribe" && r.interested && m.Channel == r.topicChannel(inbox.ControlTopic):
				subscribed()
			case m.Kind == "subscribe" && r.interested:
				r.interest.confirmed(m.Channel)
			}
		case *redis.Message:
			r.receive(sub, m.Payload)
		}
		// A *redis.Pong answers the watchdog's ping: being heard is its point.
	}
}

// watch pings the subscription connection every interval, so that one that
// died without a word (a dropped NAT entry, a frozen peer) is noticed: when
// nothing, not even a pong, has been heard for two intervals, it closes ps
// and returns why. It also closes ps when ctx ends, because closing is the
// only way to interrupt Receive.
func (r *Redis) watch(ctx context.Context, ps *redis.PubSub, quiet *silence) error {
	defer ps.Close()
	tick := time.NewTicker(r.pingInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if silent := quiet.duration(); silent > 2*r.pingInterval {
			return fmt.Errorf("redis subscription on %s silent for %s", r.channel, silent.Round(time.Millisecond))
		}
		pingCtx, cancel := context.WithTimeout(ctx, r.pingInterval)
		err := ps.Ping(pingCtx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("redis subscription ping on %s: %w", r.channel, err)
		}
	}
}

// receive hands a batch published by another process to sub.
func (r *Redis) receive(sub *subscriber, payload string) {
	messagesReceived.Inc()
	m, err := decodeMessage(payload)
	if err != nil {
		r.log.Warn("skipping malformed bus message", "channel", r.channel, "bytes", len(payload), "err", err)
		return
	}
	if m.Origin == r.origin {
		// Publish delivered this batch locally already.
		return
	}
	if r.interested {
		r.local.publish(m.Events) // this connection serves every subscriber
		return
	}
	sub.send(m.Events)
}

// recover tells sub, or with Interest every subscriber, that events may
// have been lost.
func (r *Redis) recover(sub *subscriber) {
	if r.interested {
		r.local.recoverAll()
		return
	}
	sub.recover()
}

// silence measures how long Redis has said nothing on a connection. It uses
// the monotonic clock, so a step of the wall clock can neither fake silence
// nor hide it.
type silence struct {
	start time.Time
	last  atomic.Int64 // when Redis last said anything, as a duration since start
}

func newSilence() *silence { return &silence{start: time.Now()} }

// heard records that Redis just said something.
func (s *silence) heard() { s.last.Store(int64(time.Since(s.start))) }

// duration returns how long ago Redis last said anything.
func (s *silence) duration() time.Duration {
	return time.Since(s.start) - time.Duration(s.last.Load())
}
