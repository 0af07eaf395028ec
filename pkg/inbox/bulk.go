package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxBulkContacts is the most contacts one bulk send texts.
const MaxBulkContacts = 1000

// The events of bulk sends. EventBulkProgress is a bulk send's counts,
// pushed to its sender's sockets (UserTopic) as they change.
// EventBulkQueued and EventBulkCanceled tell a number's assignees that a
// bulk send queued or canceled many texts on it at once: they refetch the
// threads they show.
const (
	EventBulkProgress = "bulk.progress"
	EventBulkQueued   = "bulk.queued"
	EventBulkCanceled = "bulk.canceled"
)

// UserTopic is the topic of one user's own events (bulk.progress): only
// that user's sockets get them.
func UserTopic(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// BulkRequest is one text to many contacts: those listed, or a job's
// applicants; a body or a template (rendered for each contact).
type BulkRequest struct {
	NumberID        int64
	ContactIDs      []int64
	JobID           int64
	Body            string
	TemplateID      int64
	SendAt          *time.Time
	PlainCharacters bool
	// DryRun checks without storing or sending anything: the answer says
	// who would be texted and who skipped, with ID 0.
	DryRun bool
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// BulkSkip is a contact a bulk send does not text, and why: the send gate's
// code (opted_out, no_consent, opt_out_review…), missing_field (the
// template has no value for it), invalid_body, or not_found.
type BulkSkip struct {
	ContactID int64  `json:"contact_id"`
	Reason    string `json:"reason"`
}

// BulkSend is a bulk send and its progress. Total is the contacts asked
// for; Skipped those not texted. Of the others, Queued wait to be sent
// (scheduled ones too), Sent went to the provider (or may have: in doubt),
// Delivered reached the phone, Failed did not (failed or undelivered), and
// Canceled never went (the bulk send was canceled, or the gate refused the
// text at dispatch).
type BulkSend struct {
	ID        int64      `json:"id"`
	CompanyID int64      `json:"-"`
	UserID    int64      `json:"-"`
	NumberID  int64      `json:"number_id"`
	Total     int        `json:"total"`
	Queued    int        `json:"queued"`
	Sent      int        `json:"sent"`
	Delivered int        `json:"delivered"`
	Failed    int        `json:"failed"`
	Canceled  int        `json:"canceled"`
	Skipped   []BulkSkip `json:"skipped"`
	Percent   int        `json:"percent"`
	CreatedAt time.Time  `json:"created_at"`
	// CanceledAt is when its sender canceled what was unsent.
	CanceledAt *time.Time `json:"canceled_at"`
}

// BulkCounts are the statuses of a bulk send's messages.
type BulkCounts struct {
	Queued, Sent, Delivered, Failed, Canceled int
}

// setCounts fills b's counts and its percent done: of the texts it queued,
// how many are no longer waiting.
func (b *BulkSend) setCounts(c BulkCounts) {
	b.Queued, b.Sent, b.Delivered, b.Failed, b.Canceled = c.Queued, c.Sent, c.Delivered, c.Failed, c.Canceled
	all := c.Queued + c.Sent + c.Delivered + c.Failed + c.Canceled
	b.Percent = 100
	if all > 0 {
		b.Percent = (all - c.Queued) * 100 / all
	}
}

// BulkQueued is the answer to a new bulk send.
type BulkQueued struct {
	ID      int64      `json:"id,omitempty"`
	Total   int        `json:"total"`
	Queued  int        `json:"queued"`
	Skipped []BulkSkip `json:"skipped"`
}

// prefetched answers the send gate's reads for many contacts from what was
// read for all of them at once: the same gate, without two queries per
// contact.
type prefetched struct {
	Queries
	latest  map[int64]ConsentChange
	inbound map[[2]int64]time.Time // (contact, number) → latest inbound; number 0: any
}

func (p prefetched) LatestConsentChange(_ context.Context, contactID int64) (ConsentChange, error) {
	if c, ok := p.latest[contactID]; ok {
		return c, nil
	}
	return ConsentChange{}, NotFound("consent change")
}

func (p prefetched) LastInbound(_ context.Context, _, contactID, numberID int64) (*time.Time, error) {
	if t, ok := p.inbound[[2]int64{contactID, numberID}]; ok {
		return &t, nil
	}
	return nil, nil
}

// CreateBulkSend texts many contacts from one number: each gets its own
// message on its own thread, queued at once and sent at the number's pace
// by the outbox, which puts each through the send gate again when its turn
// comes. Contacts the gate refuses now (or a template cannot be filled
// for) are skipped, with their reasons; the rest are all stored in one
// transaction — a bulk send is made whole or not at all.
func (s *Service) CreateBulkSend(ctx context.Context, caller User, req BulkRequest) (BulkQueued, error) {
	var out BulkQueued
	if err := checkSendAt(req.SendAt, s.now()); err != nil {
		return out, err
	}
	if (req.TemplateID != 0) == (strings.TrimSpace(req.Body) != "") {
		return out, Invalid("invalid_body", "send either a body or a template_id")
	}
	if req.NumberID == 0 {
		return out, Invalid("number_required", "choose the number that sends the texts")
	}
	if len(req.ContactIDs) == 0 && req.JobID == 0 {
		return out, Invalid("no_contacts", "name the contacts (contact_ids) or a job whose applicants to text (job_id)")
	}
	ids := slices.Clone(req.ContactIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > MaxBulkContacts {
		return out, Invalid("too_many_contacts", "a bulk send texts at most %d contacts; this one names %d", MaxBulkContacts, len(ids))
	}
	var events bool
	err := s.write(ctx, func(tx Tx) error {
		company, err := tx.Company(ctx, caller.CompanyID)
		if err != nil {
			return err
		}
		if !company.SMSEnabled {
			return Errorf(KindConflict, "sms_disabled", "text messaging is switched off for your company")
		}
		number, err := s.sendingNumber(ctx, tx, caller, Contact{}, req.NumberID)
		if err != nil {
			return err
		}
		var tmpl string
		if req.TemplateID != 0 {
			t, err := visibleTemplate(ctx, tx, caller, req.TemplateID)
			if err != nil {
				return err
			}
			tmpl = t.Body
		}
		var job *Job
		if req.JobID != 0 {
			j, err := tx.Job(ctx, caller.CompanyID, req.JobID)
			if err != nil {
				return err
			}
			job = &j
		}
		var contacts []Contact
		if len(ids) > 0 {
			contacts, err = tx.ContactsByID(ctx, caller.CompanyID, ids)
		} else {
			contacts, err = tx.Contacts(ctx, caller.CompanyID, ContactFilter{JobID: req.JobID, Limit: MaxBulkContacts + 1})
			for _, c := range contacts {
				ids = append(ids, c.ID)
			}
		}
		if err != nil {
			return err
		}
		if len(ids) > MaxBulkContacts {
			return Invalid("too_many_contacts", "a bulk send texts at most %d contacts; this job has more applicants", MaxBulkContacts)
		}
		if len(ids) == 0 {
			return Invalid("no_contacts", "this job has no applicants to text")
		}
		pre := prefetched{Queries: tx}
		found := make(map[int64]Contact, len(contacts))
		for _, c := range contacts {
			found[c.ID] = c
		}
		if pre.latest, pre.inbound, err = tx.GateFacts(ctx, caller.CompanyID, number.ID, ids); err != nil {
			return err
		}
		bulk := BulkSend{CompanyID: caller.CompanyID, UserID: caller.ID, NumberID: number.ID, Total: len(ids),
			Skipped: []BulkSkip{}, CreatedAt: s.now()}
		var items []Message
		now := s.now()
		for _, id := range ids {
			c, ok := found[id]
			if !ok {
				bulk.Skipped = append(bulk.Skipped, BulkSkip{id, "not_found"})
				continue
			}
			at := now
			if req.SendAt != nil {
				at = req.SendAt.UTC()
			}
			d, err := s.CheckSend(ctx, pre, SendCheck{Company: company, Contact: c, NumberID: number.ID, Purpose: PurposeText, At: at})
			if err != nil {
				if ErrorKind(err) != KindConflict {
					return err
				}
				bulk.Skipped = append(bulk.Skipped, BulkSkip{id, ErrorCode(err)})
				continue
			}
			body := req.Body
			if tmpl != "" {
				if body, err = RenderTemplate(tmpl, mergeValues(c, caller, company, number, job)); err != nil {
					bulk.Skipped = append(bulk.Skipped, BulkSkip{id, ErrorCode(err)})
					continue
				}
			}
			if body, err = textBody(body, req.PlainCharacters); err != nil {
				if tmpl == "" {
					return err // the one body is wrong for everyone
				}
				bulk.Skipped = append(bulk.Skipped, BulkSkip{id, ErrorCode(err)})
				continue
			}
			m := Message{CompanyID: caller.CompanyID, NumberID: number.ID, ContactID: c.ID, Direction: Outbound, Body: body,
				Status: StatusQueued, SentBy: &caller, CreatedAt: now}
			_, m.Segments, m.Encoding = CountSegments(body)
			scheduleAt(&m, req.SendAt)
			d.apply(&m)
			items = append(items, m)
		}
		if req.DryRun {
			out = BulkQueued{Total: bulk.Total, Queued: len(items), Skipped: bulk.Skipped}
			return errDryRun
		}
		if err := tx.CreateBulkSend(ctx, &bulk); err != nil {
			return err
		}
		if err := s.storeBulk(ctx, tx, bulk, *number, items); err != nil {
			return err
		}
		events = len(items) > 0
		out = BulkQueued{ID: bulk.ID, Total: bulk.Total, Queued: len(items), Skipped: bulk.Skipped}
		return nil
	})
	if err == errDryRun {
		return out, nil
	}
	if err == nil && events {
		s.wakeOutbox()
		s.wakeBulk()
	}
	return out, err
}

// storeBulk stores a bulk send's texts, each on the thread of its number
// and contact, set-based, and tells the number's assignees with one
// bulk.queued event rather than a message.created each: a burst of a
// thousand frames would overflow every assignee's socket queue, and a
// client refetches what it shows instead. A bulk text does not end a claim
// on its thread, as a person's reply does: it is not someone handling that
// conversation.
//
// The company feed still gets a message.sent for each text, as for any text
// a user queues: the host ATS logs every text on its candidate, and the
// feed is not read by sockets.
func (s *Service) storeBulk(ctx context.Context, tx Tx, b BulkSend, n Number, items []Message) error {
	if err := tx.InsertBulkMessages(ctx, b.ID, n.CompanyID, n.ID, items); err != nil {
		return err
	}
	for _, m := range items {
		if err := tx.Emit(FeedTopic(n.CompanyID), FeedMessageSent, map[string]Message{"message": m}); err != nil {
			return err
		}
	}
	return tx.Emit(NumberTopic(n.ID), EventBulkQueued, bulkNotice{BulkSend: bulkRef{ID: b.ID, NumberID: n.ID, Count: len(items)}})
}

// bulkNotice is the data of bulk.queued and bulk.canceled: which bulk send,
// on which number, and how many texts it queued or canceled.
type bulkNotice struct {
	BulkSend bulkRef `json:"bulk_send"`
}

type bulkRef struct {
	ID       int64 `json:"id"`
	NumberID int64 `json:"number_id"`
	Count    int   `json:"count"`
}

// GetBulkSend returns one of the caller's bulk sends with its counts now.
func (s *Service) GetBulkSend(ctx context.Context, caller User, id int64) (BulkSend, error) {
	b, err := s.store.BulkSend(ctx, caller.CompanyID, id)
	if err != nil {
		return BulkSend{}, err
	}
	if b.UserID != caller.ID {
		return BulkSend{}, NotFound("bulk send")
	}
	c, err := s.store.BulkCounts(ctx, id)
	if err != nil {
		return BulkSend{}, err
	}
	b.setCounts(c)
	return b, nil
}

// CancelBulkSend cancels what of one of the caller's bulk sends is still
// waiting: those texts are never sent. What went out already stays.
func (s *Service) CancelBulkSend(ctx context.Context, caller User, id int64) (BulkSend, error) {
	err := s.write(ctx, func(tx Tx) error {
		b, err := tx.BulkSend(ctx, caller.CompanyID, id)
		if err != nil {
			return err
		}
		if b.UserID != caller.ID {
			return NotFound("bulk send")
		}
		ids, err := tx.CancelPending(ctx, CancelFilter{BulkID: id}, "Not sent: "+caller.Name+" canceled the bulk send")
		if err != nil {
			return err
		}
		if b.CanceledAt == nil {
			if err := tx.SetBulkCanceled(ctx, id, s.now()); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		// One event for them all, as when they were queued (storeBulk); the
		// feed gets each text's status.
		for _, mid := range ids {
			m, err := tx.Message(ctx, caller.CompanyID, mid)
			if err != nil {
				return err
			}
			if err := tx.Emit(FeedTopic(caller.CompanyID), FeedMessageStatus, map[string]Message{"message": m}); err != nil {
				return err
			}
		}
		return tx.Emit(NumberTopic(b.NumberID), EventBulkCanceled, bulkNotice{BulkSend: bulkRef{ID: b.ID, NumberID: b.NumberID, Count: len(ids)}})
	})
	if err != nil {
		return BulkSend{}, err
	}
	s.wakeBulk()
	return s.GetBulkSend(ctx, caller, id)
}

func (s *Service) wakeBulk() {
	select {
	case s.bulkWake <- struct{}{}:
	default:
	}
}

// BulkProgressEvery is how often the progress of running bulk sends is
// pushed, at most.
const BulkProgressEvery = 250 * time.Millisecond

// RunBulkProgress pushes bulk.progress to each running bulk send's sender
// whenever its counts change, until ctx ends. Every instance may run it:
// the counts last pushed are stored, and only the instance that changes
// them pushes, so each change is pushed once. A bulk send whose texts all
// left the queue is pushed a last time and finished.
func (s *Service) RunBulkProgress(ctx context.Context) error {
	tick := time.NewTicker(BulkProgressEvery)
	defer tick.Stop()
	// What this instance saw last of each running bulk send: counts read
	// outside a transaction that have not changed need no write.
	seen := map[int64]string{}
	for {
		if err := s.pushBulkProgress(ctx, seen); err != nil && ctx.Err() == nil {
			s.bulkFaults.Failed(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.bulkWake:
		}
	}
}

func (s *Service) pushBulkProgress(ctx context.Context, seen map[int64]string) error {
	running, err := s.store.UnfinishedBulkSends(ctx)
	if err != nil {
		return err
	}
	live := make(map[int64]bool, len(running))
	for _, b := range running {
		live[b.ID] = true
		c, err := s.store.BulkCounts(ctx, b.ID)
		if err != nil {
			return err
		}
		b.setCounts(c)
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if seen[b.ID] == string(raw) {
			continue
		}
		err = s.write(ctx, func(tx Tx) error {
			// Counted again inside the transaction: what is stored and
			// pushed is what the store holds now.
			c, err := tx.BulkCounts(ctx, b.ID)
			if err != nil {
				return err
			}
			b.setCounts(c)
			if raw, err = json.Marshal(b); err != nil {
				return err
			}
			changed, err := tx.SetBulkProgress(ctx, b.ID, string(raw), c.Queued == 0)
			if err != nil || !changed {
				return err
			}
			return tx.Emit(UserTopic(b.UserID), EventBulkProgress, map[string]BulkSend{"bulk_send": b})
		})
		if err != nil {
			return err
		}
		seen[b.ID] = string(raw)
	}
	for id := range seen {
		if !live[id] {
			delete(seen, id)
		}
	}
	return nil
}
