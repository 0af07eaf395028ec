// Package pubsub provides the two implementations of inbox.Bus, the doorbell
// that moves events between the processes of a deployment: Memory for a
// single process (the default) and Redis for several, over one Redis pub/sub
// channel per topic. A Redis bus with RedisOptions.Interest subscribes only
// to the topics its process wants (hub.Interest), so that an instance
// receives its own sockets' events, not the whole deployment's.
//
// Neither keeps history. Events are stored, each with its topic's gapless
// seq, before they are published; a subscriber that may have missed some is
// told so through its recovered callback and reads them back from the store.
//
// Both give every subscriber the same guarantees: a published batch's
// events of one topic arrive in one piece and in order (Memory keeps the
// whole batch together); deliver and recovered are never called
// concurrently for one subscriber, nor after its Subscribe has returned.
package pubsub
