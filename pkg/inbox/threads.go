package inbox

import (
	"context"
	"slices"
)

func numberIDs(numbers []Number) []int64 {
	ids := make([]int64, len(numbers))
	for i, n := range numbers {
		ids[i] = n.ID
	}
	return ids
}

// visibleThread returns a thread the caller may see: one of a number the
// caller is assigned to. Any other thread is not_found, never forbidden, so
// that its existence does not leak.
func (s *Service) visibleThread(ctx context.Context, q Queries, caller User, threadID int64) (Thread, error) {
	th, err := q.Thread(ctx, caller.CompanyID, threadID)
	if err != nil {
		return Thread{}, err
	}
	numbers, err := q.UserNumbers(ctx, caller.ID)
	if err != nil {
		return Thread{}, err
	}
	if !slices.Contains(numberIDs(numbers), th.Number.ID) {
		return Thread{}, NotFound("thread")
	}
	return th, nil
}

// Page bounds a list of messages: the newest Limit before the id Before.
type Page struct {
	Before int64
	Limit  int
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 500 {
		return 100
	}
	return p.Limit
}

// ThreadMessages returns a thread and its messages, oldest first.
func (s *Service) ThreadMessages(ctx context.Context, caller User, threadID int64, p Page) (Thread, []Message, error) {
	th, err := s.visibleThread(ctx, s.store, caller, threadID)
	if err != nil {
		return Thread{}, nil, err
	}
	msgs, err := s.store.Messages(ctx, caller.CompanyID, []int64{th.ID}, p.Before, p.limit())
	return th, msgs, err
}

// ContactMessages returns a contact's threads on the caller's numbers and
// their messages, oldest first.
func (s *Service) ContactMessages(ctx context.Context, caller User, contactID int64, p Page) ([]Thread, []Message, error) {
	if _, err := s.store.Contact(ctx, caller.CompanyID, contactID); err != nil {
		return nil, nil, err
	}
	numbers, err := s.store.UserNumbers(ctx, caller.ID)
	if err != nil {
		return nil, nil, err
	}
	threads, err := s.store.Threads(ctx, caller.CompanyID, ThreadFilter{NumberIDs: numberIDs(numbers), ContactID: contactID, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(threads))
	for i, th := range threads {
		ids[i] = th.ID
	}
	msgs, err := s.store.Messages(ctx, caller.CompanyID, ids, p.Before, p.limit())
	return threads, msgs, err
}

// MarkRead clears a thread's unread count for every assignee: the
// thread.read event reaches all their tabs on every instance. With the
// company's claim_on_read, the read also claims the thread for the reader
// (thread.claimed), unless someone else holds it. Reading a read thread
// changes nothing and sends nothing.
func (s *Service) MarkRead(ctx context.Context, caller User, threadID int64) (Thread, error) {
	return s.setRead(ctx, caller, threadID, true)
}

// MarkUnread re-raises the bell for every assignee, and ends the
// thread's claim: whoever had it is no longer handling it.
func (s *Service) MarkUnread(ctx context.Context, caller User, threadID int64) (Thread, error) {
	return s.setRead(ctx, caller, threadID, false)
}

func (s *Service) setRead(ctx context.Context, caller User, threadID int64, read bool) (Thread, error) {
	var th Thread
	claimed := false
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if th, err = s.visibleThread(ctx, tx, caller, threadID); err != nil {
			return err
		}
		var changed bool
		typ := EventThreadRead
		if read {
			changed, err = tx.MarkRead(ctx, th.ID, caller.ID, s.now())
		} else {
			changed, err = tx.MarkUnread(ctx, th.ID)
			typ = EventThreadUnread
		}
		if err != nil || !changed {
			return err
		}
		if th, err = tx.Thread(ctx, caller.CompanyID, th.ID); err != nil {
			return err
		}
		var holder *User // whose claim a mark-unread ended
		if read {
			claimed, err = s.claimOnRead(ctx, tx, caller, &th)
		} else {
			holder, err = s.endClaim(ctx, tx, &th)
		}
		if err != nil {
			return err
		}
		// The thread as it now is, claim included, in every event.
		if err := emit(tx, th.CompanyID, th.Number.ID, typ, map[string]Thread{"thread": th}); err != nil {
			return err
		}
		switch {
		case claimed:
			return emit(tx, th.CompanyID, th.Number.ID, EventThreadClaimed, ClaimEvent{Thread: th, User: &caller})
		case holder != nil:
			return emit(tx, th.CompanyID, th.Number.ID, EventThreadReleased, ClaimEvent{Thread: th, User: holder, By: &caller, Reason: ReleaseUnread})
		}
		return nil
	})
	if claimed && err == nil {
		s.nudgeClaims()
	}
	return th, err
}
