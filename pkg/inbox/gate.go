package inbox

import (
	"context"
	"time"
)

// Purpose is why an outbound text is sent; the send gate checks each kind
// differently.
type Purpose string

// The purposes of an outbound text.
const (
	// PurposeText is a user's text (single, template, scheduled or bulk):
	// consent, review and quiet hours all apply.
	PurposeText Purpose = ""
	// PurposeConfirmation is the server's answer to a keyword (the
	// opt-out or opt-in confirmation, the help reply): carriers expect it,
	// so neither consent nor quiet hours hold it back.
	PurposeConfirmation Purpose = "confirmation"
	// PurposeConsentRequest asks a contact for consent: allowed unless the
	// contact opted out, is under review or opted in already; quiet hours
	// apply.
	PurposeConsentRequest Purpose = "consent_request"
)

// The windows of the consent and quiet-hours rules.
const (
	// ImpliedWindow is how long after a contact's latest text to a number
	// a reply on that thread is allowed when the contact texted first
	// (consent implied).
	ImpliedWindow = 24 * time.Hour
	// QuietExemptWindow is how long after a contact's latest text a reply
	// goes out even in quiet hours: the contact is awake and writing.
	QuietExemptWindow = 30 * time.Minute
	// ConsentRequestEvery is the least time between two consent requests
	// to one contact, and how long a request stays pending.
	ConsentRequestEvery = 30 * 24 * time.Hour
)

// SendCheck is one text the gate is asked about.
type SendCheck struct {
	Company  Company
	Contact  Contact
	NumberID int64     // the sending number: implied consent is per thread
	Purpose  Purpose   //
	At       time.Time // when the text would go: now, or its scheduled time
	// WrittenAt is when the text was written (zero: At): a reply written
	// within 30 min of the contact's text stays exempt from quiet hours
	// when the outbox checks it again a moment later.
	WrittenAt time.Time
}

// SendDecision is the gate's answer for a text it allows: go at At (held
// by quiet hours when Held), on the strength of the ledger entry
// ConsentEntryID (nil when no entry allowed it: a help reply).
type SendDecision struct {
	At             time.Time
	Held           bool
	HoldNote       string // "Held until 8:00 AM candidate's time"
	ConsentEntryID *int64
}

// CheckSend is the one send gate of the server: every path that texts a
// contact — a single send, a template, a scheduled or bulk send, a consent
// request, and the outbox again at dispatch — asks it, inside the
// transaction that stores or claims the text. It refuses with the reason
// as an *Error (409: contact_erased, sms_disabled, opt_out_review, opted_out,
// no_consent, already_opted_in) or allows, possibly held until quiet hours end.
func (s *Service) CheckSend(ctx context.Context, q Queries, in SendCheck) (SendDecision, error) {
	c := in.Contact
	d := SendDecision{At: in.At}
	if d.At.IsZero() {
		d.At = s.now()
	}
	if latest, err := q.LatestConsentChange(ctx, c.ID); err == nil {
		d.ConsentEntryID = &latest.ID
	} else if ErrorKind(err) != KindNotFound {
		return d, err
	}
	if c.ErasedAt != nil {
		return d, Errorf(KindConflict, "contact_erased", "this contact's personal data was erased; there is no phone to text")
	}
	if in.Purpose == PurposeConfirmation {
		return d, nil
	}
	if !in.Company.SMSEnabled {
		return d, Errorf(KindConflict, "sms_disabled", "text messaging is switched off for your company")
	}
	if c.ConsentReview {
		return d, Errorf(KindConflict, "opt_out_review",
			"%s may have asked not to be texted; review their message and decide before texting them again", c.Name)
	}
	switch c.Consent {
	case ConsentOptedOut:
		return d, Errorf(KindConflict, "opted_out", "%s has opted out of text messages; email or call them instead", c.Name)
	case ConsentOptedIn:
		if in.Purpose == PurposeConsentRequest {
			return d, Errorf(KindConflict, "already_opted_in", "%s has opted in already; no need to ask", c.Name)
		}
	case ConsentImplied:
		if in.Purpose == PurposeConsentRequest {
			break
		}
		last, err := q.LastInbound(ctx, c.CompanyID, c.ID, in.NumberID)
		if err != nil {
			return d, err
		}
		if last == nil || d.At.After(last.Add(ImpliedWindow)) {
			return d, Errorf(KindConflict, "no_consent",
				"%s texted this number first, but more than 24 hours ago; ask for consent before texting them again", c.Name)
		}
	default:
		if in.Purpose != PurposeConsentRequest {
			return d, Errorf(KindConflict, "no_consent", "%s has not opted in to text messages; ask for consent, or email or call them", c.Name)
		}
	}
	return s.quietHours(ctx, q, in, d)
}

// quietHours holds a text that would reach the contact in quiet hours until
// they end, unless it answers a text the contact sent in the last 30 min.
func (s *Service) quietHours(ctx context.Context, q Queries, in SendCheck, d SendDecision) (SendDecision, error) {
	if in.Company.QuietHours == nil {
		return d, nil
	}
	until, loc, quiet := QuietUntil(d.At, in.Company.QuietHours, ContactZones(in.Contact))
	if !quiet {
		return d, nil
	}
	last, err := q.LastInbound(ctx, in.Contact.CompanyID, in.Contact.ID, 0)
	if err != nil {
		return d, err
	}
	written := in.WrittenAt
	if written.IsZero() {
		written = d.At
	}
	if last != nil && !written.After(last.Add(QuietExemptWindow)) {
		return d, nil
	}
	d.At, d.Held, d.HoldNote = until, true, holdNote(until, loc)
	return d, nil
}
