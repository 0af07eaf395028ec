package hub

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// The close codes of credentials (docs/API.md, "Real-time").
const (
	// StatusSessionEnded closes the sockets of a credential that ended: a
	// sign-out, a password change elsewhere, a revoked API token, a
	// deactivated user, an expired session. Sign in again; do not
	// reconnect with the old credential.
	StatusSessionEnded websocket.StatusCode = 4001
	// StatusAccountChanged closes the sockets of a user whose role
	// changed: reconnect and resume, to get what the new role may see.
	StatusAccountChanged websocket.StatusCode = 4002
)

var (
	closeEnded   = closeReason{StatusSessionEnded, "session ended"}
	closeChanged = closeReason{StatusAccountChanged, "account changed; reconnect"}
)

// control handles a message of the control topic: it closes the sockets of
// this process that an ended credential opened, or whose user changed.
func (h *Hub) control(e inbox.Event) {
	if w, ok := h.src.(AuthWatcher); ok {
		w.AuthChanged(e)
	}
	c, ok := inbox.ParseAuthChange(e)
	if !ok {
		h.log.Debug("hub: unknown control message", "type", e.Type)
		return
	}
	if c.Kind == inbox.AuthUserUpdated {
		return // ends nothing; only caches care
	}
	why := closeEnded
	if !c.Ended() {
		why = closeChanged
	}
	for _, s := range h.open() {
		if c.Affects(s.auth) {
			authClosed.WithLabelValues(c.Kind).Inc()
			// Not waiting for the close handshake: deliver must not block.
			s.closeAsync(why)
		}
	}
}

// open returns the open sockets.
func (h *Hub) open() []*socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Collect(maps.Keys(h.sockets))
}

// recheckLoop checks every RecheckEvery that the credential of each socket
// still holds, until ctx ends: a control message lost with the bus (an
// outage of Redis), or a session that expired while its socket was open,
// closes its sockets this way.
func (h *Hub) recheckLoop(ctx context.Context) {
	t := time.NewTicker(h.opts.RecheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := h.recheck(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("hub: re-check the credentials of open sockets", "err", err)
		}
	}
}

// recheck asks the store, once for all sockets that share a credential,
// which credentials still hold, and closes the sockets of those that do not.
func (h *Hub) recheck(ctx context.Context) error {
	byAuth := map[inbox.Auth][]*socket{}
	for _, s := range h.open() {
		byAuth[s.auth] = append(byAuth[s.auth], s)
	}
	if len(byAuth) == 0 {
		return nil
	}
	auths := slices.Collect(maps.Keys(byAuth))
	ctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
	defer cancel()
	live, err := h.src.LiveAuths(ctx, auths)
	if err != nil {
		return err
	}
	for i, a := range auths {
		if i < len(live) && !live[i] {
			for _, s := range byAuth[a] {
				authClosed.WithLabelValues("recheck").Inc()
				s.closeAsync(closeEnded)
			}
		}
	}
	return nil
}

// reserve takes one of user's socket places on this instance, if the cap
// allows; release gives it back.
func (h *Hub) reserve(user int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.opts.MaxPerUser > 0 && h.perUser[user] >= h.opts.MaxPerUser {
		return false
	}
	h.perUser[user]++
	return true
}

func (h *Hub) release(user int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser[user] <= 1 {
		delete(h.perUser, user)
		return
	}
	h.perUser[user]--
}
