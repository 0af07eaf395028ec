package pubsub

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every instance gets the same ticket key, and a ticket is used once across
// all of them, however many try at once.
func TestRedisTickets(t *testing.T) {
	t.Parallel()
	opt, prefix := testRedis(t), uniquePrefix()
	a, b := newRedis(t, opt, prefix, RedisOptions{}), newRedis(t, opt, prefix, RedisOptions{})
	ka, err := a.TicketKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.TicketKey(t.Context())
	if err != nil || !bytes.Equal(ka, kb) || len(ka) != 32 {
		t.Fatalf("keys: %x and %x (%v); want the same 32 bytes", ka, kb, err)
	}
	other, err := newRedis(t, opt, uniquePrefix(), RedisOptions{}).TicketKey(t.Context())
	if err != nil || bytes.Equal(other, ka) {
		t.Errorf("another deployment's key: %x (%v); want a different one", other, err)
	}

	var firsts atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		r := []*Redis{a, b}[i%2]
		wg.Go(func() {
			first, err := r.Use(t.Context(), "abc", time.Minute)
			if err != nil {
				t.Errorf("Use: %v", err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if got := firsts.Load(); got != 1 {
		t.Errorf("first uses of one ticket over 20 tries: got %d, want 1", got)
	}
	if first, err := a.Use(t.Context(), "abd", time.Minute); err != nil || !first {
		t.Errorf("another ticket: %v, %v; want its first use", first, err)
	}
}
