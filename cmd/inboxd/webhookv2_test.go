package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
)

// Plivo's messaging webhooks sign with V2, which covers the URL and the
// nonce but not the form: a captured header pair replayed with another
// body must not be accepted, while Plivo's own retry (same nonce, same
// form) is. Nothing of a refused request is stored.
func TestPlivoV2NonceReplay(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		f := newPlivoFixture(t, env)
		const inbound = "/webhooks/plivo/inbound"

		// The contact opts out (V3), then texts again; the second text is
		// signed with V2, and its headers are captured.
		f.inbound(t, "STOP")
		if c := f.contactNow(t); c.Consent != inbox.ConsentOptedOut {
			t.Fatalf("after STOP: %s, want opted_out", c.Consent)
		}
		hello := inboundForm(f.contact.Phone, f.number.E164, "ok then", newUUID())
		captured := plivotest.SignV2(testAuthToken, f.s.URL+inbound, "31627761595286130198")
		if code := f.s.webhook(t, inbound, hello, captured); code != 200 {
			t.Fatalf("a V2-signed text: got %d, want 200", code)
		}
		before := len(f.history(t, f.admin))
		if code := f.s.webhook(t, inbound, hello, captured); code != 200 {
			t.Errorf("Plivo's retry, same nonce and form: got %d, want 200", code)
		}
		forged := inboundForm(f.contact.Phone, f.number.E164, "START", newUUID())
		if code := f.s.webhook(t, inbound, forged, captured); code != 403 {
			t.Errorf("a forged START with the captured V2 headers: got %d, want 403", code)
		}
		if c := f.contactNow(t); c.Consent != inbox.ConsentOptedOut {
			t.Errorf("after the forged START: %s, want still opted_out", c.Consent)
		}
		if got := len(f.history(t, f.admin)); got != before {
			t.Errorf("messages after the retry and the forgery: %d, want %d", got, before)
		}

		// A status callback: the captured pair of the "sent" report cannot
		// carry another status, nor reach another message (V2 does not sign
		// the query, the nonce ledger does).
		f.inbound(t, "START")
		m, _ := f.send(t, "Thanks, we'll call you", "", 202)
		var cb string
		eventually(t, 10*time.Second, "the send reaches Plivo", func() bool {
			for _, c := range f.fake.Creates() {
				if strings.Contains(c.Text, "call you") {
					cb = c.URL
				}
			}
			return cb != ""
		})
		u, err := url.Parse(cb)
		if err != nil {
			t.Fatal(err)
		}
		pathAndQuery := u.RequestURI()
		var uuid string
		eventually(t, 10*time.Second, "the send is recorded", func() bool {
			for _, x := range f.history(t, f.ana) {
				if x.ID == m.ID && x.PlivoUUID != nil {
					uuid = *x.PlivoUUID
				}
			}
			return uuid != ""
		})
		sent := url.Values{"MessageUUID": {uuid}, "Status": {"sent"}}
		statusPair := plivotest.SignV2(testAuthToken, f.s.URL+pathAndQuery, "11111111112222222222")
		if code := f.s.webhook(t, pathAndQuery, sent, statusPair); code != 200 {
			t.Fatalf("a V2-signed status report: got %d, want 200", code)
		}
		forgedStatus := url.Values{"MessageUUID": {uuid}, "Status": {"undelivered"}, "ErrorCode": {"30"}}
		if code := f.s.webhook(t, pathAndQuery, forgedStatus, statusPair); code != 403 {
			t.Errorf("a forged status with the captured V2 headers: got %d, want 403", code)
		}
		otherMessage := strings.Replace(pathAndQuery, "message_id="+itoa(m.ID), "message_id="+itoa(m.ID+1), 1)
		if code := f.s.webhook(t, otherMessage, sent, statusPair); code != 403 {
			t.Errorf("the captured V2 headers on another message's URL: got %d, want 403", code)
		}
		for _, x := range f.history(t, f.ana) {
			if x.ID == m.ID && x.Status != inbox.StatusSent {
				t.Errorf("after the forged report the message is %s, want sent", x.Status)
			}
		}
	})
}

// A webhook form of thousands of keys is refused (413) before any
// signature work: the server counts separators in the raw body. (These
// 9,444 keys take 38 KB, under the byte limit, and repeat a key, which
// parsing would refuse: the count comes first.)
func TestWebhookKeyLimit(t *testing.T) {
	s := startServer(t, nil)
	body := strings.Repeat("k=v&", 9443) + "k=v"
	for _, path := range []string{"/webhooks/plivo/inbound", "/webhooks/plivo/status?message_id=1"} {
		req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Plivo-Signature-V3", "AAAA")
		req.Header.Set("X-Plivo-Signature-V3-Nonce", "1")
		resp, err := specClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("%s with 9,444 keys: got %d, want 413", path, resp.StatusCode)
		}
	}
}
