package inbox

import (
	"context"
	"time"
)

// RunJanitor does the housekeeping of time every interval until ctx ends:
// expired sessions and tickets go, events past retention go (a client resuming
// from before them is told to resync), Plivo V2 nonces older than a week go,
// sends cut short by a crash are marked unknown, sends never confirmed fail
// visibly rather than wait forever, and the report's appended counts are
// folded into its rollups; the company feeds, the webhooks' delivery log
// and used SSO token ids are pruned, and message words past a company's
// retention_days are erased.
func (s *Service) RunJanitor(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("housekeeping", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// NonceRetention is how long the nonce of a Plivo V2 webhook is kept with
// the digest of its form: a captured signature cannot be replayed with
// another form for at least this long.
const NonceRetention = 7 * 24 * time.Hour

// Sweep runs the housekeeping once. Sends it finds in doubt show status
// unknown at once (a message.status event each).
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	var res SweepResult
	err := s.write(ctx, func(tx Tx) (err error) {
		res, err = tx.Sweep(ctx, now, now.Add(-s.cfg.EventRetention), now.Add(-24*time.Hour),
			now.Add(-s.cfg.Outbox.Stuck), now.Add(-s.cfg.Outbox.Unconfirmed))
		if err != nil {
			return err
		}
		for _, id := range res.InDoubt {
			if err := s.emitInDoubt(ctx, tx, id); err != nil {
				return err
			}
		}
		return tx.DeleteWebhookNonces(ctx, now.Add(-NonceRetention))
	})
	if err != nil {
		return err
	}
	for _, id := range res.Unconfirmed {
		err := s.ApplyStatus(ctx, StatusUpdate{MessageID: id, Status: StatusFailed,
			ErrorReason: "no delivery report came from the SMS provider; the text may not have been sent"})
		if err != nil {
			return err
		}
	}
	// The company feeds outlive the websocket events: a webhook endpoint
	// may fail for WebhookGiveUp and still get every event once it is back.
	if err := s.store.PruneFeed(ctx, now.Add(-s.cfg.FeedRetention)); err != nil {
		return err
	}
	if err := s.store.PruneWebhookDeliveries(ctx, now.Add(-WebhookLogRetention)); err != nil {
		return err
	}
	if err := s.store.PruneSSOTokens(ctx, now); err != nil {
		return err
	}
	if _, err := s.EraseExpired(ctx); err != nil {
		return err
	}
	// The report's counts appended since the last round join its rollups.
	_, err = s.store.FoldRollups(ctx)
	return err
}

// WebhookLogRetention is how long the delivery log keeps an attempt.
const WebhookLogRetention = 7 * 24 * time.Hour
