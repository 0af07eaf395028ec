package pubsub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Channels. Every topic has its own Redis channel, "{prefix}:events:{topic}";
// a published batch is one message per topic on it. By default a
// subscriber takes every channel of the prefix (a pattern subscription),
// so every instance gets every event. With RedisOptions.Interest it takes
// only the channels of the topics it was told it wants (Want), and the
// control topic, so that an instance gets the events of its own sockets'
// topics and no others: the bus traffic of an instance then grows with its
// sockets' topics, not with the deployment.

// topicChannel is the channel of a topic.
func (r *Redis) topicChannel(topic string) string { return r.channel + ":" + topic }

// pattern matches every topic channel of the prefix (glob characters in
// the prefix escaped).
func (r *Redis) pattern() string {
	esc := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return esc.Replace(r.channel) + ":*"
}

// errNotConnected is Want's answer while the bus has no connection to
// Redis.
var errNotConnected = errors.New("not connected to Redis")

// wantWait bounds how long Want waits for Redis to confirm a new
// subscription. Past it (Redis is down or slow) Want returns an error and
// the caller carries on: the subscription comes with the reconnection, and
// the subscriber's recovered callback then reads what was missed.
const wantWait = 2 * time.Second

// interest is what the subscription of an interested Redis bus must
// cover: the channels wanted, how many times each, and which of them Redis
// has confirmed on the current connection.
type interest struct {
	mu      sync.Mutex
	refs    map[string]int // channel → Want calls not undone
	ps      *redis.PubSub  // the current subscription; nil between connections
	lost    bool           // a connection ended and no other has begun
	subbed  map[string]bool
	live    map[string]bool            // confirmed on the current connection
	waiters map[string][]chan struct{} // Want calls waiting for a confirmation

	// change serialises SUBSCRIBE and UNSUBSCRIBE, so that a channel
	// wanted again right after it was given up ends subscribed.
	change sync.Mutex
}

// Want makes an interested bus deliver the events of topic to its
// subscribers from when it returns nil: it subscribes to the topic's
// channel, unless that is done already, and waits for Redis to confirm it
// (up to ctx, and a couple of seconds). Every Want is undone by one
// Unwant. Without RedisOptions.Interest it does nothing: every channel is
// taken anyway.
func (r *Redis) Want(ctx context.Context, topic string) error {
	if !r.interested {
		return nil
	}
	ch := r.topicChannel(topic)
	in := &r.interest
	in.mu.Lock()
	in.refs[ch]++
	if in.live[ch] {
		in.mu.Unlock()
		return nil
	}
	if in.ps == nil && in.lost {
		// The connection was lost: nothing to wait for. The next one takes
		// the channel, and recovered then says what was missed. (Before
		// the first connection, Want waits for it.)
		in.mu.Unlock()
		return fmt.Errorf("redis: subscribe to %s: %w", ch, errNotConnected)
	}
	w := make(chan struct{})
	in.waiters[ch] = append(in.waiters[ch], w)
	in.mu.Unlock()

	r.syncChannel(ctx, ch)
	t := time.NewTimer(wantWait)
	defer t.Stop()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("redis: subscribe to %s: %w", ch, ctx.Err())
	case <-t.C:
		return fmt.Errorf("redis: subscribe to %s: not confirmed within %s", ch, wantWait)
	}
}

// Unwant undoes a Want: the topic's channel is given up with its last
// Want.
func (r *Redis) Unwant(topic string) {
	if !r.interested {
		return
	}
	ch := r.topicChannel(topic)
	in := &r.interest
	in.mu.Lock()
	if in.refs[ch] > 1 {
		in.refs[ch]--
		in.mu.Unlock()
		return
	}
	delete(in.refs, ch)
	delete(in.waiters, ch) // none: every Want has returned before its Unwant
	in.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), wantWait)
	defer cancel()
	r.syncChannel(ctx, ch)
}

// syncChannel subscribes to or unsubscribes from ch on the current
// connection, as its Want calls say. Between connections it does nothing:
// the next connection subscribes to every wanted channel.
func (r *Redis) syncChannel(ctx context.Context, ch string) {
	in := &r.interest
	in.change.Lock()
	defer in.change.Unlock()
	in.mu.Lock()
	want, have, ps := in.refs[ch] > 0, in.subbed[ch], in.ps
	in.mu.Unlock()
	if ps == nil || want == have {
		return
	}
	var err error
	if want {
		err = ps.Subscribe(ctx, ch)
	} else {
		err = ps.Unsubscribe(ctx, ch)
	}
	in.mu.Lock()
	if in.ps == ps {
		// go-redis subscribes again to what it was asked for, even after
		// an error, when it replaces the connection.
		in.subbed[ch] = want
		if !want {
			delete(in.live, ch)
		}
	}
	in.mu.Unlock()
	if err != nil {
		r.log.Debug("redis: change of subscription", "channel", ch, "subscribe", want, "err", err)
	}
}

// connected makes ps the subscription and returns the channels it must
// take: the control topic's and every wanted one.
func (in *interest) connected(ps *redis.PubSub, control string) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ps, in.lost = ps, false
	in.live = make(map[string]bool)
	in.subbed = make(map[string]bool, len(in.refs))
	chans := []string{control}
	for ch := range in.refs {
		in.subbed[ch] = true
		chans = append(chans, ch)
	}
	slices.Sort(chans[1:])
	return chans
}

// disconnected forgets the subscription ps.
func (in *interest) disconnected(ps *redis.PubSub) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.ps == ps {
		in.ps, in.lost, in.live = nil, true, make(map[string]bool)
	}
}

// confirmed records Redis's confirmation of a channel and releases the Want
// calls waiting for it.
func (in *interest) confirmed(ch string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.refs[ch] == 0 {
		return
	}
	in.live[ch] = true
	for _, w := range in.waiters[ch] {
		close(w)
	}
	delete(in.waiters, ch)
}

// subscribeAll opens a subscription for a bus that is not interested: the
// pattern of every topic channel.
func (r *Redis) subscribeAll(ctx context.Context) *redis.PubSub {
	return r.client.PSubscribe(ctx, r.pattern())
}
