package inbox

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
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
	// Intent is the provider's reading of the text: Plivo's MessageIntent
	// ("optout", "optin", "help", or empty), which counts as the keyword.
	Intent string
	// Missed is a text known only from the provider's records, which keep
	// no words (backfill.go): it is stored without them, at At, and puts
	// its contact under review. A webhook for the same MessageUUID later
	// fills them in.
	Missed bool
	At     time.Time
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
// retried alone — unless the batch ran out of time.
func (s *Service) storeBatch(ctx context.Context, batch []*pendingSMS) {
	slices.SortStableFunc(batch, func(a, b *pendingSMS) int {
		return cmp.Or(cmp.Compare(a.in.From, b.in.From), cmp.Compare(a.in.To, b.in.To))
	})
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.inbound.timeout)
	defer cancel()
	events, err := s.store.Tx(ctx, func(stx Tx) error {
		// A batch reads each company's settings once, not once per text:
		// nothing on the inbound path changes them.
		tx := &batchTx{Tx: stx}
		parties, err := loadParties(ctx, tx, batch)
		if err != nil {
			return err
		}
		if err := s.ensureThreads(ctx, tx, batch, parties); err != nil {
			return err
		}
		if err := s.insertAhead(ctx, tx, batch, parties); err != nil {
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
		// A batch that ran out of time says the database is too slow for
		// now: storing each text alone would take longer still, and a
		// burst of single transactions on the same counters slows it
		// further (at 500 texts/s on a cold start, one such batch became
		// a minute of failed webhooks). Its webhooks are answered 503 and
		// the provider delivers them again.
		timedOut := ctx.Err() != nil
		if timedOut {
			err = Unavailable("the database (a batch of texts was not stored in time)", err)
		}
		for _, p := range batch {
			p.err, p.retry = err, len(batch) > 1 && !timedOut
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

// batchTx is the transaction of a batch of inbound texts: it remembers the
// companies it has read, the threads it has ensured, and the texts it has
// stored ahead with their threads (insertAhead).
type batchTx struct {
	Tx
	companies map[int64]Company
	threads   map[ThreadKey]int64
	ahead     map[string]aheadText // by MessageUUID
	next      *Thread              // the thread of the text stored ahead just found, for its Thread read
}

// aheadText is a text stored ahead: its message (no ID if it was a
// duplicate) and its thread as read right after.
type aheadText struct {
	m      *Message
	thread *Thread
}

// insertAhead stores the first text of each contact in the batch — under
// load most of its texts — in one statement, and reads their threads in
// one more per company. Receiving each text then finds its message stored
// and its thread read (InsertMessage and Thread below), where it would
// otherwise cost two round trips. A contact's other texts in the batch are
// stored one at a time as before, after its first in the batch's order, so
// that each thread's event shows the thread as of its own text; so are all
// of a contact's texts when its first is one known only from the
// provider's records.
func (s *Service) insertAhead(ctx context.Context, tx *batchTx, batch []*pendingSMS, pt parties) error {
	var ms []*Message
	contacts := make(map[int64]bool, len(batch))
	for _, p := range batch {
		n, ok := pt.numbers[p.in.To]
		if !ok {
			continue
		}
		c, ok := pt.contacts[companyPhone{n.CompanyID, p.in.From}]
		if !ok || contacts[c.ID] {
			continue
		}
		contacts[c.ID] = true
		if p.in.Missed {
			continue // stored one at a time, and so are the contact's others
		}
		m := inboundMessage(p.in)
		s.prepareMessage(c, n, tx.threads[ThreadKey{n.CompanyID, n.ID, c.ID}], &m)
		ms = append(ms, &m)
	}
	if len(ms) == 0 {
		return nil
	}
	if err := tx.Tx.InsertMessages(ctx, ms); err != nil {
		return err
	}
	tx.ahead = make(map[string]aheadText, len(ms))
	threads := map[int64][]int64{} // stored ones, by company
	for _, m := range ms {
		tx.ahead[*m.PlivoUUID] = aheadText{m: m}
		if m.ID != 0 {
			threads[m.CompanyID] = append(threads[m.CompanyID], m.ThreadID)
		}
	}
	byID := make(map[int64]*Thread, len(ms))
	for companyID, ids := range threads {
		read, err := tx.Tx.Threads(ctx, companyID, ThreadFilter{ThreadIDs: ids, Limit: len(ids)})
		if err != nil {
			return err
		}
		for i := range read {
			byID[read[i].ID] = &read[i]
		}
	}
	for uuid, a := range tx.ahead {
		a.thread = byID[a.m.ThreadID]
		tx.ahead[uuid] = a
	}
	return nil
}

// InsertMessage finds a text stored ahead without a statement.
func (t *batchTx) InsertMessage(ctx context.Context, m *Message) (bool, error) {
	if m.Direction == Inbound && m.PlivoUUID != nil {
		if a, ok := t.ahead[*m.PlivoUUID]; ok && a.m.ThreadID == m.ThreadID {
			delete(t.ahead, *m.PlivoUUID)
			m.ID, t.next = a.m.ID, a.thread
			return a.m.ID == 0, nil
		}
	}
	return t.Tx.InsertMessage(ctx, m)
}

// Thread returns the thread of the text stored ahead that InsertMessage
// found just before, as read right after it was stored, once; any other
// read goes to the store.
func (t *batchTx) Thread(ctx context.Context, companyID, id int64) (Thread, error) {
	if th := t.next; th != nil {
		t.next = nil
		if th.ID == id && th.CompanyID == companyID {
			return *th, nil
		}
	}
	return t.Tx.Thread(ctx, companyID, id)
}

// EnsureThread returns a thread the batch ensured up front (and locked, for
// the rest of the transaction) without a statement.
func (t *batchTx) EnsureThread(ctx context.Context, companyID, numberID, contactID int64) (int64, error) {
	if id, ok := t.threads[ThreadKey{companyID, numberID, contactID}]; ok {
		return id, nil
	}
	return t.Tx.EnsureThread(ctx, companyID, numberID, contactID)
}

// ensureThreads finds or creates the contact of every text (as receiving it
// would) and then the threads of all of them, in one statement on
// PostgreSQL, where each text otherwise costs a round trip for its thread.
func (s *Service) ensureThreads(ctx context.Context, tx *batchTx, batch []*pendingSMS, pt parties) error {
	var keys []ThreadKey
	for _, p := range batch {
		n, ok := pt.numbers[p.in.To]
		if !ok {
			continue
		}
		k := companyPhone{n.CompanyID, p.in.From}
		c, ok := pt.contacts[k]
		if !ok {
			var err error
			if c, err = s.contactByPhone(ctx, tx, n.CompanyID, p.in.From); err != nil {
				return err
			}
			pt.contacts[k] = c
		}
		keys = append(keys, ThreadKey{n.CompanyID, n.ID, c.ID})
	}
	ids, err := tx.EnsureThreads(ctx, keys)
	if err != nil {
		return err
	}
	tx.threads = ids
	return nil
}

// Company reads a company once per batch.
func (t *batchTx) Company(ctx context.Context, id int64) (Company, error) {
	if c, ok := t.companies[id]; ok {
		return c, nil
	}
	c, err := t.Tx.Company(ctx, id)
	if err != nil {
		return c, err
	}
	if t.companies == nil {
		t.companies = make(map[int64]Company)
	}
	t.companies[id] = c
	return c, nil
}

// receive stores one text of a batch, from the contact c to the number n,
// and applies its keywords to the contact. A missed text (known from the
// provider's records only) is stored without words and puts the contact
// under review; the webhook of a text stored as missed fills its words in
// (fillMissed).
func (s *Service) receive(ctx context.Context, tx Tx, n Number, c Contact, p *pendingSMS) error {
	var err error
	if p.in.Missed {
		uuid := p.in.MessageUUID
		p.m = Message{Direction: Inbound, Status: StatusReceived, PlivoUUID: &uuid, Missed: true, CreatedAt: p.in.At}
		if p.dup, err = s.addMessage(ctx, tx, c, n, &p.m); err != nil || p.dup {
			return err
		}
		return s.reviewMissed(ctx, tx, c)
	}
	p.m = inboundMessage(p.in)
	if p.dup, err = s.addMessage(ctx, tx, c, n, &p.m); err != nil {
		return err
	}
	if p.dup {
		return s.fillMissed(ctx, tx, n, c, p)
	}
	p.replied, err = s.ApplyInboundText(ctx, tx, n, c, p.m, p.in.Intent)
	return err
}

// inboundMessage is the message an inbound text is stored as.
func inboundMessage(in InboundSMS) Message {
	uuid := in.MessageUUID
	return Message{Direction: Inbound, Body: in.Text, Status: StatusReceived, PlivoUUID: &uuid,
		MediaURLs: in.MediaURLs, Flagged: MentionsOptOut(in.Text) || AsksToStop(in.Text)}
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

// ApplyInboundText applies what an inbound text m, stored on the thread of
// number n and contact c, says about consent — the one place that does, for
// webhooks and for any later path that learns a text (a backfill):
//
//   - an opt-out keyword (or the provider's intent "optout") opts out and
//     sends the opt-out confirmation once, only when consent changed; it
//     settles a possible opt-out under review;
//   - START or UNSTOP (or intent "optin") opts in and sends the opt-in
//     confirmation, likewise once;
//   - YES opts in only as the answer to a pending consent request; without
//     one it is an ordinary text;
//   - HELP or INFO gets the help reply;
//   - a text that asks to stop in a sentence puts the contact under review;
//   - any text but an opt-out or opt-in from a contact whose consent is
//     unknown makes it implied (the contact texted first).
//
// Every change goes to the consent ledger with the text. It reports whether
// it queued a reply.
func (s *Service) ApplyInboundText(ctx context.Context, tx Tx, n Number, c Contact, m Message, intent string) (bool, error) {
	k, word := MatchKeyword(m.Body)
	if ik := IntentKeyword(intent); k == KeywordNone && ik != KeywordNone {
		k, word = ik, "intent:"+strings.ToLower(strings.TrimSpace(intent))
	}
	if k == KeywordYes {
		if consentRequestPending(c, m.CreatedAt) {
			k = KeywordOptIn
		} else {
			k, word = KeywordNone, ""
		}
	}
	company, err := tx.Company(ctx, n.CompanyID)
	if err != nil {
		return false, err
	}
	switch k {
	case KeywordOptOut:
		return s.keywordConsent(ctx, tx, company, n, c, m, ConsentOptedOut, word, company.OptoutReply)
	case KeywordOptIn:
		return s.keywordConsent(ctx, tx, company, n, c, m, ConsentOptedIn, word, company.OptinReply)
	case KeywordHelp:
		if c, err = s.implyConsent(ctx, tx, n, c, m); err != nil {
			return false, err
		}
		return s.confirm(ctx, tx, company, n, c, company.HelpReply, nil)
	}
	if AsksToStop(m.Body) && !c.ConsentReview && c.Consent != ConsentOptedOut {
		if err := tx.SetConsentReview(ctx, c.ID, true); err != nil {
			return false, err
		}
		c.ConsentReview = true
		if err := s.contactUpdated(ctx, tx, c); err != nil {
			return false, err
		}
	}
	_, err = s.implyConsent(ctx, tx, n, c, m)
	return false, err
}

// consentRequestPending reports whether a YES at t answers a consent
// request: one was sent in the last 30 days and the contact has neither
// opted in nor out since (consent is still unknown or implied).
func consentRequestPending(c Contact, t time.Time) bool {
	return c.ConsentRequestedAt != nil && !t.After(c.ConsentRequestedAt.Add(ConsentRequestEvery)) &&
		(c.Consent == ConsentUnknown || c.Consent == ConsentImplied)
}

// keywordConsent changes consent by keyword and sends reply once: a second
// STOP changes nothing and sends nothing again. A keyword settles a review.
func (s *Service) keywordConsent(ctx context.Context, tx Tx, company Company, n Number, c Contact, m Message, to Consent, word, reply string) (bool, error) {
	reviewed := c.ConsentReview
	if reviewed {
		if err := tx.SetConsentReview(ctx, c.ID, false); err != nil {
			return false, err
		}
	}
	if c.Consent == to {
		if reviewed {
			return false, s.contactUpdated(ctx, tx, c)
		}
		return false, nil
	}
	entry, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: c.Consent, To: to, Source: SourceKeyword,
		Keyword: word, MessageID: &m.ID, CreatedAt: m.CreatedAt, Note: "texted " + strconv.Quote(strings.TrimSpace(m.Body))})
	if err != nil {
		return false, err
	}
	if c, err = tx.Contact(ctx, c.CompanyID, c.ID); err != nil {
		return false, err
	}
	if err := s.contactUpdated(ctx, tx, c); err != nil {
		return false, err
	}
	return s.confirm(ctx, tx, company, n, c, reply, &entry.ID)
}

// implyConsent: a contact whose consent is unknown and who texts us has
// started the conversation; replies on that thread are allowed for a while
// (gate.go).
//
// The change is announced as contact.updated on the number's topic, not
// the company's: implied consent lets only that thread's number reply, and
// it leaves the contact's icon hidden, so no one else has anything to show
// for it. Every candidate's first text would otherwise reach every open
// tab of the company.
func (s *Service) implyConsent(ctx context.Context, tx Tx, n Number, c Contact, m Message) (Contact, error) {
	if c.Consent != ConsentUnknown {
		return c, nil
	}
	_, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: c.Consent, To: ConsentImplied, Source: SourceInbound,
		MessageID: &m.ID, CreatedAt: m.CreatedAt, Note: "texted first"})
	if err != nil {
		return c, err
	}
	if c, err = tx.Contact(ctx, c.CompanyID, c.ID); err != nil {
		return c, err
	}
	return c, tx.Emit(NumberTopic(n.ID), EventContactUpdated, map[string]Contact{"contact": c})
}

// contactUpdated announces a contact's new state to the company.
func (s *Service) contactUpdated(ctx context.Context, tx Tx, c Contact) error {
	if stored, err := tx.Contact(ctx, c.CompanyID, c.ID); err == nil {
		c = stored
	} else {
		return err
	}
	return tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": c})
}

// confirm queues the server's answer to a keyword on the thread: a system
// message (no sender) that the gate lets through whatever the consent and
// the hour (carriers expect it). An empty reply, or texting switched off,
// sends nothing. It reports whether it queued one.
func (s *Service) confirm(ctx context.Context, tx Tx, company Company, n Number, c Contact, reply string, entryID *int64) (bool, error) {
	if reply == "" || !company.SMSEnabled {
		return false, nil
	}
	r := Message{Direction: Outbound, Body: companyText(company, reply), Status: StatusQueued, Purpose: PurposeConfirmation,
		ConsentEntryID: entryID}
	if entryID == nil {
		if latest, err := tx.LatestConsentChange(ctx, c.ID); err == nil {
			r.ConsentEntryID = &latest.ID
		}
	}
	_, err := s.addMessage(ctx, tx, c, n, &r)
	return err == nil, err
}
