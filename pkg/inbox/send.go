package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"smsinbox/pkg/plainchars"
)

// MaxBodyChars is the longest text a user may send.
const MaxBodyChars = 1600

// SendRequest is a text a user wants to send to a contact.
type SendRequest struct {
	Body           string
	NumberID       int64  // optional: which of the caller's numbers sends it
	IdempotencyKey string // optional: a repeat with the same key sends nothing
	// TemplateID sends a template instead of Body, rendered on the server
	// for the contact; JobID is the job its {{job.title}} names.
	TemplateID, JobID int64
	// SendAt schedules the text (status scheduled until then).
	SendAt *time.Time
	// PlainCharacters replaces look-alike characters (curly quotes, dashes…)
	// with plain ones (pkg/plainchars).
	PlainCharacters bool
}

// hashInput is what an Idempotency-Key is bound to.
func (r SendRequest) hashInput() string {
	s := r.Body
	if r.TemplateID != 0 || r.JobID != 0 || r.SendAt != nil || r.PlainCharacters {
		s += "\x00" + strconv.FormatInt(r.TemplateID, 10) + "/" + strconv.FormatInt(r.JobID, 10) + "/" +
			strconv.FormatBool(r.PlainCharacters)
		if r.SendAt != nil {
			s += "/" + r.SendAt.UTC().Format(time.RFC3339Nano)
		}
	}
	return s
}

// Send queues a text from the caller to a contact and returns the queued
// message; the outbox sends it. The checks run in the server, in order: the
// caller may see the contact (else not_found); texting is on (sms_disabled);
// the caller is assigned to the sending number (not_assigned); the send
// gate (CheckSend: opt_out_review, opted_out, no_consent); the body is 1 to
// 1,600 characters (invalid_body); a number is decided (number_required). A
// text the gate holds for quiet hours is stored as scheduled, with SendAt
// and HoldNote, and goes when they end.
func (s *Service) Send(ctx context.Context, caller User, contactID int64, req SendRequest) (Message, error) {
	if len(req.IdempotencyKey) > 255 {
		return Message{}, Invalid("invalid_idempotency_key", "an Idempotency-Key must be at most 255 characters")
	}
	if err := checkSendAt(req.SendAt, s.now()); err != nil {
		return Message{}, err
	}
	if req.TemplateID != 0 && strings.TrimSpace(req.Body) != "" {
		return Message{}, Invalid("invalid_body", "send either a body or a template_id, not both")
	}
	hash := requestHash(contactID, req.hashInput())
	if req.IdempotencyKey != "" {
		if m, ok, err := s.repeatedSend(ctx, caller, req.IdempotencyKey, hash); ok || err != nil {
			return m, err
		}
	}
	var m Message
	err := s.write(ctx, func(tx Tx) error {
		c, err := tx.Contact(ctx, caller.CompanyID, contactID)
		if err != nil {
			return err
		}
		if !c.SMSEnabled {
			return Errorf(KindConflict, "sms_disabled", "text messaging is switched off for your company")
		}
		number, err := s.sendingNumber(ctx, tx, caller, c, req.NumberID)
		if err != nil {
			return err
		}
		company, err := tx.Company(ctx, caller.CompanyID)
		if err != nil {
			return err
		}
		check := SendCheck{Company: company, Contact: c, Purpose: PurposeText, At: s.now()}
		if req.SendAt != nil {
			check.At = req.SendAt.UTC()
		}
		if number != nil {
			check.NumberID = number.ID
		}
		decision, err := s.CheckSend(ctx, tx, check)
		if err != nil {
			return err
		}
		body := req.Body
		if req.TemplateID != 0 {
			t, err := visibleTemplate(ctx, tx, caller, req.TemplateID)
			if err != nil {
				return err
			}
			if body, err = s.renderFor(ctx, tx, caller, t.Body, c, number, req.JobID); err != nil {
				return err
			}
		}
		if body, err = textBody(body, req.PlainCharacters); err != nil {
			return err
		}
		if number == nil {
			return Invalid("number_required", "you are assigned to several numbers; choose which one sends this text")
		}
		m = Message{CompanyID: caller.CompanyID, Direction: Outbound, Body: body, Status: StatusQueued,
			SentBy: &caller, IdempotencyKey: req.IdempotencyKey, RequestHash: hash}
		scheduleAt(&m, req.SendAt)
		decision.apply(&m)
		dup, err := s.addMessage(ctx, tx, c, *number, &m)
		if err != nil {
			return err
		}
		if dup {
			return errRepeatedKey
		}
		return nil
	})
	if err == errRepeatedKey {
		// Another request with the same key won the race: answer its message.
		m, _, err = s.repeatedSend(ctx, caller, req.IdempotencyKey, hash)
		return m, err
	}
	if err == nil {
		s.wakeOutbox()
	}
	return m, err
}

// textBody is the body a text goes with: trimmed, its look-alike
// characters replaced when plain is asked for, and 1 to 1,600 characters
// (else invalid_body).
func textBody(body string, plain bool) (string, error) {
	body = strings.TrimSpace(body)
	if plain {
		body = plainText(body)
	}
	if n := utf8.RuneCountInString(body); n == 0 || n > MaxBodyChars {
		return "", Invalid("invalid_body", "a text must be 1 to %d characters; this one has %d", MaxBodyChars, n)
	}
	return body, nil
}

// plainText replaces look-alike characters with plain ones.
func plainText(s string) string { return plainchars.Replace(s) }

// MaxScheduleAhead is how far ahead a text may be scheduled.
const MaxScheduleAhead = 366 * 24 * time.Hour

// checkSendAt: a scheduled time is in the future, within a year.
func checkSendAt(at *time.Time, now time.Time) error {
	if at == nil {
		return nil
	}
	if !at.After(now) {
		return Invalid("invalid_send_at", "send_at must be in the future")
	}
	if at.Sub(now) > MaxScheduleAhead {
		return Invalid("invalid_send_at", "send_at must be within a year")
	}
	return nil
}

// scheduleAt makes m a text scheduled for at (none when nil).
func scheduleAt(m *Message, at *time.Time) {
	if at != nil {
		t := at.UTC()
		m.Status, m.SendAt = StatusScheduled, &t
	}
}

// apply puts the gate's decision on a message about to be stored: the
// consent entry that allows it and, when held, its time and notice.
func (d SendDecision) apply(m *Message) {
	m.ConsentEntryID = d.ConsentEntryID
	if d.Held {
		at := d.At
		m.Status, m.SendAt, m.HoldNote = StatusScheduled, &at, d.HoldNote
	}
}

var errRepeatedKey = Errorf(KindConflict, "repeated_key", "a message with this Idempotency-Key was stored meanwhile")

// repeatedSend answers a send whose Idempotency-Key was used before: the same
// message if the request is the same, idempotency_mismatch if not.
func (s *Service) repeatedSend(ctx context.Context, caller User, key, hash string) (Message, bool, error) {
	m, stored, err := s.store.MessageByIdempotencyKey(ctx, caller.ID, key)
	switch {
	case ErrorKind(err) == KindNotFound:
		return Message{}, false, nil
	case err != nil:
		return Message{}, false, err
	case stored != hash:
		return Message{}, true, Invalid("idempotency_mismatch", "this Idempotency-Key was used for a different text or contact")
	}
	return m, true, nil
}

func requestHash(contactID int64, body string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(contactID, 10) + "\x00" + strings.TrimSpace(body)))
	return hex.EncodeToString(sum[:])
}

// sendingNumber picks the number a text goes out on (API.md): the one asked
// for, which the caller must be assigned to; else the number of the most
// recent thread between the contact and one of the caller's numbers; else the
// caller's only number. nil means the caller must choose.
func (s *Service) sendingNumber(ctx context.Context, q Queries, caller User, c Contact, numberID int64) (*Number, error) {
	mine, err := q.UserNumbers(ctx, caller.ID)
	if err != nil {
		return nil, err
	}
	if numberID != 0 {
		n, err := q.Number(ctx, caller.CompanyID, numberID)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(numberIDs(mine), n.ID) {
			return nil, Errorf(KindForbidden, "not_assigned", "you are not assigned to the number %s (%s), so you cannot text from it", n.E164, n.Label)
		}
		return &n, nil
	}
	switch len(mine) {
	case 0:
		return nil, Errorf(KindForbidden, "not_assigned", "you are not assigned to any number; ask an admin to assign you one")
	case 1:
		return &mine[0], nil
	}
	threads, err := q.Threads(ctx, caller.CompanyID, ThreadFilter{NumberIDs: numberIDs(mine), ContactID: c.ID, Limit: 50})
	if err != nil {
		return nil, err
	}
	var latest *Thread
	for i, th := range threads {
		if th.LastMessageAt != nil && (latest == nil || th.LastMessageAt.After(*latest.LastMessageAt)) {
			latest = &threads[i]
		}
	}
	if latest == nil {
		return nil, nil
	}
	return &latest.Number, nil
}

// addMessage stores a message on the thread of a number and a contact, and
// emits its events: message.created on the number's topic, and
// contact.updated on the company's when the contact's icon changes (the first
// message turns it green).
func (s *Service) addMessage(ctx context.Context, tx Tx, c Contact, n Number, m *Message) (bool, error) {
	threadID, err := tx.EnsureThread(ctx, c.CompanyID, n.ID, c.ID)
	if err != nil {
		return false, err
	}
	s.prepareMessage(c, n, threadID, m)
	dup, err := tx.InsertMessage(ctx, m)
	if err != nil || dup {
		return dup, err
	}
	th, err := tx.Thread(ctx, c.CompanyID, threadID)
	if err != nil {
		return false, err
	}
	if th.LastMessage != nil && th.LastMessage.ID == m.ID {
		*m = *th.LastMessage
	}
	// A person's reply ends the thread's claim: it is handled. (An
	// automatic reply is not a person handling it.)
	var holder *User
	if m.Direction == Outbound && m.SentBy != nil {
		if holder, err = s.endClaim(ctx, tx, &th); err != nil {
			return false, err
		}
	}
	if err := emit(tx, c.CompanyID, n.ID, EventMessageCreated, map[string]any{"thread": th, "message": m}); err != nil {
		return false, err
	}
	if holder != nil {
		err := emit(tx, c.CompanyID, n.ID, EventThreadReleased, ClaimEvent{Thread: th, User: holder, By: m.SentBy, Reason: ReleaseReplied})
		if err != nil {
			return false, err
		}
	}
	if c.Icon() != th.Contact.Icon() {
		return false, tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": th.Contact})
	}
	return false, nil
}

// prepareMessage readies m to be stored on the thread (threadID) of c and n.
func (s *Service) prepareMessage(c Contact, n Number, threadID int64, m *Message) {
	m.ThreadID, m.CompanyID, m.NumberID, m.ContactID = threadID, c.CompanyID, n.ID, c.ID
	_, m.Segments, m.Encoding = CountSegments(m.Body)
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
}
