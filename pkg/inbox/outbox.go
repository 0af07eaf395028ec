package inbox

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// OutboxConfig tunes the send queue.
type OutboxConfig struct {
	// PerNumber is the least time between two sends from one number
	// (default 1 s: one message per second per number).
	PerNumber time.Duration
	// AccountRate is the most sends per second from this process across
	// all numbers (default 10).
	AccountRate float64
	// Workers is how many sends may be in flight at once (default 8).
	Workers int
	// Poll is the longest the outbox sleeps when nothing is due sooner and
	// nothing wakes it (default 1 s): texts another process queued are
	// seen within it.
	Poll time.Duration
	// MaxAttempts is how often a send that never reached the provider is
	// tried before the message fails (default 8).
	MaxAttempts int
	// RetryBase and RetryMax bound the exponential backoff between attempts
	// (defaults 2 s and 5 min).
	RetryBase, RetryMax time.Duration
	// Unconfirmed is how long a send that may have reached the provider
	// waits for a status report before the message is marked failed
	// (default 15 min). It is never re-sent: no double SMS.
	Unconfirmed time.Duration
	// Stuck is longer than any send call takes (default 2 min): a send in
	// flight for longer belongs to a process that died, and is in doubt.
	// A send in doubt is settled with the provider's records only once
	// its attempt began this long ago (settle.go).
	Stuck time.Duration
}

// DefaultOutboxConfig is the production send queue.
func DefaultOutboxConfig() OutboxConfig {
	return OutboxConfig{PerNumber: time.Second, AccountRate: 10, Workers: 8, Poll: time.Second,
		MaxAttempts: 8, RetryBase: 2 * time.Second, RetryMax: 5 * time.Minute, Unconfirmed: 15 * time.Minute,
		Stuck: 2 * time.Minute}
}

// defaultTo sets *v to d when it is zero or negative: a setting left out.
func defaultTo[T int | float64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func (c OutboxConfig) withDefaults() OutboxConfig {
	d := DefaultOutboxConfig()
	defaultTo(&c.PerNumber, d.PerNumber)
	defaultTo(&c.AccountRate, d.AccountRate)
	defaultTo(&c.Workers, d.Workers)
	defaultTo(&c.Poll, d.Poll)
	defaultTo(&c.MaxAttempts, d.MaxAttempts)
	defaultTo(&c.RetryBase, d.RetryBase)
	defaultTo(&c.RetryMax, d.RetryMax)
	defaultTo(&c.Unconfirmed, d.Unconfirmed)
	defaultTo(&c.Stuck, d.Stuck)
	return c
}

// OutboundJob is a queued message claimed for sending.
type OutboundJob struct {
	MessageID int64  `db:"id"`
	CompanyID int64  `db:"company_id"`
	NumberID  int64  `db:"number_id"`
	ContactID int64  `db:"contact_id"`
	From      string `db:"from_e164"`
	To        string `db:"to_phone"`
	Body      string `db:"body"`
	Attempts  int    `db:"send_attempts"`
	// Status, Purpose and ConsentEntryID are what the gate decided when
	// the text was stored; it decides again at dispatch (dispatch.go).
	Status         Status    `db:"status"`
	Purpose        Purpose   `db:"purpose"`
	ConsentEntryID *int64    `db:"consent_entry_id"`
	CreatedAt      time.Time `db:"created_at"`
}

func (s *Service) wakeOutbox() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunOutbox sends queued messages until ctx ends. Several processes may run
// it on one PostgreSQL database: a number's lane is claimed in the database,
// so each number sends at most once per PerNumber across all of them, and
// every message is claimed by one process. A send that provably never reached
// the provider is retried with backoff; one that may have reached it is
// never re-sent, and its status report settles it.
//
// Between claims the outbox sleeps until the next send is due — the earliest
// queued message's own time or its number's lane, whichever is later, read
// from the store — so a number sends at its configured rate, sub-second
// ones too, and a lane another process took is tried again when it frees.
// Poll bounds the sleep (texts queued by another process are seen within
// it); a new text queued here, or a worker freeing up when all were busy,
// wakes it at once. Times are the service's clock: the lanes, the due times
// and the sleep all read it, the wall clock in production.
func (s *Service) RunOutbox(ctx context.Context) error {
	cfg := s.cfg.Outbox
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, cfg.Workers)
	freed := make(chan struct{}, 1) // a worker finished
	limiter := newPacer(cfg.AccountRate)
	var pausedUntil time.Time // set by a 429 from the provider
	var mu sync.Mutex
	for {
		mu.Lock()
		sleep := time.Until(pausedUntil)
		mu.Unlock()
		var slotFreed <-chan struct{}
		if sleep <= 0 {
			free := cfg.Workers - len(slots)
			if free == 0 {
				// Every worker is busy: the next claim waits for one.
				slotFreed, sleep = freed, cfg.Poll
			} else {
				jobs, err := s.claim(ctx, free)
				if err != nil && ctx.Err() == nil {
					s.claimFaults.Failed(err)
				}
				for _, job := range jobs {
					if err := limiter.wait(ctx); err != nil {
						// Shutting down: hand the job back untouched.
						s.requeue(job, s.now())
						continue
					}
					slots <- struct{}{}
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer func() {
							<-slots
							select {
							case freed <- struct{}{}:
							default:
							}
						}()
						if retryAfter := s.sendOne(ctx, job); retryAfter > 0 {
							mu.Lock()
							pausedUntil = time.Now().Add(retryAfter)
							mu.Unlock()
						}
					}()
				}
				if err == nil && len(jobs) == free {
					continue // there may be more due right now
				}
				sleep = cfg.Poll
				if err == nil {
					sleep = s.untilNextSend(ctx, cfg.Poll)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-slotFreed:
		case <-s.clock.After(sleep):
		}
	}
}

// minOutboxSleep keeps the outbox from spinning when a send is due now but
// was not claimed (another process took it between the two reads).
const minOutboxSleep = 5 * time.Millisecond

// untilNextSend is how long the outbox may sleep: until the next send is
// due, at least minOutboxSleep and at most poll (also when the store cannot
// tell: the claim will find out).
func (s *Service) untilNextSend(ctx context.Context, poll time.Duration) time.Duration {
	due, ok, err := s.store.NextSendAt(ctx)
	if err != nil || !ok {
		return poll
	}
	return min(max(due.Sub(s.now()), minOutboxSleep), poll)
}

// QueueDepth counts the messages waiting to be sent, across every process.
func (s *Service) QueueDepth(ctx context.Context) (int, error) {
	return s.store.QueueDepth(ctx)
}

// claim takes due messages and puts each through the send gate again, in
// the same transaction: only those it still allows now are returned to be
// sent (dispatch.go).
func (s *Service) claim(ctx context.Context, limit int) ([]OutboundJob, error) {
	var jobs []OutboundJob
	err := s.write(ctx, func(tx Tx) error {
		claimed, err := tx.ClaimSends(ctx, s.now(), s.cfg.Outbox.PerNumber, limit)
		if err != nil {
			return err
		}
		jobs = jobs[:0]
		for _, job := range claimed {
			send, err := s.regate(ctx, tx, job)
			if err != nil {
				return err
			}
			if send {
				jobs = append(jobs, job)
			}
		}
		return nil
	})
	return jobs, err
}

// sendOne sends a claimed message and records the outcome. It returns how
// long the whole account must pause when the provider said "too many".
func (s *Service) sendOne(ctx context.Context, job OutboundJob) time.Duration {
	callback := strings.TrimRight(s.cfg.PublicURL, "/") + "/webhooks/plivo/status?message_id=" + strconv.FormatInt(job.MessageID, 10)
	uuid, err := s.sender.Send(ctx, OutboundSMS{MessageID: job.MessageID, From: job.From, To: job.To, Text: job.Body, CallbackURL: callback})
	// Record the outcome even if ctx ended meanwhile: it is the truth about
	// what the provider got.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err == nil {
		s.record(rctx, job, func(tx Tx) error {
			if err := tx.MarkSent(rctx, job.MessageID, uuid); err != nil {
				return err
			}
			// Reports that overtook the send call wait for this uuid.
			pending, err := tx.TakePendingStatuses(rctx, uuid)
			if err != nil {
				return err
			}
			for _, u := range pending {
				u.MessageID = job.MessageID
				if err := s.applyStatus(rctx, tx, u); err != nil {
					return err
				}
			}
			return nil
		})
		return 0
	}
	var se *SendError
	errors.As(err, &se)
	switch SendOutcomeOf(err) {
	case SendRetry:
		if job.Attempts >= s.cfg.Outbox.MaxAttempts {
			s.log.Warn("send failed for good", "message", job.MessageID, "attempts", job.Attempts, "err", err)
			s.fail(rctx, job, se, "could not reach the SMS provider after "+strconv.Itoa(job.Attempts)+" attempts")
			return 0
		}
		after := s.backoff(job.Attempts)
		if se != nil && se.RetryAfter > after {
			after = se.RetryAfter
		}
		s.log.Info("send will be retried", "message", job.MessageID, "attempt", job.Attempts, "in", after, "err", err)
		s.requeue(job, s.now().Add(after))
		if se != nil && se.RetryAfter > 0 {
			return se.RetryAfter
		}
		return 0
	case SendRejected:
		s.log.Warn("provider rejected a send", "message", job.MessageID, "err", err)
		s.fail(rctx, job, se, "")
		return 0
	default:
		s.log.Warn("send may have reached the provider; waiting for its report", "message", job.MessageID, "err", err)
		s.record(rctx, job, func(tx Tx) error {
			if err := tx.MarkSendUnknown(rctx, job.MessageID); err != nil {
				return err
			}
			return s.emitInDoubt(rctx, tx, job.MessageID)
		})
		return 0
	}
}

// emitInDoubt tells the message's number that its send is in doubt (status
// unknown), unless a report has settled it already.
func (s *Service) emitInDoubt(ctx context.Context, tx Tx, messageID int64) error {
	m, err := tx.MessageByID(ctx, messageID)
	if err != nil || m.Status != StatusUnknown {
		return err
	}
	return emit(tx, m.CompanyID, m.NumberID, EventMessageStatus, map[string]Message{"message": m})
}

func (s *Service) requeue(job OutboundJob, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.record(ctx, job, func(tx Tx) error { return tx.RetrySend(ctx, job.MessageID, at) })
}

func (s *Service) fail(ctx context.Context, job OutboundJob, se *SendError, reason string) {
	u := StatusUpdate{MessageID: job.MessageID, Status: StatusFailed, ErrorReason: reason}
	if se != nil {
		u.ErrorCode = se.Code
		if reason == "" && se.Err != nil {
			u.ErrorReason = se.Err.Error()
		}
	}
	s.record(ctx, job, func(tx Tx) error { return s.applyStatus(ctx, tx, u) })
}

func (s *Service) record(ctx context.Context, job OutboundJob, fn func(Tx) error) {
	if err := s.write(ctx, fn); err != nil {
		s.log.Error("record send outcome", "message", job.MessageID, "err", err)
	}
}

// backoff is RetryBase doubled per attempt, capped at RetryMax.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.cfg.Outbox.RetryBase
	for i := 1; i < attempt && d < s.cfg.Outbox.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.Outbox.RetryMax)
}

// pacer spaces events at most rate per second.
type pacer struct {
	every time.Duration
	next  time.Time
}

func newPacer(rate float64) *pacer { return &pacer{every: time.Duration(float64(time.Second) / rate)} }

func (p *pacer) wait(ctx context.Context) error {
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	d := p.next.Sub(now)
	p.next = p.next.Add(p.every)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
