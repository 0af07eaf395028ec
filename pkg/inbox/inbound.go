package inbox

import (
	"cmp"
	"context"
	"slices"
)

// InboundSMS is a text a contact sent to one of the company numbers, as the
// provider's webhook parser (pkg/plivo) reads it.
type InboundSMS struct {
	From        string // E.164
	To          string // E.164
	Text        string // may be empty for an MMS
	Type        string // the provider's kind of text, "sms" or "mms"; what is stored is Text and MediaURLs
	MessageUUID string // the provider's id: a repeat delivery stores nothing new
	MediaURLs   []string
}

// ReceiveSMS stores an inbound text: the contact (created for an unknown
// phone, consent unknown), the thread, the message, the raised unread count,
// a keyword's consent change and reply, and the events. It returns only once
// all of it is committed. A repeated MessageUUID is answered with the stored
// message and changes nothing. To a number nobody manages is not_found and
// stores nothing.
//
// Texts that arrive together are committed together (group commit): while
// transactions are in flight, the texts arriving meanwhile queue up, and the
// next transaction stores all of them. Under load a commit, its fsync and
// most of its round trips then serve many webhooks instead of one; alone, a
// text waits for nobody.
func (s *Service) ReceiveSMS(ctx context.Context, in InboundSMS) (Message, error) {
	if in.MessageUUID == "" {
		return Message{}, Invalid("missing_message_uuid", "an inbound message needs its MessageUUID")
	}
	p := &pendingSMS{in: in, lead: make(chan struct{}), done: make(chan struct{})}
	if s.inbound.join(p) {
		s.leadBatch(ctx, p, []*pendingSMS{p})
	} else {
		select {
		case <-p.done:
		case <-p.lead:
			s.leadBatch(ctx, p, p.batch)
		case <-ctx.Done():
			if s.inbound.leave(p) {
				return Message{}, Unavailable("the database (queued too long)", ctx.Err())
			}
			// Its batch is being stored, or is its to store.
			select {
			case <-p.done:
			case <-p.lead:
				s.leadBatch(ctx, p, p.batch)
			}
		}
	}
	if p.retry {
		// Its batch failed as a whole: store it alone, so that one bad
		// text fails only its own webhook.
		s.storeBatch(ctx, []*pendingSMS{p})
	}
	switch {
	case p.err != nil:
		return Message{}, p.err
	case p.dup:
		return s.store.MessageByUUID(ctx, in.MessageUUID)
	}
	return p.m, nil
}

// storeBatch stores texts in one transaction and publishes their events. The
// texts are handled in (From, To) order, so that two batches lock contacts
// and threads in much the same order; a deadlock left (one phone texting two
// numbers, in two batches at once) is broken by the database failing one.
// A text to an unknown number writes nothing and fails alone; any other
// failure fails the transaction, and every text of a larger batch is then
// retried alone.
func (s *Service) storeBatch(ctx context.Context, batch []*pendingSMS) {
	slices.SortStableFunc(batch, func(a, b *pendingSMS) int {
		return cmp.Or(cmp.Compare(a.in.From, b.in.From), cmp.Compare(a.in.To, b.in.To))
	})
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	defer cancel()
	events, err := s.store.Tx(ctx, func(tx Tx) error {
		parties, err := loadParties(ctx, tx, batch)
		if err != nil {
			return err
		}
		for _, p := range batch {
			p.m, p.dup, p.replied, p.retry, p.err = Message{}, false, false, false, nil
			n, ok := parties.numbers[p.in.To]
			if !ok {
				p.err = NotFound("number")
				continue
			}
			c, ok := parties.takeContact(n.CompanyID, p.in.From)
			if !ok {
				if c, err = s.contactByPhone(ctx, tx, n.CompanyID, p.in.From); err != nil {
					return err
				}
			}
			if err := s.receive(ctx, tx, n, c, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, p := range batch {
			p.err, p.retry = err, len(batch) > 1
		}
		return
	}
	s.publish(events)
	for _, p := range batch {
		if p.replied {
			s.wakeOutbox()
			break
		}
	}
}

// receive stores one text of a batch, from the contact c to the number n.
func (s *Service) receive(ctx context.Context, tx Tx, n Number, c Contact, p *pendingSMS) error {
	var err error
	uuid := p.in.MessageUUID
	keyword, word := MatchKeyword(p.in.Text)
	p.m = Message{Direction: Inbound, Body: p.in.Text, Status: StatusReceived, PlivoUUID: &uuid,
		MediaURLs: p.in.MediaURLs, Flagged: keyword == KeywordNone && MentionsOptOut(p.in.Text)}
	if p.dup, err = s.addMessage(ctx, tx, c, n, &p.m); err != nil || p.dup || keyword == KeywordNone {
		return err
	}
	p.replied, err = s.applyKeyword(ctx, tx, n, c, p.m, keyword, word)
	return err
}

// parties are the numbers and the contacts a batch's texts name, read with
// a query or two for the batch instead of two per text.
type parties struct {
	numbers  map[string]Number // by E.164
	contacts map[companyPhone]Contact
}

type companyPhone struct {
	companyID int64
	phone     string
}

func loadParties(ctx context.Context, tx Tx, batch []*pendingSMS) (parties, error) {
	var tos []string
	for _, p := range batch {
		if !slices.Contains(tos, p.in.To) {
			tos = append(tos, p.in.To)
		}
	}
	numbers, err := tx.NumbersByE164(ctx, tos)
	if err != nil {
		return parties{}, err
	}
	pt := parties{numbers: make(map[string]Number, len(numbers)), contacts: make(map[companyPhone]Contact, len(batch))}
	for _, n := range numbers {
		pt.numbers[n.E164] = n
	}
	phones := map[int64][]string{} // by company
	for _, p := range batch {
		if n, ok := pt.numbers[p.in.To]; ok && !slices.Contains(phones[n.CompanyID], p.in.From) {
			phones[n.CompanyID] = append(phones[n.CompanyID], p.in.From)
		}
	}
	for companyID, list := range phones {
		contacts, err := tx.ContactsByPhone(ctx, companyID, list)
		if err != nil {
			return parties{}, err
		}
		for _, c := range contacts {
			pt.contacts[companyPhone{companyID, c.Phone}] = c
		}
	}
	return pt, nil
}

// takeContact returns the contact of a phone as loaded, once: a second text
// from the phone in the batch reads it afresh, as the first may have changed
// it (its consent, its icon).
func (pt parties) takeContact(companyID int64, phone string) (Contact, bool) {
	k := companyPhone{companyID, phone}
	c, ok := pt.contacts[k]
	delete(pt.contacts, k)
	return c, ok
}

// contactByPhone finds the contact texting in, or creates one so that
// nothing is lost: a candidate, named by the phone, consent unknown.
func (s *Service) contactByPhone(ctx context.Context, tx Tx, companyID int64, phone string) (Contact, error) {
	c, err := tx.ContactByPhone(ctx, companyID, phone)
	if ErrorKind(err) != KindNotFound {
		return c, err
	}
	c = Contact{CompanyID: companyID, Name: phone, Phone: phone, Kind: KindCandidate, Consent: ConsentUnknown}
	if err := tx.EnsureContact(ctx, &c); err != nil {
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
