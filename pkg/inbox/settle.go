package inbox

import (
	"context"
	"time"
)

// A send in doubt (status unknown) may or may not have reached the
// provider: the process died mid-send, or the call timed out after the
// request was written. Blindly sending it again could text the contact
// twice; never sending it could leave a text unsent that nobody knows
// about. The provider's records of outbound messages settle it: a text
// that left from its number to its contact since its attempt began has a
// record there that no message of ours claims.
//
//   - No unclaimed record → it never left: it goes back to the queue, and
//     out through the outbox like any text (the send gate again at dispatch).
//   - Exactly one → that record is the text: it takes its MessageUUID and
//     state, as a status report would give them.
//   - More → which record is which cannot be told: it stays unknown, and
//     fails visibly after Outbox.Unconfirmed, as without the records.
//
// Sends in doubt to the same contact from the same number are settled as
// one group: a record left by one could be taken for another's, so only
// "none left at all" settles a group of several (every one goes again).

// recordSkew widens the window of records looked at before an attempt's
// start, for the difference between the provider's clock and ours. A
// record from before the attempt that falls in it is one of ours (claimed,
// so ignored) or one nobody here sent, which makes the case ambiguous
// rather than wrong.
const recordSkew = time.Minute

// maxSettle bounds the sends in doubt looked at in one run.
const maxSettle = 500

// Settle is what one settling of sends in doubt did.
type Settle struct {
	InDoubt   int // sends in doubt old enough to settle
	Adopted   int // matched to exactly one record: they left
	Resent    int // no record: queued again
	Ambiguous int // several possible records: left unknown
}

// settle matches the sends in doubt whose attempt began at least
// Outbox.Stuck ago — long enough for a send in flight to have ended and
// for its record to be listed — against the provider's outbound records.
func (s *Service) settle(ctx context.Context) (Settle, error) {
	now := s.now()
	doubts, err := s.store.SendsInDoubt(ctx, now.Add(-s.cfg.Outbox.Stuck), maxSettle)
	if err != nil || len(doubts) == 0 {
		return Settle{}, err
	}
	run := Settle{InDoubt: len(doubts)}
	since := doubts[0].BeganAt
	for _, d := range doubts {
		since = minTime(since, d.BeganAt)
	}
	var records []MessageRecord
	seen := map[string]bool{}
	err = s.cfg.Records.ListRecords(ctx, Outbound, since.Add(-recordSkew), func(page []MessageRecord) error {
		for _, r := range page {
			if r.Direction == Outbound && r.UUID != "" && !seen[r.UUID] {
				seen[r.UUID] = true
				records = append(records, r)
			}
		}
		return nil
	})
	if err != nil {
		return run, err
	}
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.UUID
	}
	knownIDs, err := s.store.KnownProviderIDs(ctx, ids)
	if err != nil {
		return run, err
	}
	known := make(map[string]bool, len(knownIDs))
	for _, id := range knownIDs {
		known[id] = true
	}
	type route struct{ from, to string }
	unclaimed := map[route][]MessageRecord{}
	for _, r := range records {
		if !known[r.UUID] {
			k := route{r.From, r.To}
			unclaimed[k] = append(unclaimed[k], r)
		}
	}
	groups := map[route][]SendInDoubt{}
	var order []route
	for _, d := range doubts {
		k := route{d.From, d.To}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], d)
	}
	for _, k := range order {
		group := groups[k]
		began := group[0].BeganAt
		for _, d := range group {
			began = minTime(began, d.BeganAt)
		}
		var fits []MessageRecord
		for _, r := range unclaimed[k] {
			if !r.At.Before(began.Add(-recordSkew)) {
				fits = append(fits, r)
			}
		}
		switch {
		case len(fits) == 0:
			for _, d := range group {
				ok, err := s.resendInDoubt(ctx, d)
				if err != nil {
					return run, err
				}
				if ok {
					run.Resent++
				}
			}
		case len(group) == 1 && len(fits) == 1:
			ok, err := s.adoptRecord(ctx, group[0], fits[0])
			if err != nil {
				return run, err
			}
			if ok {
				run.Adopted++
			}
		default:
			run.Ambiguous += len(group)
			for _, d := range group {
				s.log.Warn("a send in doubt matches several of Plivo's records; it stays unknown and fails if no report comes",
					"message", d.MessageID, "records", len(fits), "in_doubt_on_route", len(group))
			}
		}
	}
	return run, nil
}

// resendInDoubt queues again a send that never reached the provider.
func (s *Service) resendInDoubt(ctx context.Context, d SendInDoubt) (bool, error) {
	var resent bool
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if resent, err = tx.ResendInDoubt(ctx, d.MessageID, s.now()); err != nil || !resent {
			return err
		}
		m, err := tx.Message(ctx, d.CompanyID, d.MessageID)
		if err != nil {
			return err
		}
		return emit(tx, m.CompanyID, m.NumberID, EventMessageStatus, map[string]Message{"message": m})
	})
	if resent {
		s.log.Info("a send in doubt never reached Plivo; it goes again", "message", d.MessageID)
		s.wakeOutbox()
	}
	return resent, err
}

// adoptRecord settles a send in doubt as the provider's record r: its
// MessageUUID and state, and the reports kept for that MessageUUID.
func (s *Service) adoptRecord(ctx context.Context, d SendInDoubt, r MessageRecord) (bool, error) {
	var adopted bool
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if adopted, err = tx.AdoptSend(ctx, d.MessageID, r.UUID); err != nil || !adopted {
			return err
		}
		status := r.Status
		if statusRank(status) < statusRank(StatusQueued) {
			status = StatusQueued // the provider has it, whatever it calls its state
		}
		u := StatusUpdate{MessageID: d.MessageID, MessageUUID: r.UUID, Status: status, OptedOut: r.OptedOut}
		if status == StatusFailed || status == StatusUndelivered {
			u.ErrorCode, u.ErrorReason = r.ErrorCode, r.ErrorReason
		}
		if err := s.applyStatus(ctx, tx, u); err != nil {
			return err
		}
		pending, err := tx.TakePendingStatuses(ctx, r.UUID)
		if err != nil {
			return err
		}
		for _, p := range pending {
			p.MessageID = d.MessageID
			if err := s.applyStatus(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if adopted {
		s.log.Info("a send in doubt reached Plivo; Plivo's record settles it", "message", d.MessageID, "uuid", r.UUID,
			"state", r.Status)
	}
	return adopted, err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
