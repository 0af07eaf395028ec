package inbox

import (
	"context"
	"time"
)

// Plivo answers a webhook it could not deliver with a few retries over
// minutes, then gives up: a text sent to us while the server, its database
// or the network was down for longer reached Plivo and never us. The
// backfill finds such texts in Plivo's records of inbound messages and
// stores each one not stored yet as missed (missed.go): Plivo's records
// keep no words, so the text is what it is — a text from this contact at
// this time, words lost — and the contact is put under review. Texts are
// matched by MessageUUID, so a text is stored once whatever the order of
// webhook and backfill, and however many runs list it.

// backfillName names the backfill's bookkeeping (Tx.SetBackfillSucceeded).
const backfillName = "plivo-inbound"

// providerRetention is how far back the provider lists messages (Plivo:
// 90 days); a backfill never asks for more.
const providerRetention = 90 * 24 * time.Hour

// Backfill is what one backfill did.
type Backfill struct {
	Since     time.Time // records after this were listed
	Listed    int       // inbound records listed (one listed twice counts twice)
	Stored    int       // missed texts stored
	Unmanaged int       // records to numbers nobody manages here, skipped
}

// backfill lists the inbound records since the last backfill that ran to
// its end (less Overlap; FirstWindow the first time) and stores each text
// not stored yet as missed, a page at a time, through the inbound texts'
// own store path (group commit, contacts, threads, unread, events). Records
// younger than Grace wait for the next run. Only a run that listed every
// page moves the starting point on.
func (s *Service) backfill(ctx context.Context, start time.Time) (Backfill, error) {
	cfg := s.cfg.Backfill
	last, ok, err := s.store.BackfillSucceeded(ctx, backfillName)
	if err != nil {
		return Backfill{}, err
	}
	run := Backfill{Since: start.Add(-cfg.FirstWindow)}
	if ok {
		run.Since = last.Add(-cfg.Overlap)
	}
	run.Since = maxTime(run.Since, start.Add(-providerRetention))
	until := start.Add(-cfg.Grace)
	err = s.cfg.Records.ListRecords(ctx, Inbound, run.Since, func(page []MessageRecord) error {
		var texts []InboundSMS
		for _, r := range page {
			if r.Direction != Inbound || r.UUID == "" {
				continue
			}
			run.Listed++
			if r.At.After(until) {
				continue
			}
			texts = append(texts, InboundSMS{From: r.From, To: r.To, Type: r.Type, MessageUUID: r.UUID, Missed: true, At: r.At})
		}
		stored, unmanaged, err := s.storeMissed(ctx, texts)
		run.Stored += stored
		run.Unmanaged += unmanaged
		return err
	})
	if err != nil {
		return run, err
	}
	return run, s.write(ctx, func(tx Tx) error { return tx.SetBackfillSucceeded(ctx, backfillName, start) })
}

// storeMissed stores a page of missed texts as the group commit stores
// webhooks' texts: in one transaction, each alone again if it fails. It
// returns how many were new, and how many were to numbers nobody manages.
func (s *Service) storeMissed(ctx context.Context, texts []InboundSMS) (stored, unmanaged int, err error) {
	if len(texts) == 0 {
		return 0, 0, nil
	}
	batch := make([]*pendingSMS, len(texts))
	for i, in := range texts {
		batch[i] = &pendingSMS{in: in}
	}
	s.storeBatch(ctx, batch)
	for _, p := range batch {
		if p.retry {
			s.storeBatch(ctx, []*pendingSMS{p})
		}
		switch {
		case ErrorKind(p.err) == KindNotFound:
			unmanaged++
		case p.err != nil:
			err = p.err
		case !p.dup:
			stored++
			s.backfilled.Add(1)
		}
	}
	return stored, unmanaged, err
}

// Backfilled counts the missed texts this process has stored since it
// started (the metric smsinbox_backfilled_messages_total).
func (s *Service) Backfilled() uint64 { return s.backfilled.Load() }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
