package plivo

import "strings"

// errorReasons are Plivo's SMS error codes, as sent in ErrorCode of failed and
// undelivered status callbacks, in plain English. Sources: Plivo's SMS error
// code list (plivo.com/docs/messaging/troubleshooting/error-codes and the
// Plivo blog "Introducing SMS Error Codes", updated 2025) for 10 to 201 and
// 1000; Plivo support articles for 420 (message expiry), 450 (geo
// permissions) and 900 (insufficient balance). Codes we could not confirm in
// Plivo's own pages are left out and get the generic sentence.
var errorReasons = map[string]string{
	"10":   "The carrier rejected the message as invalid (blank, too long, or refused by a downstream carrier).",
	"20":   "The carrier had network problems; this is temporary, so try again later.",
	"30":   "A carrier's spam filter blocked the message.",
	"40":   "The sending number is not valid for texting: wrongly formatted, not SMS-enabled or not on the Plivo account.",
	"50":   "The destination number cannot receive texts: it is wrong, not SMS-enabled or a landline.",
	"60":   "The carrier detected a message loop between the two numbers and dropped the message.",
	"70":   "The destination number is permanently unavailable (not active); check the number.",
	"80":   "The destination phone is temporarily unreachable (switched off or out of coverage); try again later.",
	"90":   "No carrier route was available to deliver the message.",
	"100":  "The destination carrier does not allow this message (its network may not support SMS).",
	"110":  "The message is too long for the carrier.",
	"200":  "The contact has blocked this number by replying STOP; they must text START to receive messages again.",
	"201":  "US toll-free numbers cannot text Canadian numbers.",
	"420":  "The message expired in Plivo's queue before it could be sent (three hours by default).",
	"450":  "The destination country is not enabled in the Plivo account's geo permissions.",
	"900":  "The Plivo account has insufficient credit.",
	"1000": "Delivery failed for a reason neither Plivo nor the carrier knows.",
}

// ErrorReason returns a plain-English reason for a Plivo SMS error code, ""
// when there is no code, and a generic sentence naming the code when it is
// not one we know.
func ErrorReason(code string) string {
	code = strings.TrimSpace(code)
	if code == "" {
		return ""
	}
	if r, ok := errorReasons[code]; ok {
		return r
	}
	return "Delivery failed with Plivo error code " + code + "."
}

// optOutCodes are the error codes by which Plivo says the destination opted
// out or blocks the sender. Plivo documents one: 200, "the destination
// number has opted out" — Plivo's own opt-out management blocked the text
// because the phone replied STOP to the number (Plivo's support article
// "Can I reply to customers who have opted out?"). Spam filtering (30) and
// unreachable or invalid numbers (50, 70, 80) are not a withdrawal of
// consent and are left out.
var optOutCodes = map[string]bool{"200": true}

// OptOutCode reports whether a Plivo error code means the destination opted
// out of texts from the number or blocks it.
func OptOutCode(code string) bool { return optOutCodes[strings.TrimSpace(code)] }
