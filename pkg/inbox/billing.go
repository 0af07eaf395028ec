package inbox

import (
	"math/big"
	"strconv"
	"strings"
)

// Billing is what the provider charged for an outbound message, as its
// status reports say. Amounts are decimal strings, never floats, so that no
// cent is lost on the way to the report; an empty field was not reported.
type Billing struct {
	Units       string // parts charged, a whole number ("2")
	TotalRate   string // the price of one part ("0.00650")
	TotalAmount string // the whole charge, TotalRate × Units ("0.01300")
}

// IsZero reports whether nothing was reported.
func (b Billing) IsZero() bool { return b == Billing{} }

// maxDecimalDigits bounds each side of the point of an amount: far beyond
// any price, short enough that nothing overflows a database numeric.
const maxDecimalDigits = 18

// ParseDecimal reads a non-negative decimal amount as a provider writes it
// ("0.00650", "3", "12.5") and returns it in canonical form: no leading
// zeros but the one before the point, the fraction's digits as given (a
// price's precision is part of it). ok is false for anything else: signs,
// exponents, blanks inside, or more than 18 digits on either side.
func ParseDecimal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxDecimalDigits || len(frac) > maxDecimalDigits || (hasPoint && frac == "") ||
		!allDigits(whole) || !allDigits(frac) {
		return "", false
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if !hasPoint {
		return whole, true
	}
	return whole + "." + frac, true
}

// ParseUnits reads a count of parts: a whole number from 0 to 1,000,000, in
// canonical form.
func ParseUnits(s string) (string, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil || n > 1_000_000 {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// AddDecimals returns a + b exactly, with as many fraction digits as the
// longer of the two — "0.0065" + "0.01300" is "0.01950" — the way
// PostgreSQL's numeric adds. An empty string counts as zero (and two give
// "0"). Both must be decimals as ParseDecimal writes them; anything else
// counts as zero, as no such value is ever stored.
func AddDecimals(a, b string) string {
	av, as := decimalValue(a)
	bv, bs := decimalValue(b)
	scale := max(as, bs)
	av.Mul(av, pow10(scale-as))
	bv.Mul(bv, pow10(scale-bs))
	return formatDecimal(av.Add(av, bv), scale)
}

// decimalValue is d as an integer and the number of fraction digits it was
// scaled by: "12.50" is 1250 and 2.
func decimalValue(d string) (*big.Int, int) {
	whole, frac, _ := strings.Cut(d, ".")
	v, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok || v.Sign() < 0 {
		return new(big.Int), 0
	}
	return v, len(frac)
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// formatDecimal writes v scaled down by scale digits: 1950 and 5 is
// "0.01950".
func formatDecimal(v *big.Int, scale int) string {
	s := v.String()
	if scale == 0 {
		return s
	}
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}
