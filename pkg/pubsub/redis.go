package pubsub

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"smsinbox/pkg/inbox"
)

var _ inbox.Bus = (*Redis)(nil)

// defaultPingInterval is how often an idle subscription connection is
// checked when RedisOptions leaves it zero: well inside common NAT and load
// balancer idle timeouts, and cheap.
const defaultPingInterval = 5 * time.Second

// Redis is the Bus for several processes: every batch is one message per
// topic on the topic's Redis pub/sub channel, "{prefix}:events:{topic}"
// (interest.go). Publish also hands the batch to this value's own
// subscribers directly, so they keep getting local events while Redis is
// down, and they skip the copy that comes back from Redis.
type Redis struct {
	client       *redis.Client
	prefix       string
	channel      string
	origin       string // unique to this value; marks the messages it published
	log          *slog.Logger
	pingInterval time.Duration
	local        fanout
	interested   bool // subscribe to wanted topics only (RedisOptions.Interest)
	interest     interest
	// listener is held by the Subscribe call whose connection serves every
	// subscriber of an interested bus (one set of wanted topics, one
	// connection); listened says one has held it before.
	listener chan struct{}
	listened atomic.Bool
}

// RedisOptions holds the optional settings of NewRedis.
type RedisOptions struct {
	// Logger receives reconnections and malformed messages; nil means
	// slog.Default().
	Logger *slog.Logger
	// PingInterval is how often a subscription connection is pinged; one
	// that stays silent for two intervals is replaced, so a connection that
	// died without a word is noticed. Zero means 5 s.
	PingInterval time.Duration
	// Interest makes Subscribe take only the topics it is told it wants
	// (Want, Unwant) and the control topic, instead of every topic: an
	// instance then receives the events of its own sockets' topics only.
	Interest bool
}

// NewRedis returns a bus on the Redis server described by opt (for example
// from redis.ParseURL), using the channel prefix+":events". It opens its own
// client on a copy of opt in which it sets MaxRetries to 1 and DialerRetries
// to 1: a doorbell must fail fast rather than hold up the request that rang
// it (go-redis's defaults spend about two seconds on a refused connection),
// and subscriptions reconnect by themselves. Close releases the client.
func NewRedis(opt *redis.Options, prefix string, o RedisOptions) *Redis {
	copied := *opt
	copied.MaxRetries = 1
	copied.DialerRetries = 1
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PingInterval <= 0 {
		o.PingInterval = defaultPingInterval
	}
	return &Redis{
		client:       redis.NewClient(&copied),
		prefix:       prefix,
		channel:      prefix + ":events",
		origin:       rand.Text(),
		log:          o.Logger,
		pingInterval: o.PingInterval,
		interested:   o.Interest,
		interest: interest{refs: make(map[string]int), subbed: make(map[string]bool),
			live: make(map[string]bool), waiters: make(map[string][]chan struct{})},
		listener: make(chan struct{}, 1),
	}
}

// Publish hands events to this value's subscribers, then sends them to every
// other process as one Redis message per topic, each on its topic's channel
// (sent together, in one round trip). A batch arrives whole and in order
// per topic. An error means only that second part
// failed: the other processes did not get the batch, and only the store has
// it. A batch that cannot be encoded is delivered nowhere. Publish waits for Redis no longer than ctx allows, and
// a refused connection fails at once.
func (r *Redis) Publish(ctx context.Context, events ...inbox.Event) error {
	if len(events) == 0 {
		return nil
	}
	var topics []string
	byTopic := make(map[string][]inbox.Event)
	for _, e := range events {
		if _, ok := byTopic[e.Topic]; !ok {
			topics = append(topics, e.Topic)
		}
		byTopic[e.Topic] = append(byTopic[e.Topic], e)
	}
	payloads := make([][]byte, len(topics))
	for i, t := range topics {
		p, err := encodeMessage(r.origin, byTopic[t])
		if err != nil {
			publishErrors.Inc()
			return err
		}
		payloads[i] = p
	}
	// Local subscribers first: they must not wait for Redis, nor go without
	// when it is down.
	r.local.publish(events)
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range topics {
			p.Publish(ctx, r.topicChannel(t), payloads[i])
		}
		return nil
	})
	if err != nil {
		publishErrors.Inc()
		return fmt.Errorf("redis publish to %s: %w", r.channel, err)
	}
	messagesPublished.Add(float64(len(topics)))
	return nil
}

// Ping reports whether Redis answers a PING within ctx.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Close releases the Redis client. Call it after every Subscribe on r has
// returned.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}
