package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"modernc.org/sqlite"

	"smsinbox/pkg/inbox"
)

// decimal_sum(x) is an aggregate SQLite lacks: it adds decimal amounts
// stored as text exactly (inbox.AddDecimals), where SQLite's own sum would
// turn them into floats and lose cents. Like sum, it skips NULLs and is NULL
// over no values. A value that is not a decimal is an error, never guessed
// at.
//
// decimal_add(a, b) is a + b, exactly, for the triggers that keep the
// report's rollups (migration 6): a rollup's amount moves by a message's
// amount, added or taken away ("-0.00650"), so unlike decimal_sum it reads
// signed decimals. NULL counts as zero; the result has as many fraction
// digits as the more precise of the two, as PostgreSQL's numeric adds.
//
// Both are registered with the driver once, here, and so exist on every
// connection it opens: the write connection and the read pool alike (and
// goose's migrations, which run on the write connection). A database file
// opened by another SQLite program lacks them: a write to messages there
// fails on the rollup triggers rather than miscount.
func init() {
	sqlite.MustRegisterFunction("decimal_sum", &sqlite.FunctionImpl{
		NArgs:         1,
		Deterministic: true,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &decimalSum{}, nil },
	})
	sqlite.MustRegisterFunction("decimal_add", &sqlite.FunctionImpl{
		NArgs:         2,
		Deterministic: true,
		Scalar: func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			return decimalAdd(args[0], args[1])
		},
	})
}

// decimalAdd is decimal_add.
func decimalAdd(a, b driver.Value) (driver.Value, error) {
	av, as, err := signedDecimal(a)
	if err != nil {
		return nil, err
	}
	bv, bs, err := signedDecimal(b)
	if err != nil {
		return nil, err
	}
	scale := max(as, bs)
	ten := big.NewInt(10)
	av.Mul(av, new(big.Int).Exp(ten, big.NewInt(int64(scale-as)), nil))
	bv.Mul(bv, new(big.Int).Exp(ten, big.NewInt(int64(scale-bs)), nil))
	return formatSigned(av.Add(av, bv), scale), nil
}

// signedDecimal reads a value of decimal_add: NULL (zero), an integer, or
// a decimal as ParseDecimal reads it with an optional leading minus. It
// returns the value as an integer and the number of fraction digits it is
// scaled by ("-12.50" is -1250 and 2).
func signedDecimal(v driver.Value) (*big.Int, int, error) {
	var s string
	switch v := v.(type) {
	case nil:
		return new(big.Int), 0, nil
	case int64:
		return big.NewInt(v), 0, nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return nil, 0, fmt.Errorf("decimal_add: %T is not a decimal", v)
	}
	digits, neg := strings.CutPrefix(s, "-")
	dec, ok := inbox.ParseDecimal(digits)
	if !ok || strings.TrimSpace(digits) != digits {
		return nil, 0, fmt.Errorf("decimal_add: %q is not a decimal", s)
	}
	whole, frac, _ := strings.Cut(dec, ".")
	n, _ := new(big.Int).SetString(whole+frac, 10) // ParseDecimal let digits only through
	if neg {
		n.Neg(n)
	}
	return n, len(frac), nil
}

// formatSigned writes v scaled down by scale digits: -1950 and 5 is
// "-0.01950"; zero has no sign.
func formatSigned(v *big.Int, scale int) string {
	sign := ""
	if v.Sign() < 0 {
		sign = "-"
	}
	s := new(big.Int).Abs(v).String()
	if scale == 0 {
		return sign + s
	}
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	return sign + s[:len(s)-scale] + "." + s[len(s)-scale:]
}

// decimalSum is one evaluation of decimal_sum.
type decimalSum struct {
	sum  string
	some bool
}

func (d *decimalSum) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	var s string
	switch v := args[0].(type) {
	case nil:
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	case int64:
		s = fmt.Sprint(v)
	default:
		return fmt.Errorf("decimal_sum: %T is not a decimal", v)
	}
	dec, ok := inbox.ParseDecimal(s)
	if !ok {
		return fmt.Errorf("decimal_sum: %q is not a decimal", s)
	}
	d.sum, d.some = inbox.AddDecimals(d.sum, dec), true
	return nil
}

func (d *decimalSum) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New("decimal_sum is not a window function")
}

func (d *decimalSum) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if !d.some {
		return nil, nil
	}
	return d.sum, nil
}

func (d *decimalSum) Final(*sqlite.FunctionContext) {}
