package inbox

import (
	"context"
	"errors"
)

// InboundSMS is a text a contact sent to one of the company numbers.
type InboundSMS struct {
	From        string // E.164
	To          string // E.164
	Text        string
	MessageUUID string // the provider's id: a repeat delivery stores nothing new
	MediaURLs   []string
}

// errDuplicate rolls back a transaction that found its message stored already.
var errDuplicate = errors.New("message stored already")

// ReceiveSMS stores an inbound text in one transaction: the contact (created
// for an unknown phone, consent unknown), the thread, the message, the raised
// unread count, a keyword's consent change and reply, and the events. It
// returns only once all of it is committed. A repeated MessageUUID is answered
// with the stored message and changes nothing. To a number nobody manages is
// not_found and stores nothing.
func (s *Service) ReceiveSMS(ctx context.Context, in InboundSMS) (Message, error) {
	if in.MessageUUID == "" {
		return Message{}, Invalid("missing_message_uuid", "an inbound message needs its MessageUUID")
	}
	var (
		m       Message
		replied bool
	)
	err := s.write(ctx, func(tx Tx) error {
		n, err := tx.NumberByE164(ctx, in.To)
		if err != nil {
			return err
		}
		c, err := s.contactByPhone(ctx, tx, n.CompanyID, in.From)
		if err != nil {
			return err
		}
		uuid := in.MessageUUID
		keyword, word := MatchKeyword(in.Text)
		m = Message{Direction: Inbound, Body: in.Text, Status: StatusReceived, PlivoUUID: &uuid,
			MediaURLs: in.MediaURLs, Flagged: keyword == KeywordNone && MentionsOptOut(in.Text)}
		dup, err := s.addMessage(ctx, tx, c, n, &m)
		if err != nil {
			return err
		}
		if dup {
			return errDuplicate
		}
		if keyword == KeywordNone {
			return nil
		}
		replied, err = s.applyKeyword(ctx, tx, n, c, m, keyword, word)
		return err
	})
	if errors.Is(err, errDuplicate) {
		return s.store.MessageByUUID(ctx, in.MessageUUID)
	}
	if replied {
		s.wakeOutbox()
	}
	return m, err
}

// contactByPhone finds the contact texting in, or creates one so that
// nothing is lost: a candidate, named by the phone, consent unknown.
func (s *Service) contactByPhone(ctx context.Context, tx Tx, companyID int64, phone string) (Contact, error) {
	c, err := tx.ContactByPhone(ctx, companyID, phone)
	if ErrorKind(err) != KindNotFound {
		return c, err
	}
	c = Contact{CompanyID: companyID, Name: phone, Phone: phone, Kind: KindCandidate, Consent: ConsentUnknown}
	if err := tx.CreateContact(ctx, &c); err != nil {
		return Contact{}, err
	}
	return tx.Contact(ctx, companyID, c.ID)
}

// applyKeyword carries out a keyword (S6, S13): STOP opts out and sends the
// confirmation once, only when consent actually changed (a second STOP gets no
// second confirmation); START opts back in; HELP gets the help reply. Every
// change goes to the consent ledger with the keyword and the message. It
// reports whether it queued a reply.
func (s *Service) applyKeyword(ctx context.Context, tx Tx, n Number, c Contact, m Message, k Keyword, word string) (bool, error) {
	company, err := tx.Company(ctx, n.CompanyID)
	if err != nil {
		return false, err
	}
	var to Consent
	reply := ""
	switch k {
	case KeywordOptOut:
		to, reply = ConsentOptedOut, company.OptoutReply
	case KeywordOptIn:
		to = ConsentOptedIn
	case KeywordHelp:
		reply = company.HelpReply
	default:
		return false, nil
	}
	if to != "" {
		if c.Consent == to {
			return false, nil // nothing changes, and nothing is sent again
		}
		err := tx.SetConsent(ctx, ConsentChange{ContactID: c.ID, From: c.Consent, To: to, Source: SourceKeyword,
			Keyword: word, MessageID: &m.ID, CreatedAt: m.CreatedAt})
		if err != nil {
			return false, err
		}
		updated, err := tx.Contact(ctx, c.CompanyID, c.ID)
		if err != nil {
			return false, err
		}
		if err := tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": updated}); err != nil {
			return false, err
		}
		c = updated
	}
	if reply == "" || !company.SMSEnabled {
		return false, nil
	}
	// The reply is a system message (no sender); it bypasses the consent
	// check on purpose: carriers expect the opt-out confirmation.
	r := Message{Direction: Outbound, Body: reply, Status: StatusQueued}
	_, err = s.addMessage(ctx, tx, c, n, &r)
	return err == nil, err
}
