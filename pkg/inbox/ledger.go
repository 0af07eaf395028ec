package inbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The consent ledger is a hash chain per contact: each entry stores the
// hash of the contact's entry before it (prev_hash, "" for the first) and
// its own hash, the hex SHA-256 of prev_hash followed by the entry's
// canonical JSON. Altering, removing or reordering a stored entry breaks
// the chain at that entry, which `inboxd consent verify` names.

// canonicalEntry is the canonical JSON of a ledger entry: these keys in
// this order, no spaces, times as RFC 3339 in UTC with at most microsecond
// precision and no trailing zeros (both engines keep microseconds), as Go's
// encoding/json writes it with HTML escaping off. docs/COMPLIANCE.md
// defines the same.
type canonicalEntry struct {
	ContactID int64   `json:"contact_id"`
	At        string  `json:"at"`
	From      Consent `json:"from"`
	State     Consent `json:"state"`
	Source    string  `json:"source"`
	Keyword   string  `json:"keyword"`
	UserID    *int64  `json:"user_id"`
	MessageID *int64  `json:"message_id"`
	Note      string  `json:"note"`
}

// LedgerTime is the precision ledger times are stored and hashed with.
func LedgerTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CanonicalJSON is the canonical JSON of an entry, the input of its hash
// after prev_hash.
func (ch ConsentChange) CanonicalJSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding this struct cannot fail.
	_ = enc.Encode(canonicalEntry{
		ContactID: ch.ContactID, At: LedgerTime(ch.CreatedAt).Format(time.RFC3339Nano),
		From: ch.From, State: ch.To, Source: ch.Source, Keyword: ch.Keyword,
		UserID: ch.UserID, MessageID: ch.MessageID, Note: ch.Note,
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// EntryHash is the hash an entry with prev must have.
func (ch ConsentChange) EntryHash(prev string) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(ch.CanonicalJSON())
	return hex.EncodeToString(h.Sum(nil))
}

// LedgerBreak names the first entry of a contact's chain that does not hold.
type LedgerBreak struct {
	EntryID   int64
	ContactID int64
	Reason    string
}

func (b LedgerBreak) Error() string {
	return fmt.Sprintf("consent ledger entry %d (contact %d): %s", b.EntryID, b.ContactID, b.Reason)
}

// ledgerChecker checks entries given in id order, across contacts.
type ledgerChecker struct {
	last map[int64]string // the last hash of each contact seen
}

func (lc *ledgerChecker) check(ch ConsentChange) *LedgerBreak {
	prev := lc.last[ch.ContactID]
	switch {
	case ch.Hash == "":
		return &LedgerBreak{ch.ID, ch.ContactID, "it has no hash (start the server once to chain entries older than the hash chain)"}
	case ch.PrevHash != prev:
		return &LedgerBreak{ch.ID, ch.ContactID, "its prev_hash is not the hash of the contact's entry before it (an entry was removed, added or reordered)"}
	case ch.EntryHash(prev) != ch.Hash:
		return &LedgerBreak{ch.ID, ch.ContactID, "its hash does not match its content (the entry was altered)"}
	}
	lc.last[ch.ContactID] = ch.Hash
	return nil
}

// ledgerPage is how many entries are read at once when the whole ledger is
// walked.
const ledgerPage = 1000

// VerifyConsentLedger checks the chain of every contact of every company and
// returns how many entries it checked; the first broken entry, in id order,
// is a *LedgerBreak error.
func (s *Service) VerifyConsentLedger(ctx context.Context) (int, error) {
	lc := &ledgerChecker{last: map[int64]string{}}
	checked := 0
	var after int64
	for {
		page, err := s.store.ConsentLedgerPage(ctx, after, ledgerPage)
		if err != nil {
			return checked, err
		}
		for _, ch := range page {
			if b := lc.check(ch); b != nil {
				return checked, b
			}
			checked++
			after = ch.ID
		}
		if len(page) < ledgerPage {
			return checked, nil
		}
	}
}

// ChainConsentLedger hashes the ledger entries written before the ledger
// was a hash chain (a database upgraded from 0.1.0), in id order within
// each contact, after whatever the contact's chain already holds. It is
// idempotent: entries with a hash are never touched, so running it at every
// start costs one query once they are all chained. It returns how many
// entries it chained.
func (s *Service) ChainConsentLedger(ctx context.Context) (int, error) {
	n := 0
	err := s.write(ctx, func(tx Tx) error {
		unchained, err := tx.UnchainedConsentChanges(ctx)
		if err != nil {
			return err
		}
		last := map[int64]string{}
		for _, ch := range unchained {
			prev, ok := last[ch.ContactID]
			if !ok {
				if prev, err = tx.ConsentHashBefore(ctx, ch.ContactID, ch.ID); err != nil {
					return err
				}
			}
			ch.CreatedAt = LedgerTime(ch.CreatedAt)
			hash := ch.EntryHash(prev)
			if err := tx.SetConsentHash(ctx, ch.ID, prev, hash); err != nil {
				return err
			}
			last[ch.ContactID] = hash
			n++
		}
		return nil
	})
	return n, err
}
