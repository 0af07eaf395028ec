package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// BenchmarkFind measures search, inbox pages and the month's report with
// response times over a million messages of one company on PostgreSQL
// (skipped, saying why, without one), through the Service as the API calls
// it: everything an answer reads, minus HTTP. Each case reports the p50, p99
// and slowest of its iterations (p50-ms, p99-ms, max-ms). Generating the
// data takes a few minutes; run it with
// `go test -run '^$' -bench Find -benchtime 200x -timeout 30m ./pkg/store/`.
func BenchmarkFind(b *testing.B) {
	db := storetest.Postgres(b)
	ctx := context.Background()
	end := time.Now().UTC()
	size := store.InboxData{Messages: 1_000_000, Numbers: 5, Users: 20, Contacts: 20_000, End: end, Span: 30 * 24 * time.Hour}
	start := time.Now()
	fx, err := db.GenerateInboxData(ctx, size)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d messages on %d numbers from %d recruiters to %d contacts in %s",
		size.Messages, size.Numbers, size.Users, size.Contacts, time.Since(start).Round(time.Second))
	svc := inbox.New(db, nil, nil, inbox.Config{}, slog.New(slog.DiscardHandler))
	ana := inbox.User{ID: fx.UserIDs[0], CompanyID: fx.CompanyID, Role: inbox.RoleRecruiter} // on every number
	admin := inbox.User{ID: fx.AdminID, CompanyID: fx.CompanyID, Role: inbox.RoleAdmin}

	for _, q := range []string{"hello", "interview", "interv", "call tomorrow", "zeppelin", "ref 123456", "candidate7", "xylophone"} {
		b.Run("search/"+q, func(b *testing.B) {
			if testing.Verbose() {
				plan, err := db.ExplainSearch(ctx, fx.CompanyID, inbox.MessageSearch{Terms: inbox.SearchTerms(q), NumberIDs: fx.NumberIDs,
					Window: 200, Limit: 20})
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("search %q:\n%s", q, plan)
			}
			hits := 0
			timed(b, func() error {
				res, err := svc.Search(ctx, ana, inbox.SearchRequest{Q: q})
				hits = len(res.Messages) + len(res.Contacts)
				return err
			})
			b.ReportMetric(float64(hits), "results")
		})
	}
	b.Run("search/interview,one-number", func(b *testing.B) {
		timed(b, func() error {
			_, err := svc.Search(ctx, ana, inbox.SearchRequest{Q: "interview", NumberID: fx.NumberIDs[2]})
			return err
		})
	})
	b.Run("search/hello,page-3", func(b *testing.B) {
		first, err := svc.Search(ctx, ana, inbox.SearchRequest{Q: "hello"})
		if err != nil || first.NextCursor == nil {
			b.Fatalf("first page: %v, next %v", err, first.NextCursor)
		}
		second, err := svc.Search(ctx, ana, inbox.SearchRequest{Q: "hello", Cursor: *first.NextCursor})
		if err != nil || second.NextCursor == nil {
			b.Fatalf("second page: %v", err)
		}
		timed(b, func() error {
			_, err := svc.Search(ctx, ana, inbox.SearchRequest{Q: "hello", Cursor: *second.NextCursor})
			return err
		})
	})

	if testing.Verbose() {
		for _, unread := range []bool{true, false} {
			plan, err := db.ExplainInbox(ctx, fx.CompanyID, inbox.InboxQuery{NumberIDs: fx.NumberIDs, Unread: unread, Limit: 51})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("inbox page, unread=%v:\n%s", unread, plan)
		}
	}
	for name, req := range map[string]inbox.InboxRequest{
		"default(200)":   {},
		"widget(50)":     {Limit: 50},
		"unread(50)":     {Filter: inbox.FilterUnread, Limit: 50},
		"awaiting(50)":   {Filter: inbox.FilterAwaiting, Limit: 50},
		"mine(50)":       {Filter: inbox.FilterMine, Limit: 50},
		"one-number(50)": {NumberID: fx.NumberIDs[1], Limit: 50},
	} {
		b.Run("inbox/"+name, func(b *testing.B) {
			timed(b, func() error {
				_, err := svc.InboxPage(ctx, ana, req)
				return err
			})
		})
	}
	b.Run("inbox/page-40(50)", func(b *testing.B) {
		req := inbox.InboxRequest{Limit: 50}
		var last inbox.Thread
		for range 39 {
			page, err := svc.InboxPage(ctx, ana, req)
			if err != nil || page.NextCursor == nil {
				b.Fatalf("paging: %v", err)
			}
			req.Cursor, last = *page.NextCursor, page.Threads[len(page.Threads)-1]
		}
		if testing.Verbose() {
			plan, err := db.ExplainInbox(ctx, fx.CompanyID, inbox.InboxQuery{NumberIDs: fx.NumberIDs, Limit: 51,
				After: &inbox.InboxPosition{At: *last.LastMessageAt, ID: last.ID}})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("inbox page 40, read threads after %d:\n%s", last.ID, plan)
		}
		timed(b, func() error {
			_, err := svc.InboxPage(ctx, ana, req)
			return err
		})
	})

	for name, f := range map[string]inbox.ReportFilter{
		"month":        {},
		"month,number": {NumberID: fx.NumberIDs[0]},
		"month,user":   {UserID: fx.UserIDs[3]},
	} {
		b.Run("report/"+name, func(b *testing.B) {
			if testing.Verbose() {
				rf := f
				rf.From, rf.To = end.Add(-30*24*time.Hour), end
				plan, err := db.ExplainReportTotals(ctx, fx.CompanyID, rf)
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("report %s:\n%s", name, plan)
			}
			var page inbox.ReportPage
			timed(b, func() error {
				var err error
				page, err = svc.Report(ctx, admin, f, inbox.ReportPaging{})
				return err
			})
			t := page.Totals
			if t.ResponseP50 == nil || t.Inbound+t.Outbound == 0 {
				b.Fatalf("totals %+v: want messages and response times", t)
			}
			b.Logf("totals: %d in, %d out, %d failed; %d responses, p50 %d s, p90 %d s",
				t.Inbound, t.Outbound, t.Failed, t.Responses, *t.ResponseP50, *t.ResponseP90)
		})
	}
}

// timed runs fn once per iteration and reports the p50, p99 and slowest
// time of the iterations, in milliseconds.
func timed(b *testing.B, fn func() error) {
	b.Helper()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(p float64) float64 {
		i := int(p*float64(len(took))+0.999999) - 1
		return float64(took[min(max(i, 0), len(took)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(at(1), "max-ms")
	if testing.Verbose() {
		b.Log(fmt.Sprintf("%d iterations: p50 %.2f ms, p99 %.2f ms, max %.2f ms", len(took), at(0.5), at(0.99), at(1)))
	}
}
