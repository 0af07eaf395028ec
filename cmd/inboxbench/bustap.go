package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// busTap counts the messages published on each topic channel of a Redis
// prefix ({prefix}:events:{topic}), as one more subscriber of them all.
type busTap struct {
	client *redis.Client
	ps     *redis.PubSub
	done   chan struct{}

	mu      sync.Mutex
	byTopic map[string]int64
}

// tapBus subscribes to every topic channel of prefix and counts from the
// moment it returns.
func tapBus(ctx context.Context, redisURL, prefix string) (*busTap, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	t := &busTap{client: redis.NewClient(opt), done: make(chan struct{}), byTopic: map[string]int64{}}
	channel := prefix + ":events:"
	t.ps = t.client.PSubscribe(ctx, channel+"*")
	if _, err := t.ps.Receive(ctx); err != nil {
		t.ps.Close()
		t.client.Close()
		return nil, fmt.Errorf("subscribe to %s*: %w", channel, err)
	}
	msgs := t.ps.Channel()
	go func() {
		defer close(t.done)
		for m := range msgs {
			t.mu.Lock()
			t.byTopic[strings.TrimPrefix(m.Channel, channel)]++
			t.mu.Unlock()
		}
	}()
	return t, nil
}

// stop ends the subscription and returns the count per topic.
func (t *busTap) stop() map[string]int64 {
	t.ps.Close()
	<-t.done
	t.client.Close()
	return t.byTopic
}
