package throttle

import (
	"context"
	"crypto/rand"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis returns two counters on the test Redis sharing a prefix unique
// to the test, as two instances of one deployment would.
func testRedis(t *testing.T) (*Redis, *Redis) {
	t.Helper()
	raw := os.Getenv("REDIS_URL")
	if raw == "" {
		raw = "redis://127.0.0.1:6379/0"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", u.Host, 2*time.Second); err != nil {
		msg := "Redis is not reachable at " + u.Host + " (run scripts/services.sh, or set REDIS_URL)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	} else {
		c.Close()
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "test-" + rand.Text()
	a, b := NewRedis(opt, prefix), NewRedis(opt, prefix)
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := a.client.Keys(ctx, prefix+":*").Result()
		if len(keys) > 0 {
			a.client.Del(ctx, keys...)
		}
		a.Close()
		b.Close()
	})
	return a, b
}

// Attempts counted on one instance count on the other; past the limit
// nothing more is counted, and the wait is what is left of the window.
func TestSharedCounts(t *testing.T) {
	a, b := testRedis(t)
	ctx := context.Background()
	for i := range 3 {
		r := a
		if i%2 == 1 {
			r = b
		}
		if wait, err := r.Reserve(ctx, "k", 3, time.Minute); err != nil || wait != 0 {
			t.Fatalf("attempt %d: wait %v, %v; want counted", i+1, wait, err)
		}
	}
	wait, err := b.Reserve(ctx, "k", 3, time.Minute)
	if err != nil || wait <= 50*time.Second || wait > time.Minute {
		t.Fatalf("fourth attempt: wait %v, %v; want refused with most of the minute left", wait, err)
	}
	if err := a.Release(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if wait, err := b.Reserve(ctx, "k", 3, time.Minute); err != nil || wait != 0 {
		t.Errorf("after a release: wait %v, %v; want counted", wait, err)
	}
	if wait, _ := a.Reserve(ctx, "other", 3, time.Minute); wait != 0 {
		t.Errorf("another key: wait %v; want its own count", wait)
	}
	// Releasing more than was counted never goes below zero.
	for range 3 {
		a.Release(ctx, "fresh")
	}
	for i := range 2 {
		if wait, _ := a.Reserve(ctx, "fresh", 2, time.Minute); wait != 0 {
			t.Fatalf("attempt %d after extra releases: refused", i+1)
		}
	}
	if wait, _ := a.Reserve(ctx, "fresh", 2, time.Minute); wait == 0 {
		t.Error("third attempt of two after extra releases: counted; want refused")
	}
}

// Of many attempts at once on two instances, exactly max are counted.
func TestConcurrentReserve(t *testing.T) {
	a, b := testRedis(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counted := 0
	for i := range 40 {
		r := a
		if i%2 == 1 {
			r = b
		}
		wg.Go(func() {
			wait, err := r.Reserve(context.Background(), "burst", 5, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				mu.Lock()
				counted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if counted != 5 {
		t.Errorf("40 attempts at once: %d counted, want 5", counted)
	}
}

// A window is the key's expiry, set by its first attempt and not moved by
// later ones: Redis ends it, on every instance at once.
func TestWindowIsTheKeysExpiry(t *testing.T) {
	a, _ := testRedis(t)
	ctx := context.Background()
	a.Reserve(ctx, "w", 5, time.Minute)
	ttl1, err := a.client.PTTL(ctx, a.prefix+"w").Result()
	if err != nil || ttl1 <= 0 || ttl1 > time.Minute {
		t.Fatalf("after the first attempt: TTL %v, %v; want within the minute", ttl1, err)
	}
	a.client.PExpire(ctx, a.prefix+"w", 30*time.Second) // as if 30 s went by
	a.Reserve(ctx, "w", 5, time.Minute)
	if ttl2, _ := a.client.PTTL(ctx, a.prefix+"w").Result(); ttl2 > 30*time.Second {
		t.Errorf("a later attempt moved the window's end: TTL %v, want at most 30 s", ttl2)
	}
	a.client.Del(ctx, a.prefix+"w") // as if the window ended
	for i := range 5 {
		if wait, _ := a.Reserve(ctx, "w", 5, time.Minute); wait != 0 {
			t.Fatalf("attempt %d of a new window: refused", i+1)
		}
	}
}

// A Redis that cannot be reached is an error, at once, not a hang.
func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := NewRedis(&redis.Options{Addr: addr}, "down")
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.Reserve(ctx, "k", 1, time.Minute); err == nil {
		t.Error("Reserve with Redis down: got nil, want an error")
	}
}
