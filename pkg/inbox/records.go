package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"sync"
	"time"
)

// MessageRecords reads the provider's records of the messages it handled
// (Plivo's message detail records): who, to whom, which way, when and in
// what state — never the words. Plivo's implementation is pkg/plivo's
// Records, through plivo-go, within Plivo's rate limit.
type MessageRecords interface {
	// ListRecords calls page with the records of direction dir whose
	// time is after after, a page at a time, newest first as the
	// provider lists them. A record may come twice (the list moves while
	// it is read); none is left out. It stops at page's first error.
	ListRecords(ctx context.Context, dir Direction, after time.Time, page func([]MessageRecord) error) error
}

// MessageRecord is the provider's record of one message.
type MessageRecord struct {
	UUID      string // the provider's MessageUUID
	From, To  string // E.164
	Direction Direction
	// Status is the provider's state in our words (outbound: queued,
	// sent, delivered, undelivered, failed); ErrorCode, ErrorReason and
	// OptedOut are as a status report's.
	Status      Status
	ErrorCode   string
	ErrorReason string
	OptedOut    bool
	Type        string    // "sms" or "mms"
	At          time.Time // when the provider took the message
}

// BackfillConfig tunes the reading of the provider's records: the backfill
// of texts no webhook brought, and the settling of sends in doubt.
type BackfillConfig struct {
	// Every is how often the records are read, after a first time at
	// start (default 5 min).
	Every time.Duration
	// FirstWindow is how far back the very first backfill looks
	// (default 24 h).
	FirstWindow time.Duration
	// Overlap: each backfill lists from the start of the last one that
	// ran to its end, less this (default 15 min), since a record may
	// appear in the provider's list a while after its message.
	Overlap time.Duration
	// Grace leaves a record younger than this for the next run (default
	// 1 min): its webhook may be on its way, and would make the text
	// flicker through "missed".
	Grace time.Duration
	// Lease is how long an instance's claim to read the records lasts
	// unless renewed (default 30 s): the instance renews it three times
	// as often while it reads, so the claim of one that died lapses
	// within Lease.
	Lease time.Duration
}

// DefaultBackfillConfig is the production reading of the records.
func DefaultBackfillConfig() BackfillConfig {
	return BackfillConfig{Every: 5 * time.Minute, FirstWindow: 24 * time.Hour, Overlap: 15 * time.Minute,
		Grace: time.Minute, Lease: 30 * time.Second}
}

func (c BackfillConfig) withDefaults() BackfillConfig {
	d := DefaultBackfillConfig()
	defaultTo(&c.Every, d.Every)
	defaultTo(&c.FirstWindow, d.FirstWindow)
	defaultTo(&c.Overlap, d.Overlap)
	defaultTo(&c.Grace, d.Grace)
	defaultTo(&c.Lease, d.Lease)
	return c
}

// recordsLease is the lease that lets one instance at a time read the
// provider's records: reads are rate-limited per account, and two
// instances doing the same work would halve each other's pace.
const recordsLease = "plivo-records"

// errLeaseLost stops a run whose instance no longer holds the lease (it
// stalled for longer than the lease, and another took over).
var errLeaseLost = errors.New("the lease on Plivo's records passed to another instance")

// RecordsRun is what one reading of the provider's records did.
type RecordsRun struct {
	// Skipped: another instance holds the lease and does the work.
	Skipped bool
	Backfill
	Settle
}

// RunRecords reads the provider's records at start and then every
// Backfill.Every until ctx ends: texts no webhook brought are stored as
// missed (backfill.go), sends in doubt are settled (settle.go). Without
// records (the simulator, or INBOX_PLIVO_BACKFILL=0) it returns at once.
// A failed run is logged once per outage and tried again at the next.
func (s *Service) RunRecords(ctx context.Context) error {
	if s.cfg.Records == nil {
		return nil
	}
	for {
		if _, err := s.ReadRecords(ctx); err != nil && ctx.Err() == nil {
			s.recordFaults.Failed(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(s.cfg.Backfill.Every):
		}
	}
}

// ReadRecords reads the provider's records once, if this instance can take
// the lease: the backfill, then the settling of sends in doubt. It logs a
// line with what it did.
func (s *Service) ReadRecords(ctx context.Context) (RecordsRun, error) {
	if s.cfg.Records == nil {
		return RecordsRun{Skipped: true}, nil
	}
	start := s.now()
	ok, err := s.store.AcquireLease(ctx, recordsLease, s.instance, start, start.Add(s.cfg.Backfill.Lease))
	if err != nil || !ok {
		return RecordsRun{Skipped: true}, err
	}
	runCtx, lost := context.WithCancelCause(ctx)
	stop := s.holdLease(runCtx, lost)
	defer func() {
		stop()
		lost(nil)
		// Not ctx: the lease goes even when the run was cut short.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.store.ReleaseLease(rctx, recordsLease, s.instance); err != nil {
			s.log.Warn("release the lease on Plivo's records; it lapses by itself", "err", err)
		}
	}()
	var run RecordsRun
	run.Backfill, err = s.backfill(runCtx, start)
	if err == nil {
		run.Settle, err = s.settle(runCtx)
	}
	if err != nil && runCtx.Err() != nil && ctx.Err() == nil {
		err = context.Cause(runCtx) // the lease was lost
	}
	attrs := []any{"listed_inbound", run.Listed, "backfilled", run.Stored, "unmanaged", run.Unmanaged,
		"since", run.Since.Format(time.RFC3339), "in_doubt", run.InDoubt, "adopted", run.Adopted, "resent", run.Resent,
		"ambiguous", run.Ambiguous, "took", s.now().Sub(start).Round(time.Millisecond)}
	if err != nil {
		// The line says what the run did before it failed; the fault log
		// (RunRecords) tells the outage once per interval.
		s.log.Info("read Plivo's message records, in part", append(attrs, "err", err)...)
		return run, err
	}
	s.log.Info("read Plivo's message records", attrs...)
	return run, nil
}

// holdLease renews this instance's lease every third of its length until
// stop is called. A renewal that fails — another instance took the lease,
// or the store did not answer — ends the run through lost: the work is
// idempotent, and the next run starts over.
func (s *Service) holdLease(ctx context.Context, lost context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-s.clock.After(s.cfg.Backfill.Lease / 3):
			}
			now := s.now()
			ok, err := s.store.AcquireLease(ctx, recordsLease, s.instance, now, now.Add(s.cfg.Backfill.Lease))
			if err == nil && !ok {
				err = errLeaseLost
			}
			if err != nil {
				lost(err)
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// newInstanceID names this process as a lease holder: its pid (which an
// operator reading the leases table can find) and a random part (unique
// across hosts and within one process's several Services).
func newInstanceID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	return strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}
