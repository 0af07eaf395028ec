package inbox_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// The canonical JSON of a ledger entry is exactly what docs/COMPLIANCE.md
// shows, and the hash is SHA-256 of prev_hash followed by it: a verifier
// written from the document agrees with the server.
func TestCanonicalJSON(t *testing.T) {
	msg := int64(42)
	ch := inbox.ConsentChange{ID: 9, ContactID: 7, CreatedAt: time.Date(2026, 6, 15, 19, 0, 0, 123456789, time.UTC),
		From: inbox.ConsentOptedIn, To: inbox.ConsentOptedOut, Source: "keyword", Keyword: "STOP", MessageID: &msg,
		Note: `texted "STOP"`}
	want := `{"contact_id":7,"at":"2026-06-15T19:00:00.123456Z","from":"opted_in","state":"opted_out","source":"keyword","keyword":"STOP","user_id":null,"message_id":42,"note":"texted \"STOP\""}`
	if got := string(ch.CanonicalJSON()); got != want {
		t.Errorf("canonical JSON\n got %s\nwant %s", got, want)
	}
	prev := "ab12"
	sum := sha256.Sum256([]byte(prev + want))
	if got := ch.EntryHash(prev); got != hex.EncodeToString(sum[:]) {
		t.Errorf("hash %s; want SHA-256 of prev_hash + canonical JSON, %x", got, sum)
	}
	// Special characters, as the document defines them.
	ch.Note, ch.MessageID, ch.CreatedAt = "<a&b>\n\x01\u2028", nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want = `{"contact_id":7,"at":"2026-01-02T03:04:05Z","from":"opted_in","state":"opted_out","source":"keyword","keyword":"STOP","user_id":null,"message_id":null,"note":"<a&b>\n\u0001\u2028"}`
	if got := string(ch.CanonicalJSON()); got != want {
		t.Errorf("canonical JSON\n got %s\nwant %s", got, want)
	}
}
