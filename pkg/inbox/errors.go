package inbox

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Kind classifies an Error; the web layer maps each kind to one HTTP status.
type Kind int

// The kinds of failure a caller can act on.
const (
	KindInternal        Kind = iota // a bug or an unexpected failure
	KindInvalid                     // the input is wrong (422)
	KindUnauthenticated             // no or bad credentials (401)
	KindForbidden                   // the caller's role may not do this (403)
	KindNotFound                    // absent, or not visible to the caller (404)
	KindConflict                    // clashes with the current state (409)
	KindRateLimited                 // too many attempts (429)
	KindUnavailable                 // a dependency is down; retry later (503)
	KindMalformed                   // the request cannot be read: bad JSON, bad parameters (400)
	KindTooLarge                    // the request body is over the limit (413)
	KindGone                        // what was asked for is no longer kept (410)
)

// Error is the one error type the domain returns to callers. Code is a stable
// snake_case identifier clients switch on; Message is a sentence for people.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error // the cause, if any; never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind and code.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the error for anything absent or invisible to the caller; it
// never says which of the two it is.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

// Invalid is a KindInvalid error with a code and message.
func Invalid(code, format string, args ...any) *Error {
	return Errorf(KindInvalid, code, format, args...)
}

// Unavailable wraps a dependency failure the caller should retry.
func Unavailable(what string, err error) *Error {
	return &Error{Kind: KindUnavailable, Code: "unavailable", Message: what + " is unavailable; try again", Err: err}
}

// DatabaseUnavailable is Unavailable for the store, which it names "the
// database" (what: which part, if not empty). It also records when the
// store was last out of reach: while it may still be, the session cache is
// not trusted (a request must find the store down, not a cached session).
func DatabaseUnavailable(what string, err error) *Error {
	databaseDownAt.Store(time.Now().UnixNano())
	name := "the database"
	if what != "" {
		name += " (" + what + ")"
	}
	return Unavailable(name, err)
}

// databaseDownAt is when DatabaseUnavailable was last called, in Unix
// nanoseconds; 0 for never. It is per process: a process with several
// stores (tests) only trusts its caches less.
var databaseDownAt atomic.Int64

// databaseDownWithin reports whether the store was found out of reach
// within d.
func databaseDownWithin(d time.Duration) bool {
	at := databaseDownAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < d
}

// Common errors.
var (
	ErrUnauthenticated = &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Message: "sign in first"}
	ErrForbidden       = &Error{Kind: KindForbidden, Code: "forbidden", Message: "your role may not do this"}
)

// ErrorKind reports the Kind of err: the Kind of the first *Error in its
// chain, or KindInternal.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorCode reports the Code of the first *Error in err's chain, or "internal".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal"
}
