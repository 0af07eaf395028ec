package inbox

import "context"

// StatusUpdate is a delivery report from the provider, as its webhook parser
// (pkg/plivo) reads it.
type StatusUpdate struct {
	MessageID      int64 // ours, from the callback URL; 0 if absent
	MessageUUID    string
	Status         Status
	ProviderStatus string  // the provider's own word for Status ("rejected" where Status is failed); not stored
	ErrorCode      string  // the provider's error code, for failed and undelivered only
	ErrorReason    string  // ErrorCode in plain English
	Billing        Billing // what the provider charged, when the report says
	// OptedOut is true when the provider's error code means the
	// destination opted out of our texts or blocks the sender (Plivo's
	// error 200): the contact is opted out (source carrier).
	OptedOut bool
}

// statusRank orders statuses: a status never moves backwards, and the final
// ones (delivered, undelivered, failed) never change. A send in doubt
// (unknown) ranks below queued: any report from the provider, even
// "queued", settles the doubt.
func statusRank(s Status) int {
	switch s {
	case StatusUnknown:
		return 1
	case StatusQueued:
		return 2
	case StatusSent:
		return 3
	case StatusDelivered, StatusUndelivered, StatusFailed:
		return 4
	}
	return 0
}

// ApplyStatus records a delivery report. It matches the message by our
// id, else by the provider's; a report for a message not known yet (it
// overtook the send call) is kept and applied when the send records its id.
// It is never an error to report something we cannot match.
func (s *Service) ApplyStatus(ctx context.Context, u StatusUpdate) error {
	if u.MessageUUID == "" && u.MessageID == 0 {
		return Invalid("missing_message_uuid", "a status report needs a MessageUUID")
	}
	return s.write(ctx, func(tx Tx) error { return s.applyStatus(ctx, tx, u) })
}

func (s *Service) applyStatus(ctx context.Context, tx Tx, u StatusUpdate) error {
	var (
		m   Message
		err error
	)
	if u.MessageID != 0 {
		m, err = tx.MessageByID(ctx, u.MessageID)
	}
	if u.MessageID == 0 || ErrorKind(err) == KindNotFound {
		if u.MessageUUID == "" {
			return nil // nothing to match it with, now or later
		}
		m, err = tx.MessageByUUID(ctx, u.MessageUUID)
		if ErrorKind(err) == KindNotFound {
			return tx.AddPendingStatus(ctx, u)
		}
	}
	if err != nil {
		return err
	}
	if m.Direction != Outbound {
		return nil
	}
	if u.OptedOut {
		if err := s.carrierOptOut(ctx, tx, m, u); err != nil {
			return err
		}
	}
	if m.PlivoUUID == nil && u.MessageUUID != "" {
		m.PlivoUUID = &u.MessageUUID
	}
	changed := statusRank(u.Status) > statusRank(m.Status)
	if changed {
		m.Status = u.Status
		if u.Status == StatusFailed || u.Status == StatusUndelivered {
			m.ErrorCode, m.ErrorReason = u.ErrorCode, u.ErrorReason
		}
	}
	// Any report means the provider has the message: it is never sent again.
	if err := tx.SetStatus(ctx, m); err != nil {
		return err
	}
	// The charge is kept whatever the status: a late report may carry it.
	if !u.Billing.IsZero() {
		if err := tx.SetBilling(ctx, m.ID, u.Billing); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	if m, err = tx.Message(ctx, m.CompanyID, m.ID); err != nil {
		return err
	}
	return emit(tx, m.CompanyID, m.NumberID, EventMessageStatus, map[string]Message{"message": m})
}

// carrierOptOut records that the carrier or the provider refused a text
// because its destination opted out or blocks the sender: our consent must
// agree with theirs, so the contact is opted out (source carrier), once.
func (s *Service) carrierOptOut(ctx context.Context, tx Tx, m Message, u StatusUpdate) error {
	c, err := tx.Contact(ctx, m.CompanyID, m.ContactID)
	if err != nil || c.Consent == ConsentOptedOut {
		return err
	}
	note := "the carrier refused a text: the phone opted out or blocks the sender"
	if u.ErrorCode != "" {
		note += " (error " + u.ErrorCode + ")"
	}
	if _, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: c.Consent, To: ConsentOptedOut, Source: SourceCarrier,
		MessageID: &m.ID, Note: note}); err != nil {
		return err
	}
	return s.contactUpdated(ctx, tx, c)
}
