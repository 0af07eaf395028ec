// Package inbox is the domain of smsinbox: its vocabulary (companies, users,
// numbers, contacts, threads, messages, events), the errors it speaks in, the
// pure rules (phone numbers, consent keywords, segment counting, the SMS icon)
// and the Service that carries out every use case over a Store, a Bus and a
// Sender.
//
// It imports none of the implementation packages (store, pubsub, hub, plivo,
// web); they import it, and cmd/inboxd wires them together.
package inbox
