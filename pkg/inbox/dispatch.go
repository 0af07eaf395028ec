package inbox

import "context"

// regate puts a claimed text through the send gate again at dispatch: what
// was allowed when it was stored may not be now. A contact who texted STOP
// while a text was held for quiet hours, or whose implied consent ran out,
// never gets it: the text is canceled, with the gate's code and sentence as
// its error. A text that falls in quiet hours now (its contact's time zone
// changed, or quiet hours began since it was queued) is held again. A held
// text whose time has come is released: scheduled becomes queued. It
// reports whether the text is to be sent now, and writes (and announces)
// only what changed.
func (s *Service) regate(ctx context.Context, tx Tx, job OutboundJob) (bool, error) {
	c, err := tx.Contact(ctx, job.CompanyID, job.ContactID)
	if err != nil {
		return false, err
	}
	company, err := tx.Company(ctx, job.CompanyID)
	if err != nil {
		return false, err
	}
	d, err := s.CheckSend(ctx, tx, SendCheck{Company: company, Contact: c, NumberID: job.NumberID, Purpose: job.Purpose,
		At: s.now(), WrittenAt: job.CreatedAt})
	var upd SendGateUpdate
	switch {
	case err != nil && ErrorKind(err) == KindConflict:
		upd = SendGateUpdate{Status: StatusCanceled, SendState: "canceled", ErrorCode: ErrorCode(err),
			ErrorReason: "Not sent: " + errorMessage(err), ConsentEntryID: job.ConsentEntryID}
	case err != nil:
		return false, err
	case d.Held:
		at := d.At
		upd = SendGateUpdate{Status: StatusScheduled, SendState: "pending", SendAfter: &at, HoldNote: d.HoldNote,
			ConsentEntryID: d.ConsentEntryID}
	case job.Status == StatusScheduled:
		upd = SendGateUpdate{Status: StatusQueued, SendState: "sending", ConsentEntryID: d.ConsentEntryID}
	case equalPtr(job.ConsentEntryID, d.ConsentEntryID):
		return true, nil // as it was stored: nothing to write
	default:
		upd = SendGateUpdate{Status: job.Status, SendState: "sending", ConsentEntryID: d.ConsentEntryID}
	}
	if err := tx.GateSend(ctx, job.MessageID, upd); err != nil {
		return false, err
	}
	if upd.Status != job.Status || upd.HoldNote != "" {
		m, err := tx.Message(ctx, job.CompanyID, job.MessageID)
		if err != nil {
			return false, err
		}
		if err := emit(tx, m.CompanyID, m.NumberID, EventMessageStatus, map[string]Message{"message": m}); err != nil {
			return false, err
		}
	}
	return upd.SendState == "sending", nil
}

// errorMessage is the sentence of an *Error, for people.
func errorMessage(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message
	}
	return err.Error()
}
