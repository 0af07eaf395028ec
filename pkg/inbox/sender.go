package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// OutboundSMS is one text handed to the SMS provider.
type OutboundSMS struct {
	MessageID   int64
	From        string // E.164 of the company number
	To          string // E.164 of the contact
	Text        string
	CallbackURL string // status callbacks for this message go here
}

// Sender hands texts to the SMS provider (Plivo, or the dev simulator).
// It returns the provider's message id, or a *SendError that says whether a
// retry is safe.
type Sender interface {
	Send(ctx context.Context, m OutboundSMS) (providerID string, err error)
}

// SendOutcome says what a failed send means for the message.
type SendOutcome int

// The outcomes of a failed send.
const (
	// SendRetry: the provider provably did not accept the text (it never got
	// the request, or answered 429/5xx); sending again cannot double it.
	SendRetry SendOutcome = iota
	// SendAmbiguous: the request may have reached the provider (a timeout
	// after the request was written). Never re-send; wait for its callback.
	SendAmbiguous
	// SendRejected: the provider refused the text for good (bad number, ...).
	SendRejected
)

// SendError is a failed send, classified.
type SendError struct {
	Outcome    SendOutcome
	RetryAfter time.Duration // a hint from the provider (429), zero if none
	Code       string        // the provider's error code, if any
	Err        error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send (outcome %d, code %q): %v", e.Outcome, e.Code, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// SendOutcomeOf classifies any error from a Sender: a *SendError says what it
// is, anything else is treated as ambiguous, the safe assumption.
func SendOutcomeOf(err error) SendOutcome {
	var se *SendError
	if errors.As(err, &se) {
		return se.Outcome
	}
	return SendAmbiguous
}
