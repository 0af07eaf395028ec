package pubsub

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"smsinbox/pkg/inbox"
)

func TestRedis(t *testing.T) {
	testBus(t, func(t *testing.T) (inbox.Bus, inbox.Bus) {
		opt, prefix := testRedis(t), uniquePrefix()
		return newRedis(t, opt, prefix, RedisOptions{}), newRedis(t, opt, prefix, RedisOptions{})
	})
}

func TestRedisNoDoubleDelivery(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	a, b := newRedis(t, opt, prefix, RedisOptions{}), newRedis(t, opt, prefix, RedisOptions{})
	c := subscribe(t, a)
	// Probes from b prove that a's own Redis subscription is live, so the
	// copy of a's messages that comes back from Redis would be seen.
	ready(t, b, c)
	own := numbered("number:1", 1, 5)
	for _, e := range own {
		publish(t, a, e)
	}
	// Redis relays messages in the order it got them: once b's marker is
	// in, any echo of a's events would be too.
	marker := numbered("number:2", 1, 1)[0]
	publish(t, b, marker)
	c.wantEvents(t, append(own, marker)...)
}

func TestRedisRecoversAfterClientKill(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	// The name lets the test kill b's subscription and nobody else's: other
	// tests share this Redis.
	named := *opt
	named.ClientName = prefix
	a, b := newRedis(t, opt, prefix, RedisOptions{}), newRedis(t, &named, prefix, RedisOptions{})
	c := subscribe(t, b)
	ready(t, a, c)
	if _, recovered := c.counts(); recovered != 0 {
		t.Fatalf("recovered calls after the first subscription: got %d, want 0", recovered)
	}
	before := counterValue(t, "smsinbox_bus_reconnects_total")

	killPubSub(t, opt, prefix)
	c.waitRecovered(t, 1)
	if got := counterValue(t, "smsinbox_bus_reconnects_total"); got < before+1 {
		t.Errorf("smsinbox_bus_reconnects_total: got %v, want at least %v", got, before+1)
	}
	after := numbered("number:1", 1, 3)
	publish(t, a, after...)
	c.wantEvents(t, after...)
}

func TestRedisRecoversFromSilentConnection(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	if opt.Network == "unix" {
		t.Skip("the freezing proxy speaks TCP; REDIS_URL is a unix socket")
	}
	proxy := newFreezer(t, opt.Addr)
	viaProxy := *opt
	viaProxy.Addr = proxy.addr()
	a := newRedis(t, opt, prefix, RedisOptions{})
	b := newRedis(t, &viaProxy, prefix, RedisOptions{PingInterval: 100 * time.Millisecond})
	c := subscribe(t, b)
	ready(t, a, c)

	// The subscription connection stays open but nothing comes through any
	// more: only b's pings can tell.
	_, before := c.counts()
	proxy.freeze()
	c.waitRecovered(t, before+1)
	after := numbered("number:1", 1, 3)
	publish(t, a, after...)
	c.wantEvents(t, after...)
}

func TestRedisPublishWhileUnreachable(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: every connection is refused at once.
	down := newRedis(t, &redis.Options{Addr: "127.0.0.1:1"}, uniquePrefix(), RedisOptions{})
	c := subscribe(t, down)
	ready(t, down, c)
	before := counterValue(t, "smsinbox_bus_publish_errors_total")

	e := numbered("number:1", 1, 1)[0]
	start := time.Now()
	err := down.Publish(context.Background(), e)
	elapsed := time.Since(start)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Publish: got %v, want connection refused", err)
	}
	// A refused connection must not be retried for seconds; the bound is
	// loose, go-redis's default retries alone take about two seconds.
	if elapsed > time.Second {
		t.Errorf("Publish took %s, want under 1s", elapsed)
	}
	c.wantEvents(t, e)
	if got := counterValue(t, "smsinbox_bus_publish_errors_total"); got < before+1 {
		t.Errorf("smsinbox_bus_publish_errors_total: got %v, want at least %v", got, before+1)
	}
	if err := down.Ping(t.Context()); err == nil {
		t.Error("Ping: got nil, want an error")
	}
}

func TestRedisPrefixesAreIsolated(t *testing.T) {
	t.Parallel()
	opt := testRedis(t)
	one, two := uniquePrefix(), uniquePrefix()
	other := newRedis(t, opt, one, RedisOptions{})
	a, b := newRedis(t, opt, two, RedisOptions{}), newRedis(t, opt, two, RedisOptions{})
	c := subscribe(t, b)
	ready(t, a, c)
	publish(t, other, numbered("number:1", 1, 3)...)
	marker := numbered("number:2", 1, 1)[0]
	publish(t, a, marker)
	c.wantEvents(t, marker)
}

func TestRedisSkipsMalformedMessages(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	a, b := newRedis(t, opt, prefix, RedisOptions{}), newRedis(t, opt, prefix, RedisOptions{})
	c := subscribe(t, b)
	ready(t, a, c)
	before := counterValue(t, "smsinbox_bus_messages_received_total")

	raw := redis.NewClient(opt)
	defer raw.Close()
	junk := []string{"", "not json", "[]", `{"origin":"x","events":[]}`, `{"origin":"x","events":[{"seq":1}]}`}
	for _, payload := range junk {
		if err := raw.Publish(t.Context(), prefix+":events:number:1", payload).Err(); err != nil {
			t.Fatalf("PUBLISH %q: got %v, want nil", payload, err)
		}
	}
	marker := numbered("number:1", 1, 1)[0]
	publish(t, a, marker)
	c.wantEvents(t, marker)
	if _, recovered := c.counts(); recovered != 0 {
		t.Errorf("recovered calls: got %d, want 0 (junk must not break the subscription)", recovered)
	}
	if got, want := counterValue(t, "smsinbox_bus_messages_received_total"), before+float64(len(junk)+1); got < want {
		t.Errorf("smsinbox_bus_messages_received_total: got %v, want at least %v", got, want)
	}
}

// redisProbe checks once per test binary that the test Redis answers.
var redisProbe = sync.OnceValues(func() (*redis.Options, error) {
	opt, err := redis.ParseURL(cmp.Or(os.Getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"))
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(opt)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, err
	}
	return opt, nil
})

// testRedis returns the options of the test Redis: REDIS_URL, or a local
// one. When it does not answer, the test is skipped, or fails under CI=true
// where a missing Redis is a broken pipeline.
func testRedis(t *testing.T) *redis.Options {
	t.Helper()
	opt, err := redisProbe()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is missing (REDIS_URL or 127.0.0.1:6379): %v", err)
		}
		t.Skipf("Redis is missing (REDIS_URL or 127.0.0.1:6379), skipping: %v", err)
	}
	copied := *opt
	return &copied
}

// uniquePrefix keeps parallel tests, and parallel runs, off each other's
// channels.
func uniquePrefix() string { return "smsinbox-test-" + rand.Text() }

// newRedis returns a bus with its own client, logging to the test, closed
// when the test ends.
func newRedis(t *testing.T, opt *redis.Options, prefix string, o RedisOptions) *Redis {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	r := NewRedis(opt, prefix, o)
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: got %v, want nil", err)
		}
	})
	return r
}

// killPubSub runs CLIENT KILL TYPE pubsub, through a client of its own, on
// every connection named name.
func killPubSub(t *testing.T, opt *redis.Options, name string) {
	t.Helper()
	admin := redis.NewClient(opt)
	defer admin.Close()
	list, err := admin.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: got %v, want nil", err)
	}
	var killed int64
	for line := range strings.Lines(list) {
		fields := strings.Fields(line)
		var id string
		named := false
		for _, f := range fields {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			}
			named = named || f == "name="+name
		}
		if !named {
			continue
		}
		n, err := admin.ClientKillByFilter(t.Context(), "TYPE", "pubsub", "ID", id).Result()
		if err != nil {
			t.Fatalf("CLIENT KILL TYPE pubsub ID %s: got %v, want nil", id, err)
		}
		killed += n
	}
	if killed == 0 {
		t.Fatalf("CLIENT KILL TYPE pubsub: got 0 connections named %s killed, want at least 1", name)
	}
}

// counterValue reads a counter from the default registry.
func counterValue(t *testing.T, name string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s: not registered", name)
	return 0
}

// An interested bus delivers what its own process publishes, the control
// topic, and the topics it wants, and nothing else; it stops with the last
// Unwant, and a reconnection subscribes again to what is wanted.
func TestRedisInterest(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	named := *opt
	named.ClientName = prefix
	a := newRedis(t, opt, prefix, RedisOptions{})
	b := newRedis(t, &named, prefix, RedisOptions{Interest: true})
	c := subscribe(t, b)
	// The probes travel on a company topic: b must want it.
	if err := b.Want(t.Context(), inbox.CompanyTopic(1)); err != nil {
		t.Fatalf("Want: %v", err)
	}
	ready(t, a, c)
	for range 2 {
		if err := b.Want(t.Context(), "number:1"); err != nil {
			t.Fatalf("Want: %v", err)
		}
	}
	one, two := numbered("number:1", 1, 3), numbered("number:2", 1, 3)
	for i := range one {
		publish(t, a, two[i], one[i])
	}
	control := inbox.Event{Topic: inbox.ControlTopic, Type: inbox.EventAuthChanged, Data: []byte(`{"kind":"user_ended","user_id":1}`)}
	publish(t, a, control)
	c.wantEvents(t, append(slices.Clone(one), control)...)

	// One Unwant of two: still wanted. The second: given up.
	b.Unwant("number:1")
	more := numbered("number:1", 4, 4)
	publish(t, a, more...)
	c.wantEvents(t, append(append(slices.Clone(one), control), more...)...)
	b.Unwant("number:1")
	publish(t, a, numbered("number:1", 5, 5)...)
	publish(t, a, control)
	c.wantEvents(t, append(append(append(slices.Clone(one), control), more...), control)...)

	// After a reconnection the wanted topics come again, and recovered says
	// what may have been missed.
	if err := b.Want(t.Context(), "number:2"); err != nil {
		t.Fatalf("Want: %v", err)
	}
	killPubSub(t, opt, prefix)
	c.waitRecovered(t, 1)
	deadline := time.Now().Add(waitTimeout)
	for {
		publish(t, a, numbered("number:2", 9, 9)...)
		if got := onTopic(c.snapshot(), "number:2"); len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("number:2 not delivered after the reconnection")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The default bus takes every topic, wanted or not.
func TestRedisWithoutInterestGetsEverything(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	a, b := newRedis(t, opt, prefix, RedisOptions{}), newRedis(t, opt, prefix, RedisOptions{})
	c := subscribe(t, b)
	ready(t, a, c)
	want := append(numbered("number:7", 1, 2), numbered("number:8", 1, 2)...)
	publish(t, a, want...)
	c.wantEvents(t, want...)
}

// With Redis out of reach an interested bus does not make Want wait (every
// socket would wait at each of its topics): it answers at once that it is
// not connected, and remembers the topic for the next connection.
func TestRedisWantWhileUnreachable(t *testing.T) {
	t.Parallel()
	down := newRedis(t, &redis.Options{Addr: "127.0.0.1:1"}, uniquePrefix(), RedisOptions{Interest: true})
	c := subscribe(t, down)
	ready(t, down, c) // local delivery works without Redis
	// The subscription has tried and failed by now (ready's probes came
	// back locally either way); wait until it is between connections.
	deadline := time.Now().Add(waitTimeout)
	for {
		err := down.Want(t.Context(), "number:1")
		if errors.Is(err, errNotConnected) {
			break
		}
		if err == nil {
			t.Fatal("Want with Redis out of reach: got nil, want an error")
		}
		down.Unwant("number:1")
		if time.Now().After(deadline) {
			t.Fatalf("Want with Redis out of reach: got %v, want errNotConnected", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	down.interest.mu.Lock()
	refs := down.interest.refs[down.topicChannel("number:1")]
	down.interest.mu.Unlock()
	if refs != 1 {
		t.Errorf("wants of number:1 remembered: got %d, want 1", refs)
	}
}

// An interested bus has one set of wanted topics and one connection for
// all its subscribers (a hub and the feed's long polls, in inboxd): each
// gets what the connection receives, and when the subscriber holding the
// connection ends another takes it over, told that it may have missed
// events.
func TestRedisInterestServesEverySubscriber(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	a := newRedis(t, opt, prefix, RedisOptions{})
	b := newRedis(t, opt, prefix, RedisOptions{Interest: true})
	first := subscribe(t, b)
	if err := b.Want(t.Context(), inbox.CompanyTopic(1)); err != nil {
		t.Fatalf("Want: %v", err)
	}
	ready(t, a, first)
	second := subscribe(t, b)
	ready(t, a, second)
	if err := b.Want(t.Context(), "number:1"); err != nil {
		t.Fatalf("Want: %v", err)
	}
	one := numbered("number:1", 1, 3)
	publish(t, a, one...)
	first.wantEvents(t, one...)
	second.wantEvents(t, one...)

	if err := first.stop(); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	second.waitRecovered(t, 1)
	if err := b.Want(t.Context(), "number:2"); err != nil {
		t.Fatalf("Want after the take-over: %v", err)
	}
	deadline := time.Now().Add(waitTimeout)
	for len(onTopic(second.snapshot(), "number:2")) == 0 {
		publish(t, a, numbered("number:2", 1, 1)...)
		if time.Now().After(deadline) {
			t.Fatal("the second subscriber took nothing over")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
