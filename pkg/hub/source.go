package hub

import (
	"context"

	"smsinbox/pkg/inbox"
)

// Source is what the hub reads from the store (inbox.Service implements it).
type Source interface {
	// Hello reads, in ONE consistent snapshot, the topics u may get now
	// (number:{id} of every number u is assigned to, and company:{id}) with
	// each topic's current seq (0 if none yet), and u's inbox.
	Hello(ctx context.Context, u inbox.User) (inbox.Hello, error)
	// TopicSeqs returns the current seq of each topic (0 if none).
	TopicSeqs(ctx context.Context, topics []string) (map[string]int64, error)
	// EventsAfter returns up to limit stored events of topic with seq >
	// after, in seq order; inbox.ErrEventsPruned when some of them are no
	// longer kept (older than retention) or after is beyond the topic's
	// current seq.
	EventsAfter(ctx context.Context, topic string, after int64, limit int) ([]inbox.Event, error)
	// ThreadTopic returns the number topic of a thread u may see (u assigned
	// to its number), or an error.
	ThreadTopic(ctx context.Context, u inbox.User, threadID int64) (string, error)
	// LiveAuths reports, for each of auths, whether it still authenticates:
	// its user is active and its session or API token, if any, is live.
	LiveAuths(ctx context.Context, auths []inbox.Auth) ([]bool, error)
}

// AuthWatcher is implemented by a Source that caches credentials (the
// Service caches sessions). The hub, which listens to the bus anyway, tells
// it what would make its cache wrong.
type AuthWatcher interface {
	// AuthChanged gets every control message (inbox.AuthChange) from the
	// bus, before the hub closes the sockets it affects.
	AuthChanged(e inbox.Event)
	// AuthUnknown is called when control messages may have been lost (the
	// bus recovered), with listening true; and when the hub starts
	// (true) and stops (false) listening.
	AuthUnknown(listening bool)
}

// Interest is implemented by a bus that can deliver only the topics this
// process wants (pubsub.Redis with RedisOptions.Interest). The hub wants
// each topic of each socket before it reads the topic's seq from the store,
// and gives it up when the socket no longer gets it.
type Interest interface {
	// Want makes the bus deliver topic's events from when it returns nil.
	// An error (the bus is unreachable) is no reason to stop: the bus
	// calls recovered once it has subscribed again.
	Want(ctx context.Context, topic string) error
	// Unwant undoes one Want.
	Unwant(topic string)
}
