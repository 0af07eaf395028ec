package inbox

import (
	"encoding/json"
	"time"
)

// Role is what a user may do: admins manage the company, recruiters text.
type Role string

// The two roles.
const (
	RoleAdmin     Role = "admin"
	RoleRecruiter Role = "recruiter"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleRecruiter }

// Company is a tenant: it owns every other record, and no request ever sees
// another company's data.
type Company struct {
	ID          int64     `json:"id" db:"id"`
	Name        string    `json:"name" db:"name"`
	SMSEnabled  bool      `json:"sms_enabled" db:"sms_enabled"`
	OptoutReply string    `json:"optout_reply" db:"optout_reply"` // sent once on STOP; empty sends nothing
	HelpReply   string    `json:"help_reply" db:"help_reply"`     // sent on HELP; empty sends nothing
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
	// ClaimOnRead: the read that clears every assignee's bell also claims
	// the thread for the reader. ClaimMinutes: how long a claim lasts
	// without a reply before it lapses.
	ClaimOnRead  bool `json:"claim_on_read" db:"claim_on_read"`
	ClaimMinutes int  `json:"claim_minutes" db:"claim_minutes"`
	// DefaultRegion is the ISO 3166 alpha-2 region national-format phone
	// numbers are read in ("(020) 7946 0018" is British in GB). Stored empty
	// it follows the server's (INBOX_DEFAULT_REGION); the Service always
	// shows the region in effect.
	DefaultRegion string `json:"default_region" db:"default_region"`

	// OptinReply confirms an opt-in by keyword; ConsentRequest asks a
	// contact for consent. "{company}" in either becomes Name.
	OptinReply     string `json:"optin_reply" db:"optin_reply"`
	ConsentRequest string `json:"consent_request" db:"consent_request"`
	// QuietHours is when no text may reach a contact, in the contact's
	// local time; nil: none (the operator's choice).
	QuietHours *QuietHours `json:"quiet_hours" db:"-"`

	// Single sign-on from the host ATS (sso.go): its tokens' issuer, and
	// the HS256 secret (never shown: SSOSecretSet tells whether there is
	// one) or the JWKS URL of its keys; SSOProvision creates unknown users
	// as recruiters.
	SSOIssuer    string `json:"sso_issuer" db:"sso_issuer"`
	SSOSecret    string `json:"-" db:"sso_secret"`
	SSOSecretSet bool   `json:"sso_secret_set" db:"-"`
	SSOJWKSURL   string `json:"sso_jwks_url" db:"sso_jwks_url"`
	SSOProvision bool   `json:"sso_provision" db:"sso_provision"`
	// RetentionDays erases message words older than this many days; nil
	// keeps them.
	RetentionDays *int `json:"retention_days" db:"retention_days"`
}

// User is a person who signs in: an admin or a recruiter of one company.
type User struct {
	ID        int64  `json:"id" db:"id"`
	CompanyID int64  `json:"-" db:"company_id"`
	Email     string `json:"email" db:"email"`
	Name      string `json:"name" db:"name"`
	Role      Role   `json:"role" db:"role"`
}

// IsAdmin reports whether u may use the admin routes and the report.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// Number is a company phone number that sends and receives texts; its
// assignees are the only users who see its threads.
type Number struct {
	ID        int64  `json:"id" db:"id"`
	CompanyID int64  `json:"-" db:"company_id"`
	E164      string `json:"e164" db:"e164"`
	Label     string `json:"label" db:"label"`
	Assignees []User `json:"assignees,omitempty" db:"-"`
}

// Kind of contact.
const (
	KindCandidate = "candidate"
	KindHire      = "hire"
)

// Consent is a contact's SMS consent state.
type Consent string

// The consent states of API.md.
const (
	ConsentOptedIn  Consent = "opted_in"
	ConsentOptedOut Consent = "opted_out"
	ConsentUnknown  Consent = "unknown"
	// ConsentImplied is a contact who texted first while their consent was
	// unknown: replies on that thread are allowed for a while (gate.go).
	ConsentImplied Consent = "implied"
)

// Icon is the state of the SMS icon next to a contact.
type Icon string

// The icon states of API.md.
const (
	IconHidden Icon = "hidden"
	IconBlue   Icon = "blue"
	IconGreen  Icon = "green"
)

// IconFor is the SMS icon rule: hidden unless texting is on for the company
// and the contact opted in; blue until any message was exchanged; green after.
func IconFor(smsEnabled bool, consent Consent, communicated bool) Icon {
	switch {
	case !smsEnabled || consent != ConsentOptedIn:
		return IconHidden
	case communicated:
		return IconGreen
	default:
		return IconBlue
	}
}

// Contact is a candidate or hire the company may text.
type Contact struct {
	ID            int64      `db:"id"`
	CompanyID     int64      `db:"company_id"`
	ExternalID    *string    `db:"external_id"`
	Name          string     `db:"name"`
	Phone         string     `db:"phone"`
	Email         string     `db:"email"`
	Kind          string     `db:"kind"`
	Consent       Consent    `db:"consent"`
	ConsentSource string     `db:"consent_source"` // what set the current state: application, ats, keyword, admin
	ConsentAt     *time.Time `db:"consent_at"`
	LastMessageAt *time.Time `db:"last_message_at"` // any message on any number: the icon is green
	SMSEnabled    bool       `db:"sms_enabled"`     // the company's switch, loaded with the contact
	CreatedAt     time.Time  `db:"created_at"`

	TimeZone      string `db:"time_zone"`      // IANA; empty: the zones of the phone number
	ConsentReview bool   `db:"consent_review"` // a possible opt-out waits for a person: no text goes
	// ConsentRequestedAt is when a consent request was last sent; a YES
	// answers it while it is pending (consent.go).
	ConsentRequestedAt *time.Time `db:"consent_requested_at"`
	// ConsentReviewReason is why the contact is under review when it is
	// not that a text asked to stop: ReviewReasonMissed. Empty otherwise.
	ConsentReviewReason string `db:"consent_review_reason"`
	// ErasedAt is when the contact's personal data was erased.
	ErasedAt *time.Time `db:"erased_at"`
}

// Why a contact is under review (ContactSMS.ReviewReason).
const (
	// ReviewReasonAskedToStop: a text asked to stop in a sentence.
	ReviewReasonAskedToStop = "asked_to_stop"
	// ReviewReasonMissed: a text of theirs was missed while the server
	// was down, and Plivo keeps no copy of its words: it may have been STOP.
	ReviewReasonMissed = "missed"
)

// ReviewReason is why the contact is under review, "" when it is not.
func (c Contact) ReviewReason() string {
	switch {
	case !c.ConsentReview:
		return ""
	case c.ConsentReviewReason == ReviewReasonMissed:
		return ReviewReasonMissed
	}
	return ReviewReasonAskedToStop
}

// ContactSMS is the "sms" object of the Contact JSON.
type ContactSMS struct {
	Consent   Consent    `json:"consent"`
	Icon      Icon       `json:"icon"`
	Source    string     `json:"source,omitempty"`
	ChangedAt *time.Time `json:"changed_at,omitempty"`
	// Review is true while a possible opt-out waits for a person.
	Review bool `json:"review"`
	// RequestedAt is when consent was last asked for by text.
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	// ReviewReason says why Review is true: ReviewReasonAskedToStop or
	// ReviewReasonMissed; absent when it is false.
	ReviewReason string `json:"review_reason,omitempty"`
}

// Icon is the contact's SMS icon state.
func (c Contact) Icon() Icon { return IconFor(c.SMSEnabled, c.Consent, c.LastMessageAt != nil) }

// MarshalJSON writes the Contact of API.md, with the icon derived so that it
// can never disagree with consent and history.
func (c Contact) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID         int64      `json:"id"`
		ExternalID *string    `json:"external_id"`
		Name       string     `json:"name"`
		Phone      string     `json:"phone"`
		Email      string     `json:"email"`
		Kind       string     `json:"kind"`
		TimeZone   string     `json:"time_zone"`
		SMS        ContactSMS `json:"sms"`
		CreatedAt  time.Time  `json:"created_at"`
	}{c.ID, c.ExternalID, c.Name, c.Phone, c.Email, c.Kind, c.TimeZone,
		ContactSMS{c.Consent, c.Icon(), c.ConsentSource, c.ConsentAt, c.ConsentReview, c.ConsentRequestedAt, c.ReviewReason()}, c.CreatedAt})
}

// UnmarshalJSON reads the Contact of API.md, for Go clients of the API.
func (c *Contact) UnmarshalJSON(b []byte) error {
	var v struct {
		ID         int64      `json:"id"`
		ExternalID *string    `json:"external_id"`
		Name       string     `json:"name"`
		Phone      string     `json:"phone"`
		Email      string     `json:"email"`
		Kind       string     `json:"kind"`
		TimeZone   string     `json:"time_zone"`
		SMS        ContactSMS `json:"sms"`
		CreatedAt  time.Time  `json:"created_at"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Contact{ID: v.ID, ExternalID: v.ExternalID, Name: v.Name, Phone: v.Phone, Email: v.Email, Kind: v.Kind,
		Consent: v.SMS.Consent, ConsentSource: v.SMS.Source, ConsentAt: v.SMS.ChangedAt, CreatedAt: v.CreatedAt,
		TimeZone: v.TimeZone, ConsentReview: v.SMS.Review, ConsentRequestedAt: v.SMS.RequestedAt,
		ConsentReviewReason: missedReason(v.SMS.ReviewReason),
		// The icon is derived; these two make Icon() answer what the server said.
		SMSEnabled: v.SMS.Icon != IconHidden || v.SMS.Consent != ConsentOptedIn}
	if v.SMS.Icon == IconGreen {
		c.LastMessageAt = &v.CreatedAt
	}
	return nil
}

// missedReason keeps the one review reason a Contact stores.
func missedReason(r string) string {
	if r == ReviewReasonMissed {
		return r
	}
	return ""
}

// ConsentChange is one entry of a contact's consent ledger. Entries are
// never changed once written; each carries the hash of the one before it of
// the same contact and its own (ledger.go), so an altered entry shows.
type ConsentChange struct {
	ID        int64     `json:"id" db:"id"`
	CompanyID int64     `json:"-" db:"company_id"`
	ContactID int64     `json:"contact_id" db:"contact_id"`
	From      Consent   `json:"from" db:"from_state"`
	To        Consent   `json:"to" db:"to_state"`
	Source    string    `json:"source" db:"source"`
	Keyword   string    `json:"keyword,omitempty" db:"keyword"`
	UserID    *int64    `json:"user_id" db:"user_id"`
	MessageID *int64    `json:"message_id" db:"message_id"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	Note      string    `json:"note" db:"note"`
	PrevHash  string    `json:"prev_hash" db:"prev_hash"`
	Hash      string    `json:"hash" db:"hash"`
}

// Sources of consent changes.
const (
	SourceApplication  = "application"   // opted in while applying (the ATS said so)
	SourceATS          = "ats"           // the host ATS withdrew consent
	SourceKeyword      = "keyword"       // the contact texted STOP / START / YES to a request
	SourceAdmin        = "admin"         // an admin changed it through PATCH /api/contacts/{id}
	SourcePhoneChanged = "phone_changed" // consent belongs to a phone: a new one starts unknown
	SourceErasure      = "erasure"       // the contact's personal data was erased (the state is unchanged)
	SourceInbound      = "inbound"       // the contact texted first: implied consent
	SourceCarrier      = "carrier"       // a status report said the phone opted out or blocks us
	SourceReview       = "review"        // a person decided a possible opt-out
	SourceRequest      = "request"       // a consent request was sent (the state does not change)
)

// Job is a job posting pushed in by the host ATS.
type Job struct {
	ID         int64     `json:"id" db:"id"`
	CompanyID  int64     `json:"-" db:"company_id"`
	ExternalID *string   `json:"external_id" db:"external_id"`
	Title      string    `json:"title" db:"title"`
	Applicants int       `json:"applicants" db:"applicants"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

// Direction of a message.
type Direction string

// The two directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// Status of a message. Inbound messages are received; outbound ones go queued
// → sent → delivered, or end failed / undelivered. An outbound message whose
// send may or may not have reached the provider is unknown until a status
// report or the unconfirmed timeout settles it.
type Status string

// The statuses of API.md.
const (
	StatusReceived    Status = "received"
	StatusQueued      Status = "queued"
	StatusSent        Status = "sent"
	StatusDelivered   Status = "delivered"
	StatusUndelivered Status = "undelivered"
	StatusFailed      Status = "failed"
	// StatusUnknown is a send in doubt: the process may have handed it to the
	// provider before it died or timed out. It is never sent again blindly;
	// the UI says "checking with Plivo".
	StatusUnknown Status = "unknown"
	// StatusScheduled is an outbound text waiting for its time (quiet
	// hours); StatusCanceled one that will never go (the gate refused it
	// at dispatch, ErrorCode says why).
	StatusScheduled Status = "scheduled"
	StatusCanceled  Status = "canceled"
)

// Message is one text, in or out.
type Message struct {
	ID          int64     `json:"id" db:"id"`
	CompanyID   int64     `json:"-" db:"company_id"`
	ThreadID    int64     `json:"thread_id" db:"thread_id"`
	NumberID    int64     `json:"number_id" db:"number_id"`
	ContactID   int64     `json:"contact_id" db:"contact_id"`
	Direction   Direction `json:"direction" db:"direction"`
	Body        string    `json:"body" db:"body"`
	Status      Status    `json:"status" db:"status"`
	ErrorCode   string    `json:"error_code" db:"error_code"`
	ErrorReason string    `json:"error_reason,omitempty" db:"error_reason"`
	Segments    int       `json:"segments" db:"segments"`
	Encoding    string    `json:"encoding" db:"encoding"`
	SentBy      *User     `json:"sent_by" db:"-"`
	PlivoUUID   *string   `json:"plivo_uuid" db:"plivo_uuid"`
	MediaURLs   []string  `json:"media_urls,omitempty" db:"-"`
	Flagged     bool      `json:"flagged,omitempty" db:"flagged"` // mentions an opt-out word without being one
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
	// Missed is an inbound text Plivo's records show and no webhook
	// brought: stored without words (Plivo keeps none) at Plivo's time,
	// until a late webhook fills them in.
	Missed bool `json:"missed,omitempty" db:"missed"`

	// SendAt is when a scheduled text goes; HoldNote says why it waits
	// ("Held until 8:00 AM candidate's time").
	SendAt   *time.Time `json:"send_at,omitempty" db:"send_at"`
	HoldNote string     `json:"hold_note,omitempty" db:"hold_note"`
	// Purpose is why an outbound text is sent: a user's text (""), a
	// keyword's confirmation, or a consent request (gate.go).
	Purpose Purpose `json:"purpose,omitempty" db:"purpose"`
	// ConsentEntryID is the ledger entry that allowed an outbound text.
	ConsentEntryID *int64 `json:"-" db:"consent_entry_id"`
	// BulkID is the bulk send an outbound text is part of; ResendOf the
	// failed text it sends again.
	BulkID   *int64 `json:"bulk_id,omitempty" db:"bulk_id"`
	ResendOf *int64 `json:"resend_of,omitempty" db:"resend_of"`

	// IdempotencyKey and RequestHash are the sender's Idempotency-Key and a
	// hash of what it was first used for; stored, never shown.
	IdempotencyKey string `json:"-" db:"-"`
	RequestHash    string `json:"-" db:"-"`
}

// Thread is the conversation between one number and one contact, with a read
// state shared by every assignee of the number.
type Thread struct {
	ID            int64      `json:"id"`
	CompanyID     int64      `json:"-"`
	Number        Number     `json:"number"`
	Contact       Contact    `json:"contact"`
	UnreadCount   int        `json:"unread_count"`
	LastMessage   *Message   `json:"last_message"`
	LastMessageAt *time.Time `json:"last_message_at"`
	ReadBy        *User      `json:"read_by"`
	ReadAt        *time.Time `json:"read_at"`
	RepliedBy     *User      `json:"replied_by"` // sender of the latest outbound message
	// AwaitingSince is when the contact's unanswered texts began: set while
	// the latest message is inbound with no outbound after it.
	AwaitingSince *time.Time `json:"awaiting_since"`
	// ClaimedBy is handling the thread since ClaimedAt, until a reply, a
	// release, or ClaimExpiresAt (then it lapses and the thread is unread
	// again for every assignee).
	ClaimedBy      *User      `json:"claimed_by"`
	ClaimedAt      *time.Time `json:"claimed_at"`
	ClaimExpiresAt *time.Time `json:"claim_expires_at"`
}
