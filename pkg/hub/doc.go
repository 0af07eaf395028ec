// Package hub serves GET /ws: it keeps the websockets of this process, hands
// each of them the events of the topics its user may see, in order, exactly
// once, and lets a socket that missed anything resume from the store.
//
// # Where events come from
//
// The store is the truth. Every change is stored together with one event per
// affected topic, each carrying its topic's next gapless seq, and is
// published on the inbox.Bus only after commit. The bus brings every event of
// the deployment to every process's Hub, whose delivery callback only queues
// it (a mailbox, drained by one dispatcher goroutine in arrival order), so
// that a publisher, and the webhook behind it, never waits for fan-out to
// however many sockets a topic has. The dispatcher keeps, per topic with local
// sockets, the last seq it fanned out, drops duplicates, holds an event that
// arrives ahead of its predecessor for a moment (GapWait), then reads what is
// missing from the Source: once per topic, never once per socket. When the
// bus reconnects after an outage, every locally subscribed topic is filled
// from the store the same way. Such a catch-up can be far more than a
// socket's queue holds, so it is paced: a socket whose queue is three
// quarters full holds the rest and reads it from the store itself, a page at
// a time as its client reads. A catch-up never closes a socket that keeps
// reading; only a live event that finds the queue full does (4000).
//
// # The protocol (docs/API.md, "Real-time")
//
// Server → client frames are JSON text {"type","topic","seq","data"}:
//
//   - hello, first: data is inbox.Hello (user, topics with their current seq,
//     inbox), read in one snapshot. Events committed after the snapshot follow
//     it; none before it does.
//   - every stored event as is (message.created, thread.read, ...).
//   - typing (seq 0): relayed to the other users' sockets on the topic.
//   - resync (seq 0), data {"topic","seq"}: the events after the client's
//     resume point cannot be replayed; refetch over REST. The topic's frames
//     that follow are the events after data.seq (a field added to API.md).
//   - topics (seq 0), data {"added":{"number:5":12},"removed":["number:3"]}:
//     an extension to API.md. The user's assignments changed: a removed topic
//     sends nothing more, live or by resume; an added topic sends every event
//     after the seq given (the client should refetch its inbox for it).
//
// Client → server frames:
//
//   - {"type":"resume","topics":{"number:3":38}}: for each topic this socket
//     may get now, every event after 38 in order, then live with no gap and no
//     duplicate. Topics it may not get are ignored. A resume point that is
//     older than the events this connection already sent past its snapshot
//     cannot be served in order and is answered with resync. The same
//     points given with the upgrade (GET /ws?resume={"number:3":38}, an
//     extension) are always served right after hello, before anything
//     live; a resume frame sent when the socket opens usually is, but may
//     be read too late under load.
//   - {"type":"typing","thread_id":N}: at most one per thread every 2 s is
//     relayed; others are dropped.
//
// Unknown types and malformed JSON are ignored (logged at debug), so that
// older servers accept newer clients. What is clearly abuse closes the
// socket: a binary frame with 1003, more than 30 frames a second (after a
// burst of 60) with 1008.
//
// # Close codes
//
//   - 1001 going away: the server is shutting down; reconnect and resume.
//   - 1003 unsupported data: the client sent a binary frame.
//   - 1008 policy violation: the client sent frames too fast.
//   - 1009 message too big: a client frame was over Options.ReadLimit.
//   - 1013 try again later: the store failed while serving this socket;
//     reconnect and resume.
//   - 4000 (StatusTooSlow) too slow: the client did not read its frames fast
//     enough and its queue filled up; reconnect and resume.
//   - 4001 (StatusSessionEnded) session ended: the session, API token or
//     user the socket was opened with ended; sign in again, do not
//     reconnect with the old credential.
//   - 4002 (StatusAccountChanged) account changed: the user's role changed;
//     reconnect and resume, to get what the new role may see.
//
// # Credentials
//
// A socket keeps the inbox.Auth it was opened with. A control message on the
// bus (topic inbox.ControlTopic, an inbox.AuthChange: never stored, never
// sent to a client) tells every hub that a credential ended or a user
// changed, and each closes the sockets it affects. As a safety net for a
// message the bus lost, and to end the sockets of sessions that expired,
// every Options.RecheckEvery the hub asks the Source which of its sockets'
// credentials still hold, once for all sockets sharing one. A user may have
// Options.MaxPerUser sockets open on one hub; the next upgrade is 429
// too_many_sockets.
//
// A socket whose peer stops answering pings, or whose writes stall past
// Options.WriteTimeout, is dropped without a close frame.
//
// # Cost
//
// A user's sockets that open together share their hello, and the read of
// its topics' seqs that follows: a socket joins a read that has not begun
// yet (one per user waits while one runs), so n tabs opening at once cost
// two reads of each, not n.
//
// An idle socket costs one goroutine (its reader), a few small maps and a
// 256-byte read buffer; it holds no write buffer: the send buffer joins each
// frame's pieces in a pooled buffer and writes it whole (sendbuf.go). The
// hub's few writers (Options.Writers) take the sockets with frames queued in
// turn, each socket's queue whole; they hand the bytes to the kernel without
// waiting, and a socket whose client reads slower gets a goroutine that waits
// for it (sendbuf.go). So fan-out to 10,000 sockets keeps a processor free
// for webhooks and reads. A sync goroutine runs only while it reads from the
// store.
// Each event is encoded once and its bytes shared by every socket it goes to.
package hub
