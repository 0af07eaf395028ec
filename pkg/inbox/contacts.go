package inbox

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// ContactInput is what the host ATS pushes for a candidate or hire.
type ContactInput struct {
	ExternalID *string `json:"external_id"`
	Name       string  `json:"name"`
	Phone      string  `json:"phone"`
	Email      string  `json:"email"`
	Kind       string  `json:"kind"`
	SMSOptIn   *bool   `json:"sms_opt_in"`
	TimeZone   *string `json:"time_zone"` // IANA; "" clears it; absent keeps it
}

// validateContact checks and normalises what the ATS pushed; a phone written
// without a country code is read in region, the company's.
func (s *Service) validateContact(in *ContactInput, region string) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		return Invalid("invalid_name", "a contact's name must be 1 to 200 characters")
	}
	phone, err := NormalizePhone(in.Phone, region)
	if err != nil {
		return err
	}
	in.Phone = phone
	in.Email = strings.TrimSpace(in.Email)
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			return Invalid("invalid_email", "%q is not an email address", in.Email)
		}
	}
	switch in.Kind {
	case "":
		in.Kind = KindCandidate
	case KindCandidate, KindHire:
	default:
		return Invalid("invalid_kind", "kind must be candidate or hire")
	}
	if in.ExternalID != nil {
		ext := strings.TrimSpace(*in.ExternalID)
		if ext == "" || len(ext) > 200 {
			return Invalid("invalid_external_id", "external_id must be 1 to 200 characters")
		}
		in.ExternalID = &ext
	}
	if in.TimeZone != nil {
		tz := strings.TrimSpace(*in.TimeZone)
		if err := ValidTimeZone(tz); err != nil {
			return err
		}
		in.TimeZone = &tz
	}
	return nil
}

// errConsentForbidden refuses a recruiter's request that would change a
// contact's consent: only admins and API tokens set it through the API.
var errConsentForbidden = Errorf(KindForbidden, "consent_forbidden",
	"only an admin or the ATS (an API token) may change a contact's text message consent")

// mayChangeConsent reports whether the caller may set consent through the
// contacts API: admins, and API tokens (which act as their admin).
func mayChangeConsent(caller User) bool { return caller.IsAdmin() }

// UpsertContact creates a contact, or updates the one with the same
// external id (or, without one, the same phone). Consent follows API.md: a
// new contact who opted in while applying is opted_in; an update with
// sms_opt_in false withdraws it; true never overrides the contact's own
// opt-out (only their texting START does). Only admins and API tokens may
// change consent this way: a recruiter's request that would is refused
// (consent_forbidden) and changes nothing. A changed phone resets consent
// to unknown first (consent belongs to a phone number). Every change is in
// the ledger.
func (s *Service) UpsertContact(ctx context.Context, caller User, in ContactInput) (Contact, bool, error) {
	region, err := s.companyRegion(ctx, s.store, caller.CompanyID)
	if err != nil {
		return Contact{}, false, err
	}
	if err := s.validateContact(&in, region); err != nil {
		return Contact{}, false, err
	}
	var (
		c       Contact
		created bool
	)
	err = s.write(ctx, func(tx Tx) error {
		var err error
		if in.ExternalID != nil {
			c, err = tx.ContactByExternalID(ctx, caller.CompanyID, *in.ExternalID)
		} else {
			c, err = tx.ContactByPhone(ctx, caller.CompanyID, in.Phone)
		}
		switch {
		case ErrorKind(err) == KindNotFound:
			created = true
			return s.createContact(ctx, tx, caller, in, &c)
		case err != nil:
			return err
		}
		next := c
		if in.ExternalID != nil {
			next.ExternalID = in.ExternalID
		}
		next.Name, next.Phone, next.Email, next.Kind = in.Name, in.Phone, in.Email, in.Kind
		if in.TimeZone != nil {
			next.TimeZone = *in.TimeZone
		}
		c, err = s.saveContact(ctx, tx, caller, c, next, in.SMSOptIn, false)
		return err
	})
	return c, created, err
}

// ContactPatch is the body of PATCH /api/contacts/{id}: absent fields keep
// their value.
type ContactPatch struct {
	ExternalID *string `json:"external_id"`
	Name       *string `json:"name"`
	Phone      *string `json:"phone"`
	Email      *string `json:"email"`
	Kind       *string `json:"kind"`
	TimeZone   *string `json:"time_zone"`
	SMSOptIn   *bool   `json:"sms_opt_in"`
}

// PatchContact changes some of a contact's fields. Consent as for an
// upsert, but set by an admin (source admin), and true against the
// contact's own opt-out (a keyword, the carrier, a reviewed request) is a
// conflict (opted_out_by_contact) rather than ignored: the admin asked for
// it explicitly. A new phone resets consent to unknown before sms_opt_in
// applies, so an admin can move an opted-in contact to a new phone with
// its consent by giving both.
func (s *Service) PatchContact(ctx context.Context, caller User, id int64, p ContactPatch) (Contact, error) {
	var c Contact
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if c, err = tx.Contact(ctx, caller.CompanyID, id); err != nil {
			return err
		}
		in := ContactInput{ExternalID: c.ExternalID, Name: c.Name, Phone: c.Phone, Email: c.Email, Kind: c.Kind,
			SMSOptIn: p.SMSOptIn, TimeZone: p.TimeZone}
		if p.ExternalID != nil {
			in.ExternalID = p.ExternalID
		}
		for dst, src := range map[*string]*string{&in.Name: p.Name, &in.Phone: p.Phone, &in.Email: p.Email, &in.Kind: p.Kind} {
			if src != nil {
				*dst = *src
			}
		}
		region, err := s.companyRegion(ctx, tx, caller.CompanyID)
		if err != nil {
			return err
		}
		if err := s.validateContact(&in, region); err != nil {
			return err
		}
		next := c
		next.ExternalID, next.Name, next.Phone, next.Email, next.Kind = in.ExternalID, in.Name, in.Phone, in.Email, in.Kind
		if in.TimeZone != nil {
			next.TimeZone = *in.TimeZone
		}
		c, err = s.saveContact(ctx, tx, caller, c, next, in.SMSOptIn, true)
		return err
	})
	return c, err
}

// saveContact stores next over c: its fields, then a changed phone's
// consent reset, then the consent optIn asks for (by an admin's PATCH when
// byAdmin, else by the ATS's upsert), and announces the change.
func (s *Service) saveContact(ctx context.Context, tx Tx, caller User, c, next Contact, optIn *bool, byAdmin bool) (Contact, error) {
	phoneChanged := next.Phone != c.Phone
	// What the consent will be after the phone's reset, for the checks.
	after := next
	if phoneChanged {
		after.Consent, after.ConsentSource = ConsentUnknown, SourcePhoneChanged
	}
	to, source, change := atsConsent(after, optIn)
	if byAdmin && optIn != nil && *optIn && after.Consent == ConsentOptedOut && !change {
		if after.ConsentSource != SourceAdmin {
			return c, Errorf(KindConflict, "opted_out_by_contact",
				"%s opted out themselves; only their texting START opts them back in", c.Name)
		}
		// An admin may restore what an admin withdrew.
		to, change = ConsentOptedIn, true
	}
	if change && !mayChangeConsent(caller) {
		return c, errConsentForbidden
	}
	if err := tx.UpdateContact(ctx, next); err != nil {
		return c, err
	}
	if phoneChanged {
		if err := s.resetForNewPhone(ctx, tx, caller, c); err != nil {
			return c, err
		}
	}
	if change {
		if byAdmin {
			source = SourceAdmin
		}
		if _, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: after.Consent, To: to, Source: source, UserID: &caller.ID}); err != nil {
			return c, err
		}
	}
	stored, err := tx.Contact(ctx, caller.CompanyID, c.ID)
	if err != nil {
		return c, err
	}
	if contactChanged(c, stored) {
		if err := tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": stored}); err != nil {
			return c, err
		}
	}
	return stored, nil
}

// resetForNewPhone: consent belongs to a phone number, so a contact whose
// phone changed starts again at unknown (ledger source phone_changed), and
// a possible opt-out or a pending consent request of the old phone no
// longer applies.
func (s *Service) resetForNewPhone(ctx context.Context, tx Tx, caller User, c Contact) error {
	if c.Consent != ConsentUnknown || c.ConsentRequestedAt != nil {
		_, err := setConsent(ctx, tx, c, ConsentChange{ContactID: c.ID, From: c.Consent, To: ConsentUnknown,
			Source: SourcePhoneChanged, UserID: &caller.ID, Note: "the phone number changed; consent belongs to the old one"})
		if err != nil {
			return err
		}
	}
	if c.ConsentReview {
		if err := tx.SetConsentReview(ctx, c.ID, false); err != nil {
			return err
		}
	}
	if c.ConsentRequestedAt != nil {
		return tx.SetConsentRequested(ctx, c.ID, time.Time{})
	}
	return nil
}

func (s *Service) createContact(ctx context.Context, tx Tx, caller User, in ContactInput, c *Contact) error {
	*c = Contact{CompanyID: caller.CompanyID, ExternalID: in.ExternalID, Name: in.Name, Phone: in.Phone,
		Email: in.Email, Kind: in.Kind, Consent: ConsentUnknown}
	if in.TimeZone != nil {
		c.TimeZone = *in.TimeZone
	}
	optIn := in.SMSOptIn != nil && *in.SMSOptIn
	if optIn && !mayChangeConsent(caller) {
		return errConsentForbidden
	}
	if err := tx.CreateContact(ctx, c); err != nil {
		return err
	}
	if optIn {
		_, err := setConsent(ctx, tx, *c, ConsentChange{ContactID: c.ID, From: ConsentUnknown, To: ConsentOptedIn,
			Source: SourceApplication, UserID: &caller.ID})
		if err != nil {
			return err
		}
	}
	stored, err := tx.Contact(ctx, caller.CompanyID, c.ID)
	if err != nil {
		return err
	}
	*c = stored
	return tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": stored})
}

// atsConsent is the consent an ATS update leads to, if it changes anything.
func atsConsent(c Contact, optIn *bool) (Consent, string, bool) {
	switch {
	case optIn == nil:
		return "", "", false
	case !*optIn && c.Consent == ConsentOptedIn:
		return ConsentOptedOut, SourceATS, true
	case *optIn && (c.Consent == ConsentUnknown || c.Consent == ConsentImplied):
		return ConsentOptedIn, SourceApplication, true
	case *optIn && c.Consent == ConsentOptedOut && c.ConsentSource == SourceATS:
		// The ATS may restore what the ATS withdrew, never what the
		// contact withdrew: by texting STOP, through the carrier, or in
		// words a person confirmed.
		return ConsentOptedIn, SourceApplication, true
	}
	return "", "", false
}

func contactChanged(a, b Contact) bool {
	return a.Name != b.Name || a.Phone != b.Phone || a.Email != b.Email || a.Kind != b.Kind ||
		a.Consent != b.Consent || a.Icon() != b.Icon() || !equalPtr(a.ExternalID, b.ExternalID) ||
		a.TimeZone != b.TimeZone || a.ConsentReview != b.ConsentReview || !equalPtr(a.ConsentRequestedAt, b.ConsentRequestedAt)
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// Contact returns a contact of the caller's company.
func (s *Service) Contact(ctx context.Context, caller User, id int64) (Contact, error) {
	return s.store.Contact(ctx, caller.CompanyID, id)
}

// Contacts lists the caller's company's contacts, newest first, a page at a
// time; next is the cursor of the following page, 0 after the last.
func (s *Service) Contacts(ctx context.Context, caller User, f ContactFilter) (contacts []Contact, next int64, err error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if f.JobID != 0 {
		if _, err := s.store.Job(ctx, caller.CompanyID, f.JobID); err != nil {
			return nil, 0, err
		}
	}
	if q := strings.TrimSpace(f.Q); q != "" && strings.ContainsAny(q, "0123456789") {
		// A search that reads as a phone number, in any form the company
		// writes them, also finds the contact with that number.
		region, err := s.companyRegion(ctx, s.store, caller.CompanyID)
		if err != nil {
			return nil, 0, err
		}
		if e164, err := NormalizePhone(q, region); err == nil {
			f.Phone = e164
		}
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	if contacts, err = s.store.Contacts(ctx, caller.CompanyID, f); err != nil {
		return nil, 0, err
	}
	if len(contacts) > limit {
		contacts = contacts[:limit]
		next = contacts[limit-1].ID
	}
	return contacts, next, nil
}

// ConsentChanges returns a contact's consent ledger, oldest first.
func (s *Service) ConsentChanges(ctx context.Context, caller User, contactID int64) ([]ConsentChange, error) {
	if _, err := s.store.Contact(ctx, caller.CompanyID, contactID); err != nil {
		return nil, err
	}
	return s.store.ConsentChanges(ctx, caller.CompanyID, contactID)
}

// JobInput is what the host ATS pushes for a job posting.
type JobInput struct {
	ExternalID *string `json:"external_id"`
	Title      string  `json:"title"`
}

// UpsertJob creates a job, or updates the one with the same external id.
func (s *Service) UpsertJob(ctx context.Context, caller User, in JobInput) (Job, bool, error) {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 200 {
		return Job{}, false, Invalid("invalid_title", "a job title must be 1 to 200 characters")
	}
	if in.ExternalID != nil {
		ext := strings.TrimSpace(*in.ExternalID)
		if ext == "" || len(ext) > 200 {
			return Job{}, false, Invalid("invalid_external_id", "external_id must be 1 to 200 characters")
		}
		in.ExternalID = &ext
	}
	j := Job{CompanyID: caller.CompanyID, ExternalID: in.ExternalID, Title: in.Title}
	var created bool
	err := s.write(ctx, func(tx Tx) (err error) {
		created, err = tx.UpsertJob(ctx, &j)
		return err
	})
	return j, created, err
}

// Job returns a job of the caller's company.
func (s *Service) Job(ctx context.Context, caller User, id int64) (Job, error) {
	return s.store.Job(ctx, caller.CompanyID, id)
}

// Jobs lists the caller's company's jobs, newest first.
func (s *Service) Jobs(ctx context.Context, caller User) ([]Job, error) {
	return s.store.Jobs(ctx, caller.CompanyID)
}

// AddApplicant records that a contact applied to a job.
func (s *Service) AddApplicant(ctx context.Context, caller User, jobID, contactID int64) error {
	return s.write(ctx, func(tx Tx) error {
		if _, err := tx.Job(ctx, caller.CompanyID, jobID); err != nil {
			return err
		}
		if _, err := tx.Contact(ctx, caller.CompanyID, contactID); err != nil {
			return err
		}
		_, err := tx.AddApplicant(ctx, jobID, contactID)
		return err
	})
}
