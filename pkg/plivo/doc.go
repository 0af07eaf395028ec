// Package plivo is everything smsinbox knows about Plivo: it verifies and
// parses the webhooks Plivo posts (inbound texts and delivery-status
// callbacks), sends texts through Plivo's Message API with plivo-go, turning
// every failure into an inbox.SendError that says whether a retry is safe,
// reads Plivo's message records (Records: the backfill of missed texts and
// the settling of sends in doubt), and offers a Simulator that stands in for
// Plivo in dev mode, posting real signed webhooks to the server.
//
// What it reads comes out in the inbox's terms — inbox.InboundSMS,
// inbox.StatusUpdate, and *inbox.Error for every refusal — so the web layer
// takes the Verifier (and the dev phone) through small interfaces of its own
// and never imports this package.
//
// Signatures are computed with plivo-go's own functions, so the check is
// Plivo's algorithm, but compared here in constant time.
package plivo
