package inbox

import (
	"sync"
	"sync/atomic"
	"time"
)

// sessionCacheTTL bounds how long a cached session is trusted without the
// store: the safety net for an invalidation the bus lost. Every change that
// ends a session or changes its user drops it at once (see AuthChanged).
const sessionCacheTTL = 5 * time.Second

// maxCachedSessions bounds the cache; past it, it starts over.
const maxCachedSessions = 100_000

// sessionCache keeps live sessions read from the store, so that a client
// opening several sockets, or making requests in a burst, costs one session
// read, not one each. It is used only while the hub listens to the bus for
// what invalidates it (AuthChanged, AuthUnknown).
type sessionCache struct {
	live atomic.Bool // RunSessionCache is subscribed

	mu sync.Mutex
	// gen moves on with every invalidation: a read of the store that began
	// before one is not cached, since it may predate the change.
	gen     uint64
	entries map[string]cachedSession // by session key
}

type cachedSession struct {
	sess    StoredSession
	fetched time.Time // monotonic: when it was read from the store
}

// get returns a cached session that is still live at now.
func (c *sessionCache) get(key string, now time.Time) (StoredSession, bool) {
	if !c.live.Load() || databaseDownWithin(sessionCacheTTL) {
		return StoredSession{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Since(e.fetched) > sessionCacheTTL || !now.Before(e.sess.ExpiresAt) {
		return StoredSession{}, false
	}
	return e.sess, true
}

// generation returns the current generation, to pass to put.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches a session read from the store, unless an invalidation came
// since the read began (gen).
func (c *sessionCache) put(key string, sess StoredSession, gen uint64, fetched time.Time) {
	if !c.live.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedSessions {
		c.entries = make(map[string]cachedSession)
	}
	c.entries[key] = cachedSession{sess: sess, fetched: fetched}
}

// setExpiry records a renewed idle deadline of a cached session.
func (c *sessionCache) setExpiry(key string, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		e.sess.ExpiresAt = expires
		c.entries[key] = e
	}
}

// dropUser forgets every session of a user.
func (c *sessionCache) dropUser(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if e.sess.User.ID == userID {
			delete(c.entries, k)
		}
	}
}

// dropAll forgets every session.
func (c *sessionCache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// AuthChanged is told every control message the bus brings (by the hub,
// which listens to the bus anyway): a session, token or user ended or
// changed, on any instance. It drops what is cached of the user.
func (s *Service) AuthChanged(e Event) {
	if c, ok := ParseAuthChange(e); ok {
		s.sessions.dropUser(c.UserID)
	}
}

// AuthUnknown is told when control messages may have been lost (the bus
// reconnected), and when the hub starts (listening) and stops listening.
// Sessions are cached only while something listens for what invalidates
// them; whenever messages may have been missed, the cache starts over.
func (s *Service) AuthUnknown(listening bool) {
	s.sessions.live.Store(listening)
	s.sessions.dropAll()
}
