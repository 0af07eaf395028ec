package inbox

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// Erasure: a contact's personal data goes (DELETE /api/contacts/{id}), or
// every message's words past the company's retention_days. What stays: the
// rows themselves, so the report's counts do not change, and the consent
// ledger, which holds no personal data (states, sources, times, ids) and so
// keeps its hashes: `inboxd consent verify` still passes.

// Erased replaces erased words.
const Erased = "[erased]"

// ErasedEvent is the data of contact.erased.
// It names the contact by its id only: the external id is personal data
// erased with the rest.
type ErasedEvent struct {
	ContactID int64     `json:"contact_id"`
	At        time.Time `json:"at"`
}

// ErasedPhone is the phone an erased contact keeps: phones are unique in a
// company, so each erased contact's is its own.
func ErasedPhone(contactID int64) string { return "[erased:" + strconv.FormatInt(contactID, 10) + "]" }

// EraseStore erases in the store.
type EraseStore interface {
	// ContactWords are the words and media URLs of a contact's messages.
	ContactWords(ctx context.Context, contactID int64) ([]string, error)
	// EraseContact erases a contact's name, phone, email, external id and
	// time zone, the words and media of its messages, and the personal data
	// of every stored event about it (scrub rewrites a payload), and marks
	// it erased at now.
	EraseContact(ctx context.Context, companyID, contactID int64, now time.Time, scrub func(json.RawMessage) json.RawMessage) error
	// EraseMessagesBefore erases the words and media of up to limit of the
	// company's messages created before before, and of their events; it
	// returns how many messages it erased.
	EraseMessagesBefore(ctx context.Context, companyID int64, before time.Time, limit int, scrub func(json.RawMessage) json.RawMessage) (int, error)
	// PurgeSearch makes the search index forget erased words for good.
	PurgeSearch(ctx context.Context) error
}

// EraseContact erases a contact's personal data (admins and their API
// tokens). Erasing an erased contact again changes nothing.
func (s *Service) EraseContact(ctx context.Context, caller User, id int64) error {
	if err := requireAdmin(caller); err != nil {
		return err
	}
	return s.write(ctx, func(tx Tx) error {
		c, err := tx.Contact(ctx, caller.CompanyID, id)
		if err != nil {
			return err
		}
		if c.ErasedAt != nil {
			return nil
		}
		words, err := tx.ContactWords(ctx, c.ID)
		if err != nil {
			return err
		}
		personal := map[string]bool{}
		for _, w := range append(words, c.Name, c.Phone, c.Email) {
			if w != "" && w != Erased {
				personal[w] = true
			}
		}
		if c.ExternalID != nil {
			personal[*c.ExternalID] = true
		}
		now := s.now()
		if err := tx.EraseContact(ctx, c.CompanyID, c.ID, now, func(p json.RawMessage) json.RawMessage {
			return scrubJSON(p, personal)
		}); err != nil {
			return err
		}
		userID := caller.ID
		if _, err := tx.SetConsent(ctx, ConsentChange{ContactID: c.ID, From: c.Consent, To: c.Consent,
			Source: SourceErasure, UserID: &userID, Note: "personal data erased"}); err != nil {
			return err
		}
		if err := tx.Emit(FeedTopic(c.CompanyID), FeedContactErased, ErasedEvent{ContactID: c.ID, At: now}); err != nil {
			return err
		}
		erased, err := tx.Contact(ctx, c.CompanyID, c.ID)
		if err != nil {
			return err
		}
		return tx.Emit(CompanyTopic(c.CompanyID), EventContactUpdated, map[string]Contact{"contact": erased})
	})
}

// eraseBatch is how many messages one transaction of EraseExpired erases:
// a first run over years of texts is many short transactions, not one that
// holds the writer for minutes.
const eraseBatch = 500

// EraseExpired erases, for each company with a retention_days, the words of
// its messages older than that. The janitor runs it.
func (s *Service) EraseExpired(ctx context.Context) (int, error) {
	companies, err := s.store.RetentionCompanies(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for companyID, days := range companies {
		before := s.now().Add(-time.Duration(days) * 24 * time.Hour)
		for {
			n := 0
			err := s.write(ctx, func(tx Tx) error {
				var err error
				n, err = tx.EraseMessagesBefore(ctx, companyID, before, eraseBatch, func(p json.RawMessage) json.RawMessage {
					return scrubMessages(p, before)
				})
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < eraseBatch {
				break
			}
		}
	}
	if total > 0 {
		if err := s.write(ctx, func(tx Tx) error { return tx.PurgeSearch(ctx) }); err != nil {
			return total, err
		}
	}
	return total, nil
}

// scrubJSON replaces every string of p that is one of personal with Erased.
func scrubJSON(p json.RawMessage, personal map[string]bool) json.RawMessage {
	var v any
	if err := json.Unmarshal(p, &v); err != nil {
		return json.RawMessage(`{}`)
	}
	v = walkJSON(v, func(_ string, s string) (string, bool) {
		if personal[s] {
			return Erased, true
		}
		return s, false
	})
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}

// scrubMessages erases the body and media of every message object in p
// created before before.
func scrubMessages(p json.RawMessage, before time.Time) json.RawMessage {
	var v any
	if err := json.Unmarshal(p, &v); err != nil {
		return json.RawMessage(`{}`)
	}
	var visit func(x any)
	visit = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			if _, ok := t["body"].(string); ok {
				if at, ok := t["created_at"].(string); ok {
					if ts, err := time.Parse(time.RFC3339Nano, at); err == nil && ts.Before(before) {
						t["body"] = Erased
						if _, ok := t["media_urls"]; ok {
							t["media_urls"] = []any{}
						}
					}
				}
			}
			for _, c := range t {
				visit(c)
			}
		case []any:
			for _, c := range t {
				visit(c)
			}
		}
	}
	visit(v)
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}

// walkJSON rewrites every string value of v with f (given its key, "" in
// arrays).
func walkJSON(v any, f func(key, s string) (string, bool)) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok {
				t[k], _ = f(k, s)
			} else {
				t[k] = walkJSON(c, f)
			}
		}
		return t
	case []any:
		for i, c := range t {
			if s, ok := c.(string); ok {
				t[i], _ = f("", s)
			} else {
				t[i] = walkJSON(c, f)
			}
		}
		return t
	}
	return v
}
