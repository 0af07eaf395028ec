package inbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSafeReturnTo(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "/candidates/42": "/candidates/42", "/?embed=1": "/?embed=1"} {
		if got, err := SafeReturnTo(in); err != nil || got != want {
			t.Errorf("SafeReturnTo(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"https://evil.example", "//evil.example", "/\\evil.example", "evil", "javascript:alert(1)",
		"/\t/evil.example", "/x\r\nSet-Cookie: a=b", "http:/evil"} {
		if _, err := SafeReturnTo(bad); ErrorKind(err) != KindInvalid {
			t.Errorf("SafeReturnTo(%q): %v; want invalid_return_to", bad, err)
		}
	}
}

// The signature is HMAC-SHA256 of "<t>.<body>", as the docs say: a known
// vector, computed independently (printf '1700000000.{"events":[]}' |
// openssl dgst -sha256 -hmac whsec_test).
func TestSignWebhook(t *testing.T) {
	got := SignWebhook("whsec_test", time.Unix(1700000000, 0), []byte(`{"events":[]}`))
	want := "t=1700000000,v1=4f6f9b7a41398ad124e52a1320534f978e522923f3f2b2724e31d7a9dbf78a7f"
	if got != want {
		t.Fatalf("SignWebhook = %q; want %q", got, want)
	}
}

// scrubJSON replaces exactly the personal strings, wherever they are, and
// nothing else.
func TestScrubJSON(t *testing.T) {
	in := `{"thread":{"contact":{"name":"Casey Q","phone":"+14155550123","email":"c@example.com","id":7}},
		"message":{"body":"call me at home","status":"received","media_urls":["https://m.example/1.png"]},"list":["Casey Q","kept"]}`
	personal := map[string]bool{"Casey Q": true, "+14155550123": true, "c@example.com": true, "call me at home": true,
		"https://m.example/1.png": true}
	out := string(scrubJSON(json.RawMessage(in), personal))
	for s := range personal {
		if strings.Contains(out, s) {
			t.Errorf("%q is still in %s", s, out)
		}
	}
	for _, kept := range []string{`"status":"received"`, `"id":7`, `"kept"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("%s lost %s", out, kept)
		}
	}
}

// scrubMessages erases the words of messages older than the cut only.
func TestScrubMessages(t *testing.T) {
	cut := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	in := `{"thread":{"last_message":{"body":"old words","created_at":"2026-05-01T10:00:00Z"}},
		"message":{"body":"new words","created_at":"2026-06-02T10:00:00Z","media_urls":["u"]}}`
	out := string(scrubMessages(json.RawMessage(in), cut))
	if strings.Contains(out, "old words") || !strings.Contains(out, "new words") || !strings.Contains(out, `"u"`) {
		t.Errorf("scrubMessages = %s; want only the old words erased", out)
	}
}

func TestEventContact(t *testing.T) {
	m := Message{ContactID: 5}
	th := Thread{Contact: Contact{ID: 6}}
	for _, c := range []struct {
		data any
		want int64
	}{
		{map[string]any{"thread": th, "message": m}, 5},
		{map[string]any{"thread": th, "message": &m}, 5},
		{map[string]Message{"message": m}, 5},
		{map[string]Thread{"thread": th}, 6},
		{ClaimEvent{Thread: th}, 6},
		{map[string]Contact{"contact": {ID: 8}}, 8},
		{ConsentEvent{ContactID: 9}, 9},
		{map[string]Number{"number": {ID: 1}}, 0},
	} {
		if got := EventContact(c.data); got != c.want {
			t.Errorf("EventContact(%T) = %d; want %d", c.data, got, c.want)
		}
	}
}
