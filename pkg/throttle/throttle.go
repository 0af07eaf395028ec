// Package throttle counts attempts in fixed windows in Redis, so that every
// instance of a deployment shares the counts: the sign-in limits of pkg/web
// (its Attempts interface) with REDIS_URL set.
package throttle

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis counts attempts per key in Redis. Each key's window starts with its
// first attempt and lasts the window given; the count and its expiry are
// one Redis key, changed only by Lua scripts, so that concurrent attempts on
// any number of instances are counted exactly.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis returns counters on the Redis server of opt (for example from
// redis.ParseURL), under the keys prefix+":attempts:…". It opens its own
// client, which fails fast: a sign-in should not wait for a Redis that is
// down (pkg/web then counts on the instance alone). Close releases it.
func NewRedis(opt *redis.Options, prefix string) *Redis {
	copied := *opt
	copied.MaxRetries = 1
	copied.DialerRetries = 1
	return &Redis{client: redis.NewClient(&copied), prefix: prefix + ":attempts:"}
}

// Close closes the Redis client.
func (r *Redis) Close() error { return r.client.Close() }

// reserve counts one attempt unless max are counted in the window already;
// then it gives the count back and answers how many milliseconds the window
// has left. A key without an expiry (it cannot happen, short of someone's
// hand) gets one rather than counting forever.
var reserve = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return ttl
end
return 0
`)

// release gives an attempt back, never below zero.
var release = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then
  redis.call('DECR', KEYS[1])
end
return n
`)

// Reserve counts one attempt of key, atomically across every instance,
// unless max are counted in its window already; then it counts nothing and
// returns how long until the window ends.
func (r *Redis) Reserve(ctx context.Context, key string, max int, window time.Duration) (time.Duration, error) {
	ms := window.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	wait, err := reserve.Run(ctx, r.client, []string{r.prefix + key}, max, ms).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserve an attempt in redis: %w", err)
	}
	return time.Duration(wait) * time.Millisecond, nil
}

// Release gives back an attempt Reserve counted.
func (r *Redis) Release(ctx context.Context, key string) error {
	if err := release.Run(ctx, r.client, []string{r.prefix + key}).Err(); err != nil {
		return fmt.Errorf("release an attempt in redis: %w", err)
	}
	return nil
}
