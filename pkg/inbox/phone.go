package inbox

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code ("(415) 555-0100").
const DefaultRegion = "US"

// NormalizePhone turns a phone number typed in any common form into E.164
// (+14155550100). Numbers without a country code are read as national numbers
// of region. Anything that is not a valid, textable number is an
// invalid_phone error.
func NormalizePhone(input, region string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" || len(s) > 64 {
		return "", invalidPhone(input)
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || n.GetExtension() != "" || !phonenumbers.IsValidNumber(n) {
		return "", invalidPhone(input)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// NormalizeProviderPhone reads a number as Plivo sends it: the country code
// and digits without a "+" (14155550100). Such digits are international, never
// a national number. A leading "+" is accepted too.
func NormalizeProviderPhone(digits string) (string, error) {
	s := strings.TrimSpace(digits)
	if !strings.HasPrefix(s, "+") {
		s = "+" + s
	}
	return NormalizePhone(s, "")
}

func invalidPhone(input string) *Error {
	if len(input) > 64 {
		input = input[:64] + "…"
	}
	return Invalid("invalid_phone", "%q is not a phone number we can text; write it with its country code, like +14155550100", input)
}
