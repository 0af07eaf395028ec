package main

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// TestSendInterval: INBOX_SEND_INTERVAL is honoured, a sub-second one too:
// each number sends one text per interval and no faster, two numbers side
// by side, through plivo-go to the fake Plivo API. The outbox sleeps until a
// number's lane is due rather than polling once a second, so the gaps are
// about the interval. The bounds are generous (a busy machine stretches
// gaps; no tight wall-clock assertion), yet an outbox paced by its 1 s poll
// misses the upper one twentyfold.
func TestSendInterval(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		const interval, perNumber = 50 * time.Millisecond, 10
		env["INBOX_SEND_INTERVAL"] = interval.String()
		f := newPlivoFixture(t, env)
		var second inbox.Number
		f.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550101", "label": "Second"}, 201, &second)
		f.admin.call("PUT", "/api/numbers/"+itoa(second.ID)+"/assignees", map[string]any{"user_ids": []int64{f.anaID}}, 200, nil)
		var pat inbox.Contact
		f.admin.call("POST", "/api/contacts", map[string]any{"name": "Pat", "phone": "+14155550124", "sms_opt_in": true}, 201, &pat)

		for i := range perNumber {
			for _, to := range []struct{ contact, number int64 }{{f.contact.ID, f.number.ID}, {pat.ID, second.ID}} {
				code, raw := f.ana.raw("POST", "/api/contacts/"+itoa(to.contact)+"/messages",
					map[string]any{"body": "text " + itoa(int64(i)), "number_id": to.number}, http.Header{})
				if code != 202 {
					t.Fatalf("send: got %d %s, want 202", code, raw)
				}
			}
		}
		eventually(t, 20*time.Second, "Plivo gets every text", func() bool { return len(f.fake.Creates()) == 2*perNumber })

		byNumber := map[string][]time.Time{}
		for _, c := range f.fake.Creates() {
			byNumber[c.Src] = append(byNumber[c.Src], c.At)
		}
		if len(byNumber) != 2 {
			t.Fatalf("texts came from %d numbers, want 2", len(byNumber))
		}
		for src, at := range byNumber {
			var gaps []time.Duration
			for i := 1; i < len(at); i++ {
				gaps = append(gaps, at[i].Sub(at[i-1]))
			}
			slices.Sort(gaps)
			// A number's lane spaces its claims by the interval; the call to
			// Plivo may start a little early or late after its claim.
			if gaps[0] < interval*7/10 {
				t.Errorf("%s: two sends %v apart, want none faster than about %v (all gaps %v)", src, gaps[0], interval, gaps)
			}
			if median := gaps[len(gaps)/2]; median > 5*interval {
				t.Errorf("%s: median gap %v (all %v), want about the configured %v, not the outbox's 1 s poll", src, median, gaps, interval)
			}
		}
	})
}
