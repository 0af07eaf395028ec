package inbox

import (
	"context"
	"strings"
	"time"
)

// RequestConsent texts a contact the company's consent request from one of
// the caller's numbers (numberID, or the number Send would choose): at most
// once per 30 days per contact (else consent_request_recent), through the
// send gate (not to a contact who opted out, is under review or opted in
// already; held by quiet hours like any text). The request is in the
// ledger (source request, the state unchanged); a YES or START within 30
// days then opts the contact in.
func (s *Service) RequestConsent(ctx context.Context, caller User, contactID, numberID int64) (Message, error) {
	var m Message
	err := s.write(ctx, func(tx Tx) error {
		c, err := tx.Contact(ctx, caller.CompanyID, contactID)
		if err != nil {
			return err
		}
		if !c.SMSEnabled {
			return Errorf(KindConflict, "sms_disabled", "text messaging is switched off for your company")
		}
		number, err := s.sendingNumber(ctx, tx, caller, c, numberID)
		if err != nil {
			return err
		}
		if number == nil {
			return Invalid("number_required", "you are assigned to several numbers; choose which one sends the request")
		}
		now := s.now()
		if c.ConsentRequestedAt != nil && now.Before(c.ConsentRequestedAt.Add(ConsentRequestEvery)) {
			return Errorf(KindConflict, "consent_request_recent",
				"%s was asked for consent on %s; ask again at most once every 30 days", c.Name, c.ConsentRequestedAt.Format("January 2"))
		}
		company, err := tx.Company(ctx, caller.CompanyID)
		if err != nil {
			return err
		}
		decision, err := s.CheckSend(ctx, tx, SendCheck{Company: company, Contact: c, NumberID: number.ID,
			Purpose: PurposeConsentRequest, At: now})
		if err != nil {
			return err
		}
		entry, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: c.Consent, To: c.Consent, Source: SourceRequest,
			UserID: &caller.ID, CreatedAt: now, Note: "consent requested by text"})
		if err != nil {
			return err
		}
		if err := tx.SetConsentRequested(ctx, c.ID, now); err != nil {
			return err
		}
		m = Message{Direction: Outbound, Body: companyText(company, company.ConsentRequest), Status: StatusQueued,
			SentBy: &caller, Purpose: PurposeConsentRequest}
		decision.apply(&m)
		m.ConsentEntryID = &entry.ID
		if _, err := s.addMessage(ctx, tx, c, *number, &m); err != nil {
			return err
		}
		return s.contactUpdated(ctx, tx, c)
	})
	if err == nil {
		s.wakeOutbox()
	}
	return m, err
}

// The decisions on a possible opt-out.
const (
	ReviewOptOut = "opt_out" // it was a request to stop: the contact opts out
	ReviewKeep   = "keep"    // it was not: texting may go on as before
)

// ResolveReview decides a contact's possible opt-out: opt_out opts the
// contact out, keep leaves consent as it was; either way the review ends
// and the decision is in the ledger with the user who made it (source
// review). Any user who can see the contact may decide; a contact not
// under review is a conflict (no_review).
func (s *Service) ResolveReview(ctx context.Context, caller User, contactID int64, decision string) (Contact, error) {
	decision = strings.TrimSpace(decision)
	if decision != ReviewOptOut && decision != ReviewKeep {
		return Contact{}, Invalid("invalid_decision", `decision must be "opt_out" or "keep"`)
	}
	var c Contact
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if c, err = tx.Contact(ctx, caller.CompanyID, contactID); err != nil {
			return err
		}
		if !c.ConsentReview {
			return Errorf(KindConflict, "no_review", "%s has no possible opt-out to review", c.Name)
		}
		to, note := c.Consent, "reviewed a possible opt-out: not a request to stop; texting may go on"
		if decision == ReviewOptOut {
			to, note = ConsentOptedOut, "reviewed a possible opt-out: a request to stop"
		}
		if _, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: c.Consent, To: to, Source: SourceReview,
			UserID: &caller.ID, Note: note}); err != nil {
			return err
		}
		if err := tx.SetConsentReview(ctx, c.ID, false); err != nil {
			return err
		}
		if c, err = tx.Contact(ctx, caller.CompanyID, c.ID); err != nil {
			return err
		}
		return tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": c})
	})
	return c, err
}

// ConsentProof is a contact's consent record for an auditor: every ledger
// entry with its hash chain, and every outbound text with the entry that
// allowed it.
type ConsentProof struct {
	ContactID int64          `json:"contact_id"`
	Phone     string         `json:"phone"`
	State     Consent        `json:"state"`
	Review    bool           `json:"review"`
	Entries   []ConsentEntry `json:"entries"`
	Sends     []ConsentSend  `json:"sends"`
}

// ConsentEntry is one ledger entry as the proof shows it.
type ConsentEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	From      Consent   `json:"from"`
	State     Consent   `json:"state"`
	Source    string    `json:"source"`
	Keyword   string    `json:"keyword"`
	User      *User     `json:"user"`
	MessageID *int64    `json:"message_id"`
	Note      string    `json:"note"`
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// ConsentProof returns a contact's consent proof (admins only: it names
// who changed what).
func (s *Service) ConsentProof(ctx context.Context, caller User, contactID int64) (ConsentProof, error) {
	if err := requireAdmin(caller); err != nil {
		return ConsentProof{}, err
	}
	return s.consentProof(ctx, caller, contactID)
}

func (s *Service) consentProof(ctx context.Context, caller User, contactID int64) (ConsentProof, error) {
	var p ConsentProof
	err := s.store.Snapshot(ctx, func(q Queries) error {
		c, err := q.Contact(ctx, caller.CompanyID, contactID)
		if err != nil {
			return err
		}
		changes, err := q.ConsentChanges(ctx, caller.CompanyID, contactID)
		if err != nil {
			return err
		}
		users, err := q.Users(ctx, caller.CompanyID)
		if err != nil {
			return err
		}
		byID := make(map[int64]User, len(users))
		for _, u := range users {
			byID[u.ID] = u
		}
		p = ConsentProof{ContactID: c.ID, Phone: c.Phone, State: c.Consent, Review: c.ConsentReview,
			Entries: make([]ConsentEntry, len(changes))}
		for i, ch := range changes {
			e := ConsentEntry{ID: ch.ID, At: ch.CreatedAt.UTC(), From: ch.From, State: ch.To, Source: ch.Source,
				Keyword: ch.Keyword, MessageID: ch.MessageID, Note: ch.Note, PrevHash: ch.PrevHash, Hash: ch.Hash}
			if ch.UserID != nil {
				if u, ok := byID[*ch.UserID]; ok {
					e.User = &u
				}
			}
			p.Entries[i] = e
		}
		p.Sends, err = q.ConsentSends(ctx, caller.CompanyID, contactID)
		return err
	})
	return p, err
}

// ConsentHistory is a contact's ledger entries for any user of the
// company, as the profile shows them: who changed what, and when.
func (s *Service) ConsentHistory(ctx context.Context, caller User, contactID int64) ([]ConsentEntry, error) {
	p, err := s.consentProof(ctx, caller, contactID)
	return p.Entries, err
}
