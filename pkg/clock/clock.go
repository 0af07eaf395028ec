// Package clock is the server's one source of business time: when a session
// expires, when quiet hours end, when a claim lapses, when a scheduled text
// is due. Production runs on Real; tests run on a Fake they can move forward,
// so that nothing waits in real time for hours to pass.
package clock

import "time"

// Clock tells the time and waits for it. Times are in UTC.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives the time once d of this clock's
	// time has passed.
	After(d time.Duration) <-chan time.Time
}

// Real is the wall clock.
func Real() Clock { return real{} }

type real struct{}

func (real) Now() time.Time                         { return time.Now().UTC() }
func (real) After(d time.Duration) <-chan time.Time { return time.After(d) }
