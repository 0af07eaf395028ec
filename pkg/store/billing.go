package store

import (
	"strconv"

	"smsinbox/pkg/inbox"
)

// Billing is stored in the columns units (an integer), total_rate and
// total_amount: numeric on PostgreSQL, text on SQLite (which has no exact
// decimal type), written and read as decimal strings either way — never
// through a float. NULL is "not reported".

// billingArgs are b's column values: nil for what b leaves empty.
func billingArgs(b inbox.Billing) (units, rate, amount any) {
	if n, err := strconv.ParseInt(b.Units, 10, 64); err == nil {
		units = n
	}
	if b.TotalRate != "" {
		rate = b.TotalRate
	}
	if b.TotalAmount != "" {
		amount = b.TotalAmount
	}
	return units, rate, amount
}

// billingRow scans the three columns.
type billingRow struct {
	Units       *int64  `db:"units"`
	TotalRate   *string `db:"total_rate"`
	TotalAmount *string `db:"total_amount"`
}

func (r billingRow) billing() inbox.Billing {
	var b inbox.Billing
	if r.Units != nil {
		b.Units = strconv.FormatInt(*r.Units, 10)
	}
	if r.TotalRate != nil {
		b.TotalRate = *r.TotalRate
	}
	if r.TotalAmount != nil {
		b.TotalAmount = *r.TotalAmount
	}
	return b
}
