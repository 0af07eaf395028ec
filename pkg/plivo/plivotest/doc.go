// Package plivotest helps test code that talks to Plivo, in any package:
// Server is an httptest fake of Plivo's Message API that records every text
// it is asked to send and can be scripted to fail, and answers Plivo's
// Message list with its records (the texts it sent, and inbound texts a
// test makes it "receive"), exactly as plivo-go's Messages.List asks and
// parses it; SignV3 and SignV2
// sign test webhooks with plivo-go's own signature functions, so a check is
// proven against Plivo's algorithm rather than against itself.
package plivotest
