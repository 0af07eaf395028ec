package inbox

import "context"

// A missed text is one the provider received while we could not store it
// and whose webhook never came: the backfill (backfill.go) finds it in the
// provider's records, which keep no words. It is stored as what it is — a
// text from the contact at the provider's time, words unknown — on the
// contact's thread like any inbound text (unread raised, events sent), and
// the contact is put under review, since the lost words may have been STOP.
// A late webhook for it fills the words in and applies them as any text's.

// reviewMissed puts the contact of a missed text under review, unless
// nothing can be texted to them anyway (opted out) or a review waits
// already (its reason stays: a text asking to stop is the stronger one).
func (s *Service) reviewMissed(ctx context.Context, tx Tx, c Contact) error {
	if c.ConsentReview || c.Consent == ConsentOptedOut {
		return nil
	}
	if err := tx.SetConsentReviewReason(ctx, c.ID, ReviewReasonMissed); err != nil {
		return err
	}
	return s.contactUpdated(ctx, tx, c)
}

// fillMissed handles the webhook of a text stored already (p.dup): when
// that text was stored as missed, it gets the webhook's words, the number's
// assignees get message.updated with it (the UI replaces the missed text in
// place; unread counts do not change, the text raised them once), and its
// words are applied as a webhook's are: keywords, review, implied consent.
// A review put on for missed texts ends first when none of the contact's
// texts is missed any more — the words are known now, and say what they
// say. Any other repeat changes nothing.
func (s *Service) fillMissed(ctx context.Context, tx Tx, n Number, c Contact, p *pendingSMS) error {
	m := p.m
	filled, err := tx.FillMissed(ctx, &m)
	if err != nil || !filled {
		return err
	}
	stored, err := tx.MessageByID(ctx, m.ID)
	if err != nil {
		return err
	}
	th, err := tx.Thread(ctx, stored.CompanyID, stored.ThreadID)
	if err != nil {
		return err
	}
	if err := emit(tx, stored.CompanyID, stored.NumberID, EventMessageUpdated, map[string]any{"thread": th, "message": stored}); err != nil {
		return err
	}
	p.m, p.dup = stored, false
	if c.ConsentReview && c.ConsentReviewReason == ReviewReasonMissed {
		left, err := tx.MissedTexts(ctx, c.ID)
		if err != nil {
			return err
		}
		if left == 0 {
			if err := tx.SetConsentReview(ctx, c.ID, false); err != nil {
				return err
			}
			c.ConsentReview, c.ConsentReviewReason = false, ""
			if err := s.contactUpdated(ctx, tx, c); err != nil {
				return err
			}
		}
	}
	p.replied, err = s.ApplyInboundText(ctx, tx, n, c, stored, p.in.Intent)
	return err
}
