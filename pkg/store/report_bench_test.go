package store_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// BenchmarkReportFirstPage measures the SMS Activity report over a million
// messages of one company, all in the default 30-day window, on PostgreSQL
// (skipped, saying why, without one): the first page (101 rows, as the
// Service asks for a page of 100) for typical filters, a page deep in the
// listing, a whole number's month streamed as the CSV export reads it, and
// the totals query for the same filters. With -v it logs
// EXPLAIN ANALYZE of each query. Generating the data takes about a minute;
// run it with `go test -run '^$' -bench Report -benchtime 20x ./pkg/store/`.
func BenchmarkReportFirstPage(b *testing.B) {
	db := storetest.Postgres(b)
	ctx := context.Background()
	end := time.Now().UTC()
	size := store.ReportData{Messages: 1_000_000, Numbers: 5, Users: 20, Contacts: 20_000, End: end, Span: 30 * 24 * time.Hour}
	start := time.Now()
	fx, err := db.GenerateReportData(ctx, size)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d messages on %d numbers from %d recruiters to %d contacts in %s",
		size.Messages, size.Numbers, size.Users, size.Contacts, time.Since(start).Round(time.Second))
	sizes, err := db.MessagesSizes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Log("sizes: " + sizes)

	all := inbox.ReportFilter{From: end.Add(-size.Span), To: end}
	with := func(edit func(*inbox.ReportFilter)) inbox.ReportFilter {
		f := all
		edit(&f)
		return f
	}
	cases := []struct {
		name string
		f    inbox.ReportFilter
	}{
		{"none", all},
		{"number", with(func(f *inbox.ReportFilter) { f.NumberID = fx.NumberIDs[0] })},
		{"user+outbound", with(func(f *inbox.ReportFilter) { f.UserID, f.Direction = fx.UserIDs[0], inbox.Outbound })},
		{"status=failed", with(func(f *inbox.ReportFilter) { f.Status = inbox.StatusFailed })},
		{"contact", with(func(f *inbox.ReportFilter) { f.ContactID = fx.ContactIDs[0] })},
		{"status=queued(no_match)", with(func(f *inbox.ReportFilter) { f.Status = inbox.StatusQueued })},
	}
	read := func(b *testing.B, q inbox.ReportQuery) int {
		n := 0
		if err := db.ReportRows(ctx, fx.CompanyID, q, func(inbox.ReportRow) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		return n
	}
	explain := func(b *testing.B, q inbox.ReportQuery, groups bool) {
		if !testing.Verbose() {
			return
		}
		plan, err := db.ExplainReport(ctx, fx.CompanyID, q, groups)
		if err != nil {
			b.Fatal(err)
		}
		b.Log("\n" + plan)
	}

	for _, c := range cases {
		q := inbox.ReportQuery{ReportFilter: c.f, Limit: 101}
		b.Run("page/"+c.name, func(b *testing.B) {
			explain(b, q, false)
			for b.Loop() {
				read(b, q)
			}
		})
	}
	// Keyset paging costs the same anywhere in the listing: a page from the
	// middle of the month.
	mid := inbox.ReportQuery{ReportFilter: all, Limit: 101, After: &inbox.ReportPosition{At: end.Add(-size.Span / 2), ID: 1 << 62}}
	b.Run("page/none,deep", func(b *testing.B) {
		explain(b, mid, false)
		for b.Loop() {
			if n := read(b, mid); n != 101 {
				b.Fatalf("deep page: got %d rows, want 101", n)
			}
		}
	})
	// A whole number's month streamed, as the CSV export reads it (in
	// batches of 1,000 rows by position): the time per export, and the heap
	// at its highest, which stays flat however many rows go by.
	export := inbox.ReportQuery{ReportFilter: cases[1].f}
	b.Run("export/number", func(b *testing.B) {
		explain(b, inbox.ReportQuery{ReportFilter: export.ReportFilter, Limit: 1000}, false)
		var peak uint64
		var ms runtime.MemStats
		rows := 0
		runtime.GC()
		for b.Loop() {
			rows = 0
			err := db.ReportRows(ctx, fx.CompanyID, export, func(inbox.ReportRow) error {
				if rows++; rows%10_000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows), "rows/op")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
	for _, c := range cases {
		q := inbox.ReportQuery{ReportFilter: c.f}
		b.Run("totals/"+c.name, func(b *testing.B) {
			explain(b, q, true)
			for b.Loop() {
				if _, err := db.ReportGroups(ctx, fx.CompanyID, c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
