package inbox

import (
	"context"
	"time"
)

// Store is the durable truth: PostgreSQL or the embedded SQLite (pkg/store).
// Reads outside a transaction go through its Queries; every change goes
// through Tx, which also writes the change's events and returns them, with
// their seqs, once committed.
type Store interface {
	Queries
	RollupFolder
	WebhookStore
	SSOStore
	// RetentionCompanies are the companies with a retention_days, and it.
	RetentionCompanies(ctx context.Context) (map[int64]int, error)
	// Tx runs fn in one write transaction. Events emitted in fn are given
	// their topic's next gapless seq and stored in the same transaction; Tx
	// returns them after commit. If fn fails, nothing is written.
	Tx(ctx context.Context, fn func(Tx) error) ([]Event, error)
	// Snapshot runs fn on one consistent, read-only view of the store.
	Snapshot(ctx context.Context, fn func(Queries) error) error
	Ping(ctx context.Context) error

	// Tickets are written outside transactions: each call is one atomic
	// statement (two on SQLite), not a transaction of three or four. A
	// ticket remembers the credential that minted it (a.Session, a.TokenID).
	CreateTicket(ctx context.Context, ticketHash string, a Auth, expires time.Time) error
	// RedeemTicket deletes a live ticket and returns who it is for: a
	// ticket works once, and only while its user is active and the session
	// or token that minted it is live.
	RedeemTicket(ctx context.Context, ticketHash string, now time.Time) (Auth, error)

	// TouchSession moves a session's idle deadline to expires, and
	// TouchToken records an API token's use: single statements outside any
	// transaction, written at most once a minute or so per credential.
	TouchSession(ctx context.Context, tokenHash string, expires time.Time) error
	TouchToken(ctx context.Context, id int64, at time.Time) error
	// LiveAuths reports, for each of auths, whether it still authenticates
	// at now: its user is active, and its session or API token, if any, is
	// live. The hub re-checks its sockets with it.
	LiveAuths(ctx context.Context, auths []Auth, now time.Time) ([]bool, error)

	// AcquireLease takes the lease name for holder until until, unless
	// another holder's is live at now; the holder renews it the same way.
	// It reports whether holder has it. One statement, outside any
	// transaction: instances asking at once agree on one holder.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease ends holder's lease at once.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Tx is a write transaction.
type Tx interface {
	Queries
	EraseStore
	// SetUserExternalID links a user to the host ATS's id (SSO).
	SetUserExternalID(ctx context.Context, userID int64, externalID string) error
	ReportRecorder
	ClaimWriter

	// Emit adds an event for topic to the transaction; data is its JSON payload.
	Emit(topic, typ string, data any) error

	CreateCompany(ctx context.Context, c *Company) error
	UpdateCompany(ctx context.Context, c Company) error

	CreateUser(ctx context.Context, u *User, passwordHash string) error
	// UpdateUser stores a's name, role and active flag.
	UpdateUser(ctx context.Context, a Account) error
	SetPasswordHash(ctx context.Context, userID int64, hash string) error
	CreateSession(ctx context.Context, tokenHash string, userID int64, expires time.Time) error
	// DeleteSession ends a session and the websocket tickets it minted.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteUserSessions ends every session of a user but the one whose
	// token hash is except (none when empty), with their tickets.
	DeleteUserSessions(ctx context.Context, userID int64, except string) error
	// EndUserAccess ends every session, API token and ticket of a user.
	EndUserAccess(ctx context.Context, userID int64) error
	// CreateAPIToken stores t (CompanyID, User.ID, Name, ExpiresAt set) and
	// sets its ID and CreatedAt.
	CreateAPIToken(ctx context.Context, t *APIToken, tokenHash string) error
	// DeleteAPIToken revokes a company's token and the tickets it minted,
	// and returns the id of the user it acted as.
	DeleteAPIToken(ctx context.Context, companyID, id int64) (int64, error)
	DeleteExpired(ctx context.Context, now time.Time) error
	// DeleteWebhookNonces forgets the Plivo V2 nonces stored before before.
	DeleteWebhookNonces(ctx context.Context, before time.Time) error

	CreateNumber(ctx context.Context, n *Number) error
	SetAssignees(ctx context.Context, numberID int64, userIDs []int64) error

	CreateContact(ctx context.Context, c *Contact) error
	// EnsureContact creates c unless its company has a contact with its
	// phone already; either way c.ID is then the stored contact's. Two first
	// texts from one phone, stored at once, both find the one contact.
	EnsureContact(ctx context.Context, c *Contact) error
	// UpdateContact stores a contact's name, phone, email, kind, external
	// id and time zone; consent changes go through SetConsent.
	UpdateContact(ctx context.Context, c Contact) error
	// SetConsent appends ch to the contact's ledger, hash-chained to the
	// entry before it, and sets the contact's consent when ch.From differs
	// from ch.To (an entry with From == To records without changing, as a
	// consent request or a review kept does). It returns the stored entry.
	SetConsent(ctx context.Context, ch ConsentChange) (ConsentChange, error)
	// SetConsentReview marks or clears a possible opt-out of a contact.
	SetConsentReview(ctx context.Context, contactID int64, review bool) error
	// SetConsentRequested records when a consent request was sent; the
	// zero time clears it.
	SetConsentRequested(ctx context.Context, contactID int64, at time.Time) error
	// UnchainedConsentChanges are the ledger entries without a hash (written
	// before the ledger was chained), in id order.
	UnchainedConsentChanges(ctx context.Context) ([]ConsentChange, error)
	// ConsentHashBefore is the hash of the contact's last entry before id.
	ConsentHashBefore(ctx context.Context, contactID, id int64) (string, error)
	// SetConsentHash chains an entry that had no hash.
	SetConsentHash(ctx context.Context, id int64, prev, hash string) error

	UpsertJob(ctx context.Context, j *Job) (created bool, err error)
	AddApplicant(ctx context.Context, jobID, contactID int64) (added bool, err error)

	// EnsureThread returns the thread of a number and a contact, creating it.
	EnsureThread(ctx context.Context, companyID, numberID, contactID int64) (int64, error)
	// EnsureThreads is EnsureThread for many threads at once (a batch of
	// inbound texts), in as few statements as the engine allows; every
	// thread is locked for the rest of the transaction, in (number,
	// contact) order. Keys may repeat.
	EnsureThreads(ctx context.Context, keys []ThreadKey) (map[ThreadKey]int64, error)
	// InsertMessage stores m (ThreadID and CompanyID set) and records it on
	// its thread and contact: last message, unread count (inbound raises
	// it), replied_by (outbound). An outbound queued message joins the send
	// queue. A message whose PlivoUUID, or whose sender's IdempotencyKey, is
	// stored already is not inserted and changes nothing: duplicate is true.
	InsertMessage(ctx context.Context, m *Message) (duplicate bool, err error)
	// InsertMessages is InsertMessage for messages of one direction, each
	// on a thread of its own (a batch of inbound texts), with NumberID and
	// ContactID set to their threads': in one statement where the engine
	// allows. A duplicate keeps ID 0.
	InsertMessages(ctx context.Context, ms []*Message) error
	// MarkRead zeroes a thread's unread count and records who read it; it
	// reports false when the thread had nothing unread (nothing changed).
	MarkRead(ctx context.Context, threadID, userID int64, at time.Time) (bool, error)
	// ClaimSends takes up to limit queued messages that are due, at most one
	// per number and only from numbers that have not sent for perNumber,
	// marks them as being sent and returns them. Processes sharing the
	// database never claim the same message or number at once.
	ClaimSends(ctx context.Context, now time.Time, perNumber time.Duration, limit int) ([]OutboundJob, error)
	// MarkSent records the provider's id of a message it accepted.
	MarkSent(ctx context.Context, messageID int64, providerID string) error
	// RetrySend puts a message the provider never got back in the queue.
	RetrySend(ctx context.Context, messageID int64, at time.Time) error
	// MarkSendUnknown records that a send may have reached the provider: it
	// is never sent again, and its status report settles it. A message
	// still queued shows status unknown meanwhile.
	MarkSendUnknown(ctx context.Context, messageID int64) error
	// SetStatus stores a message's status, error and provider id, and takes
	// it out of the send queue for good.
	SetStatus(ctx context.Context, m Message) error
	// SetBilling stores what the provider charged for a message; the fields
	// b leaves empty keep their value.
	SetBilling(ctx context.Context, messageID int64, b Billing) error
	// GateSend records what the send gate decided for a queued message at
	// dispatch: held again, released, or canceled (gate.go).
	GateSend(ctx context.Context, messageID int64, g SendGateUpdate) error
	// AddPendingStatus keeps a report for a message not known yet.
	AddPendingStatus(ctx context.Context, u StatusUpdate) error
	// TakePendingStatuses removes and returns the reports kept for a provider id.
	TakePendingStatuses(ctx context.Context, providerID string) ([]StatusUpdate, error)
	// Sweep does the housekeeping of time: it deletes expired sessions and
	// tickets, events older than eventsBefore, and kept reports older than
	// reportsBefore; it marks sends in flight since before stuckBefore as
	// unknown (their process died mid-send; a message still queued shows
	// status unknown); and it returns the ids of the messages it so marked
	// and of those whose unknown send has had no report since
	// unconfirmedBefore.
	Sweep(ctx context.Context, now, eventsBefore, reportsBefore, stuckBefore, unconfirmedBefore time.Time) (SweepResult, error)

	// MarkUnread raises a read thread's unread count to 1 and clears read_by;
	// it reports false when the thread was unread already.
	MarkUnread(ctx context.Context, threadID int64) (bool, error)

	// SetConsentReviewReason puts a contact under review for a reason
	// other than a text asking to stop (ReviewReasonMissed);
	// SetConsentReview clears it.
	SetConsentReviewReason(ctx context.Context, contactID int64, reason string) error
	// FillMissed gives the missed text with m's PlivoUUID the words of m
	// (Body, MediaURLs, Segments, Encoding, Flagged) and sets m.ID; it is
	// missed no more. It reports false, changing nothing, when no missed
	// text has that id.
	FillMissed(ctx context.Context, m *Message) (bool, error)
	// SetBackfillSucceeded records when the backfill name last ran to its end.
	SetBackfillSucceeded(ctx context.Context, name string, at time.Time) error
	// AdoptSend gives a send in doubt the provider id of the record it
	// turned out to be; false when it is in doubt no more.
	AdoptSend(ctx context.Context, messageID int64, providerID string) (bool, error)
	// CreateTemplate stores t and sets its ID; UpdateTemplate stores its
	// name, body, shared flag and updated_at; DeleteTemplate removes it.
	CreateTemplate(ctx context.Context, t *Template) error
	UpdateTemplate(ctx context.Context, t Template) error
	DeleteTemplate(ctx context.Context, companyID, id int64) error
	// EditScheduled stores a scheduled text's body, segments, encoding,
	// send time, hold note and consent entry, if it is still scheduled
	// and not claimed; false when it is not.
	EditScheduled(ctx context.Context, m Message) (bool, error)
	// CancelPending cancels the texts f selects that wait to be sent
	// (status canceled, never sent, reason as their error reason), and
	// returns their ids.
	CancelPending(ctx context.Context, f CancelFilter, reason string) ([]int64, error)
	// InsertBulkMessages stores the texts of a bulk send, outbound and
	// queued (or scheduled), each on the thread of the number and its
	// contact (made when missing), set-based; it sets their IDs and
	// ThreadIDs and points every thread and contact at its text.
	InsertBulkMessages(ctx context.Context, bulkID, companyID, numberID int64, msgs []Message) error
	// CreateBulkSend stores b and sets its ID.
	CreateBulkSend(ctx context.Context, b *BulkSend) error
	// SetBulkCanceled records when a bulk send was canceled.
	SetBulkCanceled(ctx context.Context, id int64, at time.Time) error
	// SetBulkProgress stores the counts last pushed for a bulk send, and
	// whether it is finished; false (nothing written) when they are the
	// stored ones already.
	SetBulkProgress(ctx context.Context, id int64, progress string, finished bool) (bool, error)
	// ResendInDoubt puts a send in doubt that never reached the provider
	// back in the queue, due at at (a message shown unknown is queued
	// again); false when it is in doubt no more.
	ResendInDoubt(ctx context.Context, messageID int64, at time.Time) (bool, error)
}

// Queries are the reads; every one is scoped by company or by a user, so no
// caller can reach another company's rows.
type Queries interface {
	ReportQueries
	FindQueries
	Company(ctx context.Context, id int64) (Company, error)
	CompanyByName(ctx context.Context, name string) (Company, error)

	User(ctx context.Context, companyID, id int64) (User, error)
	// Account returns a user of the company with whether they are active.
	Account(ctx context.Context, companyID, id int64) (Account, error)
	// UserByEmail returns the user, active or not, and their password
	// hash, for sign-in.
	UserByEmail(ctx context.Context, email string) (Account, string, error)
	Users(ctx context.Context, companyID int64) ([]User, error)
	Accounts(ctx context.Context, companyID int64) ([]Account, error)
	// ActiveAdmins counts the company's active admins.
	ActiveAdmins(ctx context.Context, companyID int64) (int, error)
	// Session returns a session live at now, of an active user.
	Session(ctx context.Context, tokenHash string, now time.Time) (StoredSession, error)
	// APIToken returns a token live at now, of an active user.
	APIToken(ctx context.Context, tokenHash string, now time.Time) (APIToken, error)
	// APITokens lists the company's tokens, expired ones too.
	APITokens(ctx context.Context, companyID int64) ([]APIToken, error)

	Number(ctx context.Context, companyID, id int64) (Number, error)
	// NumbersByE164 finds those of the numbers that exist, of any company:
	// inbound webhooks know only To.
	NumbersByE164(ctx context.Context, e164s []string) ([]Number, error)
	// Numbers returns the company's numbers with their assignees.
	Numbers(ctx context.Context, companyID int64) ([]Number, error)
	// AllNumbers lists the numbers of every company: for the dev-mode
	// simulator only.
	AllNumbers(ctx context.Context) ([]Number, error)
	// UserNumbers returns the numbers a user is assigned to.
	UserNumbers(ctx context.Context, userID int64) ([]Number, error)
	Assignees(ctx context.Context, numberID int64) ([]User, error)

	Contact(ctx context.Context, companyID, id int64) (Contact, error)
	ContactByPhone(ctx context.Context, companyID int64, phone string) (Contact, error)
	// ContactsByPhone finds the company's contacts with those of the phones
	// it has.
	ContactsByPhone(ctx context.Context, companyID int64, phones []string) ([]Contact, error)
	ContactByExternalID(ctx context.Context, companyID int64, externalID string) (Contact, error)
	Contacts(ctx context.Context, companyID int64, f ContactFilter) ([]Contact, error)
	ConsentChanges(ctx context.Context, companyID, contactID int64) ([]ConsentChange, error)
	// LatestConsentChange is the contact's last ledger entry (not_found
	// when it has none): the one that allows a text now.
	LatestConsentChange(ctx context.Context, contactID int64) (ConsentChange, error)
	// ConsentLedgerPage reads every company's ledger in id order, after
	// afterID: for verifying the chains.
	ConsentLedgerPage(ctx context.Context, afterID int64, limit int) ([]ConsentChange, error)
	// ConsentSends lists the contact's outbound texts with the ledger entry
	// that allowed each.
	ConsentSends(ctx context.Context, companyID, contactID int64) ([]ConsentSend, error)
	// LastInbound is when the contact last texted the number (any number
	// for numberID 0); nil when never.
	LastInbound(ctx context.Context, companyID, contactID, numberID int64) (*time.Time, error)

	Job(ctx context.Context, companyID, id int64) (Job, error)
	JobByExternalID(ctx context.Context, companyID int64, externalID string) (Job, error)
	Jobs(ctx context.Context, companyID int64) ([]Job, error)

	Thread(ctx context.Context, companyID, id int64) (Thread, error)
	// Threads returns threads by filter, unread first then newest first.
	Threads(ctx context.Context, companyID int64, f ThreadFilter) ([]Thread, error)
	// UnreadThreads counts the threads of the given numbers with unread messages.
	UnreadThreads(ctx context.Context, companyID int64, numberIDs []int64) (int, error)
	Message(ctx context.Context, companyID, id int64) (Message, error)
	// MessageByID and MessageByUUID find a message of any company: provider
	// callbacks know no company.
	MessageByID(ctx context.Context, id int64) (Message, error)
	MessageByUUID(ctx context.Context, providerID string) (Message, error)
	MessageByIdempotencyKey(ctx context.Context, userID int64, key string) (Message, string, error)
	// Messages returns messages of the given threads with id < Before (if
	// set), the newest Limit of them, oldest first.
	Messages(ctx context.Context, companyID int64, threadIDs []int64, before int64, limit int) ([]Message, error)

	// QueueDepth counts the messages waiting to be sent.
	QueueDepth(ctx context.Context) (int, error)
	// NextSendAt is when the earliest queued message may be claimed: the
	// later of its own due time and its number's lane (ClaimSends); false
	// when nothing is queued.
	NextSendAt(ctx context.Context) (time.Time, bool, error)

	// Templates lists the company's shared templates and the user's own,
	// by name; Template returns any template of the company.
	Templates(ctx context.Context, companyID, userID int64) ([]Template, error)
	Template(ctx context.Context, companyID, id int64) (Template, error)
	// ContactsByID returns those of the company's contacts with the ids.
	ContactsByID(ctx context.Context, companyID int64, ids []int64) ([]Contact, error)
	// GateFacts reads, for many contacts at once, what the send gate reads
	// of each: the latest consent entry, and when the contact last texted
	// the number (key numberID) and any number (key 0).
	GateFacts(ctx context.Context, companyID, numberID int64, contactIDs []int64) (map[int64]ConsentChange, map[[2]int64]time.Time, error)
	// BulkSend returns a company's bulk send (counts not filled in);
	// BulkCounts counts its messages by status.
	BulkSend(ctx context.Context, companyID, id int64) (BulkSend, error)
	BulkCounts(ctx context.Context, id int64) (BulkCounts, error)
	// UnfinishedBulkSends lists the bulk sends still in progress.
	UnfinishedBulkSends(ctx context.Context) ([]BulkSend, error)
	// BackfillSucceeded is when the backfill name last ran to its end;
	// false when it never has.
	BackfillSucceeded(ctx context.Context, name string) (time.Time, bool, error)
	// MissedTexts counts a contact's missed texts whose words are unknown.
	MissedTexts(ctx context.Context, contactID int64) (int, error)
	// SendsInDoubt lists up to limit sends in doubt (send state unknown)
	// that no report has settled, whose attempt began before before.
	SendsInDoubt(ctx context.Context, before time.Time, limit int) ([]SendInDoubt, error)
	// KnownProviderIDs returns those of ids that some message has as its
	// provider id.
	KnownProviderIDs(ctx context.Context, ids []string) ([]string, error)

	// TopicSeqs returns the current seq of each topic (0 for none yet).
	TopicSeqs(ctx context.Context, topics []string) (map[string]int64, error)
	// EventsAfter returns up to limit events of topic with seq > after, in
	// order; ErrEventsPruned when some are no longer kept.
	EventsAfter(ctx context.Context, topic string, after int64, limit int) ([]Event, error)
}

// SweepResult is what Tx.Sweep found about sends.
type SweepResult struct {
	// InDoubt are the messages whose send it marked unknown: in flight
	// since before stuckBefore.
	InDoubt []int64
	// Unconfirmed are the messages whose unknown send has had no report
	// since before unconfirmedBefore: they fail visibly.
	Unconfirmed []int64
}

// ContactFilter selects contacts: Q matches name, phone or email, and so
// does Phone, an E.164 number Q was read as (a contact's phone equal to it);
// JobID keeps a job's applicants; After is the keyset cursor (the last id
// seen).
type ContactFilter struct {
	Q     string
	Phone string
	JobID int64
	After int64
	Limit int
}

// ThreadFilter selects threads: those of the given numbers, or of a contact.
type ThreadFilter struct {
	NumberIDs []int64
	ContactID int64
	ThreadIDs []int64 // nil: any
	Limit     int
}

// ConsentSend is an outbound text and the consent entry that allowed it
// (nil for a text no entry allowed: a HELP reply to a contact never asked).
type ConsentSend struct {
	MessageID      int64  `json:"message_id" db:"id"`
	ConsentEntryID *int64 `json:"consent_entry_id" db:"consent_entry_id"`
}

// SendGateUpdate is what the gate decided at dispatch for a claimed text.
type SendGateUpdate struct {
	Status         Status     // scheduled (held again), queued (released) or canceled
	SendState      string     // pending (held), sending (released), canceled
	SendAfter      *time.Time // when a held text goes
	HoldNote       string
	ErrorCode      string // why a canceled text never went
	ErrorReason    string
	ConsentEntryID *int64
}

// SendInDoubt is an outbound text whose send may or may not have reached
// the provider: from the number From to the contact's phone To, in an
// attempt that began at BeganAt.
type SendInDoubt struct {
	MessageID, CompanyID, NumberID, ContactID int64
	From, To                                  string
	BeganAt                                   time.Time
}

// CancelFilter selects texts waiting to be sent: one message (only while
// scheduled, when OnlyScheduled), or a bulk send's.
type CancelFilter struct {
	MessageID     int64
	OnlyScheduled bool
	BulkID        int64
}

// ThreadKey names a thread: a number and a contact of a company.
type ThreadKey struct {
	CompanyID, NumberID, ContactID int64
}
