package plivo

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

func TestParseStatus(t *testing.T) {
	q := url.Values{"message_id": {"42"}}
	tests := []struct {
		name     string
		form     url.Values
		query    url.Values
		want     inbox.StatusUpdate
		wantCode string
	}{
		{"queued", url.Values{"MessageUUID": {"u"}, "Status": {"queued"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusQueued, ProviderStatus: "queued"}, ""},
		{"sent", url.Values{"MessageUUID": {"u"}, "Status": {"sent"}, "ErrorCode": {""}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusSent, ProviderStatus: "sent"}, ""},
		{"delivered, stray code ignored", url.Values{"MessageUUID": {"u"}, "Status": {"Delivered"}, "ErrorCode": {"000"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusDelivered, ProviderStatus: "delivered"}, ""},
		{"undelivered with code", url.Values{"MessageUUID": {"u"}, "Status": {"undelivered"}, "ErrorCode": {"30"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusUndelivered, ProviderStatus: "undelivered",
				ErrorCode: "30", ErrorReason: errorReasons["30"]}, ""},
		{"failed with code", url.Values{"MessageUUID": {"u"}, "Status": {"failed"}, "ErrorCode": {"900"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusFailed, ProviderStatus: "failed",
				ErrorCode: "900", ErrorReason: errorReasons["900"]}, ""},
		{"rejected is failed", url.Values{"MessageUUID": {"u"}, "Status": {"rejected"}, "ErrorCode": {"200"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusFailed, ProviderStatus: "rejected",
				ErrorCode: "200", ErrorReason: errorReasons["200"], OptedOut: true}, ""},
		{"read is delivered", url.Values{"MessageUUID": {"u"}, "Status": {"read"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusDelivered, ProviderStatus: "read"}, ""},
		{"no message_id", url.Values{"MessageUUID": {"u"}, "Status": {"sent"}}, nil,
			inbox.StatusUpdate{MessageUUID: "u", Status: inbox.StatusSent, ProviderStatus: "sent"}, ""},
		{"bad message_id", url.Values{"MessageUUID": {"u"}, "Status": {"sent"}}, url.Values{"message_id": {"-3"}},
			inbox.StatusUpdate{MessageUUID: "u", Status: inbox.StatusSent, ProviderStatus: "sent"}, ""},
		{"non-numeric message_id", url.Values{"MessageUUID": {"u"}, "Status": {"sent"}}, url.Values{"message_id": {"4x"}},
			inbox.StatusUpdate{MessageUUID: "u", Status: inbox.StatusSent, ProviderStatus: "sent"}, ""},
		{"the charge, as Plivo writes it", url.Values{"MessageUUID": {"u"}, "Status": {"delivered"},
			"Units": {"2"}, "TotalRate": {"0.00650"}, "TotalAmount": {"0.01300"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusDelivered, ProviderStatus: "delivered",
				Billing: inbox.Billing{Units: "2", TotalRate: "0.00650", TotalAmount: "0.01300"}}, ""},
		{"a charge that is not a plain number is left out", url.Values{"MessageUUID": {"u"}, "Status": {"sent"},
			"Units": {"-1"}, "TotalRate": {"1e-3"}, "TotalAmount": {"0.0130"}}, q,
			inbox.StatusUpdate{MessageID: 42, MessageUUID: "u", Status: inbox.StatusSent, ProviderStatus: "sent",
				Billing: inbox.Billing{TotalAmount: "0.0130"}}, ""},
		{"missing uuid", url.Values{"Status": {"sent"}}, q, inbox.StatusUpdate{}, "missing_message_uuid"},
		{"missing status", url.Values{"MessageUUID": {"u"}}, q, inbox.StatusUpdate{}, "unknown_status"},
		{"unknown status", url.Values{"MessageUUID": {"u"}, "Status": {"exploded"}}, q, inbox.StatusUpdate{}, "unknown_status"},
		{"received is not an outbound state", url.Values{"MessageUUID": {"u"}, "Status": {"received"}}, q, inbox.StatusUpdate{}, "unknown_status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus(tt.form, tt.query)
			if tt.wantCode != "" {
				var e *inbox.Error
				if !errors.As(err, &e) || e.Kind != inbox.KindInvalid || e.Code != tt.wantCode {
					t.Fatalf("ParseStatus = %+v, %v; want a KindInvalid %s error", got, err, tt.wantCode)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseStatus = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestErrorReason(t *testing.T) {
	if got := ErrorReason(""); got != "" {
		t.Errorf(`ErrorReason("") = %q; want ""`, got)
	}
	if got := ErrorReason(" 30 "); got != errorReasons["30"] || got == "" {
		t.Errorf(`ErrorReason(" 30 ") = %q; want the spam sentence`, got)
	}
	if got := ErrorReason("4242"); !strings.Contains(got, "4242") {
		t.Errorf(`ErrorReason("4242") = %q; want a generic sentence naming the code`, got)
	}
	for code, reason := range errorReasons {
		if !strings.HasSuffix(reason, ".") || len(reason) < 20 {
			t.Errorf("errorReasons[%s] = %q; want a full sentence", code, reason)
		}
	}
}
