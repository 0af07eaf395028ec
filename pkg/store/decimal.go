package store

import (
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"

	"smsinbox/pkg/inbox"
)

// decimal_sum(x) is an aggregate SQLite lacks: it adds decimal amounts
// stored as text exactly (inbox.AddDecimals), where SQLite's own sum would
// turn them into floats and lose cents. Like sum, it skips NULLs and is NULL
// over no values. A value that is not a decimal is an error, never guessed
// at. It is registered with the driver once, for every connection.
func init() {
	sqlite.MustRegisterFunction("decimal_sum", &sqlite.FunctionImpl{
		NArgs:         1,
		Deterministic: true,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &decimalSum{}, nil },
	})
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
