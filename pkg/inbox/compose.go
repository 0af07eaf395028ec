package inbox

import (
	"context"
	"slices"
	"time"
)

// visibleMessage returns an outbound text the caller may see: one on a
// thread of a number they are assigned to. Any other is not_found.
func (s *Service) visibleMessage(ctx context.Context, q Queries, caller User, id int64) (Message, error) {
	m, err := q.Message(ctx, caller.CompanyID, id)
	if err != nil {
		return Message{}, err
	}
	numbers, err := q.UserNumbers(ctx, caller.ID)
	if err != nil {
		return Message{}, err
	}
	if !slices.Contains(numberIDs(numbers), m.NumberID) {
		return Message{}, NotFound("message")
	}
	return m, nil
}

var errNotScheduled = Errorf(KindConflict, "not_scheduled", "this text is not scheduled any more: it is being sent, was sent or was canceled")

// ScheduledEdit changes a scheduled text: its words, its time, or both
// (nil keeps).
type ScheduledEdit struct {
	Body            *string
	SendAt          *time.Time
	PlainCharacters bool
}

// EditScheduled changes a text while it is scheduled (else not_scheduled).
// The new time goes through the send gate again: quiet hours may hold it
// later, and a contact who may not be texted then refuses it.
func (s *Service) EditScheduled(ctx context.Context, caller User, id int64, e ScheduledEdit) (Message, error) {
	if err := checkSendAt(e.SendAt, s.now()); err != nil {
		return Message{}, err
	}
	var m Message
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if m, err = s.visibleMessage(ctx, tx, caller, id); err != nil {
			return err
		}
		if m.Direction != Outbound || m.Status != StatusScheduled || m.SendAt == nil {
			return errNotScheduled
		}
		if e.Body != nil || e.PlainCharacters {
			body := m.Body
			if e.Body != nil {
				body = *e.Body
			}
			if m.Body, err = textBody(body, e.PlainCharacters); err != nil {
				return err
			}
			_, m.Segments, m.Encoding = CountSegments(m.Body)
		}
		if e.SendAt != nil {
			c, err := tx.Contact(ctx, caller.CompanyID, m.ContactID)
			if err != nil {
				return err
			}
			company, err := tx.Company(ctx, caller.CompanyID)
			if err != nil {
				return err
			}
			d, err := s.CheckSend(ctx, tx, SendCheck{Company: company, Contact: c, NumberID: m.NumberID,
				Purpose: m.Purpose, At: e.SendAt.UTC()})
			if err != nil {
				return err
			}
			at := d.At.UTC()
			m.SendAt, m.HoldNote, m.ConsentEntryID = &at, d.HoldNote, d.ConsentEntryID
		}
		ok, err := tx.EditScheduled(ctx, m)
		if err != nil {
			return err
		}
		if !ok {
			return errNotScheduled
		}
		if m, err = tx.Message(ctx, caller.CompanyID, id); err != nil {
			return err
		}
		return emit(tx, m.CompanyID, m.NumberID, EventMessageStatus, map[string]Message{"message": m})
	})
	if err == nil {
		s.wakeOutbox()
	}
	return m, err
}

// CancelScheduled cancels a text while it is scheduled (else
// not_scheduled): it never goes, and shows as canceled.
func (s *Service) CancelScheduled(ctx context.Context, caller User, id int64) (Message, error) {
	var m Message
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if m, err = s.visibleMessage(ctx, tx, caller, id); err != nil {
			return err
		}
		if m.Direction != Outbound || m.Status != StatusScheduled {
			return errNotScheduled
		}
		ids, err := tx.CancelPending(ctx, CancelFilter{MessageID: id, OnlyScheduled: true},
			"Canceled by "+caller.Name+" before it was sent")
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return errNotScheduled
		}
		if m, err = tx.Message(ctx, caller.CompanyID, id); err != nil {
			return err
		}
		return emit(tx, m.CompanyID, m.NumberID, EventMessageStatus, map[string]Message{"message": m})
	})
	return m, err
}

// Resend sends a failed or undelivered text again, as a new message (with
// ResendOf) from the caller on the same thread, through the send gate.
// Any other text is not_failed.
func (s *Service) Resend(ctx context.Context, caller User, id int64) (Message, error) {
	var m Message
	err := s.write(ctx, func(tx Tx) error {
		old, err := s.visibleMessage(ctx, tx, caller, id)
		if err != nil {
			return err
		}
		if old.Direction != Outbound || (old.Status != StatusFailed && old.Status != StatusUndelivered) {
			return Errorf(KindConflict, "not_failed", "only a failed or undelivered text can be sent again")
		}
		c, err := tx.Contact(ctx, caller.CompanyID, old.ContactID)
		if err != nil {
			return err
		}
		n, err := tx.Number(ctx, caller.CompanyID, old.NumberID)
		if err != nil {
			return err
		}
		company, err := tx.Company(ctx, caller.CompanyID)
		if err != nil {
			return err
		}
		d, err := s.CheckSend(ctx, tx, SendCheck{Company: company, Contact: c, NumberID: n.ID, Purpose: PurposeText, At: s.now()})
		if err != nil {
			return err
		}
		from := old.ID
		m = Message{CompanyID: caller.CompanyID, Direction: Outbound, Body: old.Body, Status: StatusQueued,
			SentBy: &caller, ResendOf: &from}
		d.apply(&m)
		_, err = s.addMessage(ctx, tx, c, n, &m)
		return err
	})
	if err == nil {
		s.wakeOutbox()
	}
	return m, err
}
