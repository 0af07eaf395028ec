package plivo

import (
	"net/url"
	"strconv"
	"strings"

	"smsinbox/pkg/inbox"
)

// statusMap maps Plivo's message states to ours. Plivo documents queued,
// sent, failed, delivered and undelivered for SMS, plus rejected (a carrier
// refused the message for regulatory reasons: a failure to us) and read (for
// WhatsApp; it implies delivered).
var statusMap = map[string]inbox.Status{
	"queued":      inbox.StatusQueued,
	"sent":        inbox.StatusSent,
	"delivered":   inbox.StatusDelivered,
	"undelivered": inbox.StatusUndelivered,
	"failed":      inbox.StatusFailed,
	"rejected":    inbox.StatusFailed,
	"read":        inbox.StatusDelivered,
}

// maxErrorCodeLen bounds the error code kept; Plivo's have at most 4 digits.
const maxErrorCodeLen = 16

// ParseStatus reads a delivery-status callback for one of our outbound
// texts (/webhooks/plivo/status?message_id=N): form is its verified body,
// query the callback URL's query (where Send put message_id; a missing or
// bad one is 0). MessageUUID is required (missing_message_uuid) and Status
// must be one Plivo documents (unknown_status); both are *inbox.Error of
// KindInvalid. Plivo retrying an unknown status cannot help, so the web layer
// logs it and answers 200. ProviderStatus keeps Plivo's word for the status.
// ErrorCode is kept only for failed and undelivered, the only states Plivo
// defines it for, and ErrorReason says it in plain English. The charge —
// Units (parts), TotalRate (the price of one part) and TotalAmount (their
// product), which Plivo's callbacks carry as decimal text — is kept as
// decimal strings; a field that is absent or not a plain non-negative
// number is left out (the status still counts).
func ParseStatus(form url.Values, query url.Values) (inbox.StatusUpdate, error) {
	id, err := messageUUID(form)
	if err != nil {
		return inbox.StatusUpdate{}, err
	}
	raw := strings.ToLower(strings.TrimSpace(form.Get("Status")))
	st, ok := statusMap[raw]
	if !ok {
		return inbox.StatusUpdate{}, inbox.Invalid("unknown_status", "Plivo status %q is not one we know", truncate(raw, 32))
	}
	u := inbox.StatusUpdate{
		MessageID:      messageIDFrom(query),
		MessageUUID:    id,
		Status:         st,
		ProviderStatus: raw,
	}
	if st == inbox.StatusFailed || st == inbox.StatusUndelivered {
		u.ErrorCode = truncate(strings.TrimSpace(form.Get("ErrorCode")), maxErrorCodeLen)
		u.ErrorReason = ErrorReason(u.ErrorCode)
		u.OptedOut = OptOutCode(u.ErrorCode)
	}
	u.Billing = parseBilling(form)
	return u, nil
}

// parseBilling reads the charge of a status callback.
func parseBilling(form url.Values) inbox.Billing {
	var b inbox.Billing
	if v := form.Get("Units"); v != "" {
		b.Units, _ = inbox.ParseUnits(v)
	}
	if v := form.Get("TotalRate"); v != "" {
		b.TotalRate, _ = inbox.ParseDecimal(v)
	}
	if v := form.Get("TotalAmount"); v != "" {
		b.TotalAmount, _ = inbox.ParseDecimal(v)
	}
	return b
}

// messageIDFrom reads message_id from the callback URL's query: a positive
// decimal integer, else 0.
func messageIDFrom(query url.Values) int64 {
	n, err := strconv.ParseInt(query.Get("message_id"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
