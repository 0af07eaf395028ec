package inbox

import (
	"context"
	"time"
)

// Claims say who is handling a thread. A read clears the bell of every
// assignee; with the company's claim_on_read it also claims the thread for
// the reader, so that the others see who has it ("Ana is handling this"). A
// reply by a person ends the claim. A claim that runs out (claim_minutes)
// with no reply puts the thread back to unread for every assignee: a read
// that was not followed up is never lost.

// ClaimEvent is the data of thread.claimed, thread.released and
// thread.claim_lapsed.
type ClaimEvent struct {
	Thread Thread `json:"thread"`
	// User held the claim: the new holder of thread.claimed, the former one
	// of thread.released and thread.claim_lapsed.
	User *User `json:"user"`
	// Previous is whose live claim a thread.claimed took over.
	Previous *User `json:"previous,omitempty"`
	// By is who ended the claim (thread.released).
	By *User `json:"by,omitempty"`
	// Reason is why a claim ended (thread.released): released, replied or
	// unread.
	Reason string `json:"reason,omitempty"`
}

// Why a claim ended, in thread.released.
const (
	ReleaseReleased = "released" // its holder (or an admin) let it go: the thread is unread again
	ReleaseReplied  = "replied"  // a person replied: the thread is handled
	ReleaseUnread   = "unread"   // someone marked the thread unread
)

const (
	claimBatch       = 100         // claims lapsed per transaction
	defaultClaimPoll = time.Second // how often the lapse loop looks for claims made elsewhere
)

// claimDuration is how long a claim of the company lasts.
func claimDuration(c Company) time.Duration {
	m := c.ClaimMinutes
	if m <= 0 {
		m = DefaultClaimMinutes
	}
	return time.Duration(m) * time.Minute
}

// DefaultClaimMinutes is how long a claim lasts unless the company says.
const DefaultClaimMinutes = 10

// liveClaimer is who holds a claim on th that has not expired at now.
func liveClaimer(th Thread, now time.Time) *User {
	if th.ClaimedBy == nil || th.ClaimExpiresAt == nil || !th.ClaimExpiresAt.After(now) {
		return nil
	}
	return th.ClaimedBy
}

// Claim gives the thread to the caller until the company's claim_minutes
// from now (a claim of their own is renewed). A live claim of someone else is
// a conflict (thread_claimed) unless takeOver. Every assignee sees it
// (thread.claimed).
func (s *Service) Claim(ctx context.Context, caller User, threadID int64, takeOver bool) (Thread, error) {
	var th Thread
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if th, err = s.visibleThread(ctx, tx, caller, threadID); err != nil {
			return err
		}
		company, err := tx.Company(ctx, caller.CompanyID)
		if err != nil {
			return err
		}
		now := s.now()
		prev := liveClaimer(th, now)
		ok, err := tx.ClaimThread(ctx, th.ID, caller.ID, now, now.Add(claimDuration(company)), takeOver)
		if err != nil {
			return err
		}
		if th, err = tx.Thread(ctx, caller.CompanyID, th.ID); err != nil {
			return err
		}
		if !ok {
			return claimConflict(th)
		}
		if prev != nil && prev.ID == caller.ID {
			prev = nil
		}
		return emit(tx, th.CompanyID, th.Number.ID, EventThreadClaimed, ClaimEvent{Thread: th, User: &caller, Previous: prev})
	})
	if err == nil {
		s.nudgeClaims()
	}
	return th, err
}

func claimConflict(th Thread) error {
	name, until := "someone else", ""
	if th.ClaimedBy != nil {
		name = th.ClaimedBy.Name
	}
	if th.ClaimExpiresAt != nil {
		until = " until " + th.ClaimExpiresAt.UTC().Format("15:04 UTC")
	}
	return Errorf(KindConflict, "thread_claimed", "%s is handling this conversation%s; take it over to answer it yourself", name, until)
}

// Release ends a claim and hands the thread back: it is unread again for
// every assignee, at once (thread.released). Its holder and admins may
// release it; releasing a thread nobody holds changes nothing.
func (s *Service) Release(ctx context.Context, caller User, threadID int64) (Thread, error) {
	var th Thread
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if th, err = s.visibleThread(ctx, tx, caller, threadID); err != nil {
			return err
		}
		holder := th.ClaimedBy
		if holder == nil {
			return nil
		}
		if holder.ID != caller.ID && !caller.IsAdmin() {
			return Errorf(KindForbidden, "not_claimer", "%s is handling this conversation; only they or an admin can release it", holder.Name)
		}
		ended, err := tx.EndClaim(ctx, th.ID, holder.ID, true)
		if err != nil {
			return err
		}
		if th, err = tx.Thread(ctx, caller.CompanyID, th.ID); err != nil || !ended {
			return err // ended meanwhile: nothing more to tell
		}
		return emit(tx, th.CompanyID, th.Number.ID, EventThreadReleased,
			ClaimEvent{Thread: th, User: holder, By: &caller, Reason: ReleaseReleased})
	})
	return th, err
}

// claimOnRead claims a thread that u's read just cleared, when the company
// wants reads to claim, unless someone else holds it. It emits
// thread.claimed and reports whether it claimed.
func (s *Service) claimOnRead(ctx context.Context, tx Tx, u User, th *Thread) (bool, error) {
	company, err := tx.Company(ctx, u.CompanyID)
	if err != nil || !company.ClaimOnRead {
		return false, err
	}
	now := s.now()
	ok, err := tx.ClaimThread(ctx, th.ID, u.ID, now, now.Add(claimDuration(company)), false)
	if err != nil || !ok {
		return false, err
	}
	if *th, err = tx.Thread(ctx, u.CompanyID, th.ID); err != nil {
		return false, err
	}
	return true, nil
}

// endClaim ends whatever claim th holds, without handing the thread back (a
// reply, a mark-unread), and reads th again. It returns the former holder,
// nil when there was no claim.
func (s *Service) endClaim(ctx context.Context, tx Tx, th *Thread) (*User, error) {
	holder := th.ClaimedBy
	if holder == nil {
		return nil, nil
	}
	ended, err := tx.EndClaim(ctx, th.ID, holder.ID, false)
	if err != nil || !ended {
		return nil, err
	}
	if *th, err = tx.Thread(ctx, th.CompanyID, th.ID); err != nil {
		return nil, err
	}
	return holder, nil
}

// LapseClaims ends every claim that has expired: one unanswered puts its
// thread back to unread for every assignee (thread.claim_lapsed); one that
// was answered after all just ends (thread.released). Each claim lapses
// once, whichever process gets to it first. It returns how many ended.
func (s *Service) LapseClaims(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.write(ctx, func(tx Tx) error {
			lapsed, err := tx.LapseClaims(ctx, s.now(), claimBatch)
			if err != nil {
				return err
			}
			n = len(lapsed)
			for _, l := range lapsed {
				th, err := tx.Thread(ctx, l.CompanyID, l.ThreadID)
				if err != nil {
					return err
				}
				var holder *User
				if u, err := tx.User(ctx, l.CompanyID, l.UserID); err == nil {
					holder = &u
				} else if ErrorKind(err) != KindNotFound {
					return err
				}
				typ, data := EventClaimLapsed, ClaimEvent{Thread: th, User: holder}
				if l.Replied {
					typ, data.Reason = EventThreadReleased, ReleaseReplied
				}
				if err := emit(tx, th.CompanyID, th.Number.ID, typ, data); err != nil {
					return err
				}
			}
			return nil
		})
		total += n
		if err != nil || n < claimBatch {
			return total, err
		}
	}
}

// RunClaims lapses claims as they expire until ctx ends. It sleeps on the
// service's clock until the next expiry of any company (a test's clock jump
// wakes it at once), and looks again at least every ClaimPoll of real time,
// so that claims made by other processes are seen; a claim made here wakes
// it too. Every process runs it; each claim still lapses once.
func (s *Service) RunClaims(ctx context.Context) error {
	poll := time.NewTicker(s.cfg.ClaimPoll)
	defer poll.Stop()
	var (
		wake   <-chan time.Time // fires at wakeAt, on the service's clock
		wakeAt time.Time
	)
	for {
		if _, err := s.LapseClaims(ctx); err != nil && ctx.Err() == nil {
			s.lapseFaults.Failed(err)
		}
		next, err := s.store.NextClaimExpiry(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.lapseFaults.Failed(err)
			}
		case next == nil:
			wake = nil
		case wake == nil || !next.Equal(wakeAt):
			wakeAt = *next
			wake = s.clock.After(wakeAt.Sub(s.now()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			wake = nil
		case <-poll.C:
		case <-s.claimsWake:
		}
	}
}

// nudgeClaims wakes the lapse loop: a claim was made, maybe the earliest.
func (s *Service) nudgeClaims() {
	select {
	case s.claimsWake <- struct{}{}:
	default:
	}
}
