package pubsub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"smsinbox/pkg/inbox"
)

var (
	_ inbox.TicketLedger = (*Redis)(nil)
	_ inbox.TicketKeys   = (*Redis)(nil)
)

// Use records a websocket ticket as used, once across every instance: a
// SET NX of "{prefix}:ticket:{id}" that expires after ttl. It reports
// whether this was the first use.
func (r *Redis) Use(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	ok, err := r.client.SetNX(ctx, r.prefix+":ticket:"+id, 1, max(ttl, time.Millisecond)).Result()
	if err != nil {
		return false, fmt.Errorf("redis: use ticket: %w", err)
	}
	return ok, nil
}

// TicketKey returns the key every instance signs websocket tickets with:
// "{prefix}:ticket-key", made by the first instance that asks (SET NX of 32
// random bytes) and never expiring. Deleting it invalidates the tickets in
// flight (30 s of them) once the instances restart.
func (r *Redis) TicketKey(ctx context.Context) ([]byte, error) {
	name := r.prefix + ":ticket-key"
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if err := r.client.SetNX(ctx, name, hex.EncodeToString(fresh), 0).Err(); err != nil {
		return nil, fmt.Errorf("redis: make the ticket key: %w", err)
	}
	v, err := r.client.Get(ctx, name).Result()
	if errors.Is(err, redis.Nil) {
		return nil, errors.New("redis: the ticket key vanished")
	}
	if err != nil {
		return nil, fmt.Errorf("redis: read the ticket key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("redis: %s is not a hex key of at least 16 bytes", name)
	}
	return key, nil
}
