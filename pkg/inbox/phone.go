package inbox

import (
	"context"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code ("(415) 555-0100") when neither the company nor the server
// names another.
const DefaultRegion = "US"

// ValidRegion reads an ISO 3166 alpha-2 region code that phone numbers can
// be read in ("gb" or "GB"), and returns it upper-case; ok is false for
// anything phonenumbers does not know as a region.
func ValidRegion(code string) (string, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != 2 || !phonenumbers.GetSupportedRegions()[code] {
		return "", false
	}
	return code, true
}

func invalidRegion(code string) *Error {
	if len(code) > 16 {
		code = code[:16] + "…"
	}
	return Invalid("invalid_region", "%q is not a region we know; give an ISO 3166 country code such as US or GB", code)
}

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

// regionOf is the company's region for numbers written without a country
// code: its own setting, else the server's.
func (s *Service) regionOf(c Company) string {
	if c.DefaultRegion != "" {
		return c.DefaultRegion
	}
	return s.cfg.Region
}

// companyRegion reads the region a company's phone numbers are read in.
func (s *Service) companyRegion(ctx context.Context, q Queries, companyID int64) (string, error) {
	c, err := q.Company(ctx, companyID)
	if err != nil {
		return "", err
	}
	return s.regionOf(c), nil
}
