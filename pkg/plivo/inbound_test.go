package plivo

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

func TestParseInbound(t *testing.T) {
	base := func(kv ...string) url.Values {
		f := url.Values{"From": {"14155550100"}, "To": {"14155550111"}, "Text": {"Hi there"},
			"Type": {"sms"}, "MessageUUID": {"0936ec98-7c4c-11e3-9a5d-123456789012"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				f.Del(kv[i])
			} else {
				f.Set(kv[i], kv[i+1])
			}
		}
		return f
	}
	tests := []struct {
		name     string
		form     url.Values
		want     inbox.InboundSMS
		wantCode string
	}{
		{"sms", base(), inbox.InboundSMS{From: "+14155550100", To: "+14155550111", Text: "Hi there", Type: "sms",
			MessageUUID: "0936ec98-7c4c-11e3-9a5d-123456789012"}, ""},
		{"plus signs accepted", base("From", "+442071838750"), inbox.InboundSMS{From: "+442071838750", To: "+14155550111",
			Text: "Hi there", Type: "sms", MessageUUID: "0936ec98-7c4c-11e3-9a5d-123456789012"}, ""},
		{"no type means sms", base("Type", ""), inbox.InboundSMS{From: "+14155550100", To: "+14155550111", Text: "Hi there",
			Type: "sms", MessageUUID: "0936ec98-7c4c-11e3-9a5d-123456789012"}, ""},
		{"mms numbered from 0", base("Type", "MMS", "Text", "", "Media0", "https://media.plivo.com/a.jpg",
			"Media1", "https://media.plivo.com/b.jpg", "Media2", "https://media.plivo.com/c.jpg"),
			inbox.InboundSMS{From: "+14155550100", To: "+14155550111", Type: "mms", MessageUUID: "0936ec98-7c4c-11e3-9a5d-123456789012",
				MediaURLs: []string{"https://media.plivo.com/a.jpg", "https://media.plivo.com/b.jpg", "https://media.plivo.com/c.jpg"}}, ""},
		{"mms numbered from 1, in index order past 9", base("Type", "mms", "Media1", "https://m/1", "Media2", "https://m/2",
			"Media10", "https://m/10", "MediaCount", "3", "MediaContentType1", "image/jpeg"),
			inbox.InboundSMS{From: "+14155550100", To: "+14155550111", Text: "Hi there", Type: "mms",
				MessageUUID: "0936ec98-7c4c-11e3-9a5d-123456789012", MediaURLs: []string{"https://m/1", "https://m/2", "https://m/10"}}, ""},
		{"media deduplicated, non-http dropped", base("Media0", "https://m/1", "Media1", "https://m/1",
			"Media2", "javascript:alert(1)", "Media3", "ftp://m/x", "Media4", "/relative", "Media5", "http://m/5", "Media05", "https://m/zero-padded"),
			inbox.InboundSMS{From: "+14155550100", To: "+14155550111", Text: "Hi there", Type: "sms",
				MessageUUID: "0936ec98-7c4c-11e3-9a5d-123456789012", MediaURLs: []string{"https://m/1", "http://m/5"}}, ""},
		{"missing From", base("From", ""), inbox.InboundSMS{}, "missing_from"},
		{"missing To", base("To", ""), inbox.InboundSMS{}, "missing_to"},
		{"missing MessageUUID", base("MessageUUID", ""), inbox.InboundSMS{}, "missing_message_uuid"},
		{"blank MessageUUID", base("MessageUUID", "   "), inbox.InboundSMS{}, "missing_message_uuid"},
		{"huge MessageUUID", base("MessageUUID", strings.Repeat("x", 200)), inbox.InboundSMS{}, "invalid_message_uuid"},
		{"alphanumeric From", base("From", "PLIVO"), inbox.InboundSMS{}, "invalid_from"},
		{"national digits To", base("To", "4155550111"), inbox.InboundSMS{}, "invalid_to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInbound(tt.form)
			if tt.wantCode != "" {
				var e *inbox.Error
				if !errors.As(err, &e) || e.Kind != inbox.KindInvalid || e.Code != tt.wantCode {
					t.Fatalf("ParseInbound = %+v, %v; want a KindInvalid %s error", got, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseInbound = %v; want nil", err)
			}
			if got.From != tt.want.From || got.To != tt.want.To || got.Text != tt.want.Text || got.Type != tt.want.Type ||
				got.MessageUUID != tt.want.MessageUUID || !slices.Equal(got.MediaURLs, tt.want.MediaURLs) {
				t.Errorf("ParseInbound = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseInbound(f *testing.F) {
	f.Add("14155550100", "14155550111", "STOP", "uuid-1", "https://m/a", "https://m/a")
	f.Add("", "", "", "", "", "")
	f.Add("+44 20 7183 8750", "1", "€", "  ", "javascript:x", "http://")
	f.Add("999999999999999999999", "14155550111", "\xff", strings.Repeat("u", 129), "%zz", "https://[::1]/x")
	f.Fuzz(func(t *testing.T, from, to, text, uuid, media0, media1 string) {
		form := url.Values{"From": {from}, "To": {to}, "Text": {text}, "MessageUUID": {uuid},
			"Media0": {media0}, "Media1": {media1}}
		in, err := ParseInbound(form)
		if err != nil {
			if inbox.ErrorKind(err) != inbox.KindInvalid {
				t.Fatalf("ParseInbound error %v is not KindInvalid", err)
			}
			return
		}
		if !strings.HasPrefix(in.From, "+") || !strings.HasPrefix(in.To, "+") {
			t.Fatalf("ParseInbound From, To = %q, %q; want E.164", in.From, in.To)
		}
		if in.MessageUUID == "" || len(in.MessageUUID) > maxUUIDLen || in.Text != text {
			t.Fatalf("ParseInbound = %+v from %v", in, form)
		}
		seen := map[string]bool{}
		for _, u := range in.MediaURLs {
			if seen[u] || !isHTTPURL(u) {
				t.Fatalf("ParseInbound media %q: duplicate or not http(s)", in.MediaURLs)
			}
			seen[u] = true
		}
	})
}
