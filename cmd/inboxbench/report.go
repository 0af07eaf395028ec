package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printTable writes one line per scenario (medians over the runs), the
// notes that do not fit a column, and the targets of issue 7.
func printTable(w io.Writer, ss []Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tstore+bus\tinst\tconns\tSMS/s\tdone/s\tconn/s\tKB/conn idle\tKB/conn after\tp50 ms\tp90\tp99\tp99.9\tmax\tµs CPU/frame\twebhook p50\twebhook p99\tsent\texpected\treceived\tlost\tdup\terrors\t")
	for _, s := range ss {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%d\t\n",
			s.Scenario, shortStore(s.Store, s.Bus), s.Instances, s.Conns, s.Rate, s.Achieved, s.ConnectRate,
			s.RSSIdleKBPerConn, s.RSSAfterKBPerConn, s.Delivery.P50, s.Delivery.P90, s.Delivery.P99, s.Delivery.P999, s.Delivery.Max,
			s.CPUUsPerDelivery, s.Webhook.P50, s.Webhook.P99, s.Sent, s.ExpectedFrames, s.ReceivedFrames, s.Lost, s.Duplicates, s.Errors)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, s := range ss {
		var notes []string
		notes = append(notes, fmt.Sprintf("%d run(s), %.0f s", s.Runs, s.DurationS))
		notes = append(notes, fmt.Sprintf("idle per socket: heap %.1f KB, stacks %.1f KB; connect per socket: inboxd %.0f µs, PostgreSQL %.0f µs CPU",
			s.HeapIdleKBPerConn, s.StackIdleKBPerConn, s.ConnectCPUUsPerConn, s.ConnectDBCPUUsPerConn))
		notes = append(notes, fmt.Sprintf("goroutines %.0f → %.0f idle → %.0f after → %.0f closed", s.Goroutines.Base, s.Goroutines.Idle, s.Goroutines.After, s.Goroutines.Closed))
		notes = append(notes, fmt.Sprintf("CPU cores: inboxd %.2f, PostgreSQL %.2f (%.0f µs/SMS), bench %.2f; machine %.0f%% busy",
			s.ServerCPUCores, s.DBCPUCores, s.DBCPUUsPerSMS, s.ClientCPUCores, 100*s.MachineCPUBusy))
		if s.ServerWebhookP99 > 0 {
			bound := "≤"
			if s.ServerWebhookP99Over {
				bound = ">"
			}
			notes = append(notes, fmt.Sprintf("webhook p99 inside inboxd (its histogram's bucket): %s %g ms; as the bench saw it %.1f ms", bound, s.ServerWebhookP99, s.Webhook.P99))
		}
		if s.ReadCross != nil {
			notes = append(notes, fmt.Sprintf("thread.read to the other instance p50 %.2f p99 %.2f p99.9 %.2f ms (%d frames)", s.ReadCross.P50, s.ReadCross.P99, s.ReadCross.P999, s.ReadCross.N))
		}
		for _, b := range s.BusByInstance {
			notes = append(notes, fmt.Sprintf("instance %d: %d sockets (%d open), %d number topics (%.0f %%), read %.1f bus messages/s; SMS/s × share %.1f; published on its number topics %.1f/s, on its other topics %.1f/s",
				b.Instance, b.Sockets, b.OpenSockets, b.NumberTopics, 100*b.TopicShare, b.PerSecond, b.ExpectedRate, b.NumberPerSecond, b.SharedPerSecond))
		}
		if s.Resume != nil {
			notes = append(notes, fmt.Sprintf("reload→hello p50 %.1f p99 %.1f ms (%d)", s.Resume.P50, s.Resume.P99, s.Resume.N))
		}
		if n := s.Gaps + s.Resyncs + s.Unexpected + s.Dropped + s.Slow + s.Unplanned; n > 0 {
			notes = append(notes, fmt.Sprintf("gaps %d, resyncs %d, unexpected %d, dropped %d, slow-consumer closes %d, unplanned reconnects %d",
				s.Gaps, s.Resyncs, s.Unexpected, s.Dropped, s.Slow, s.Unplanned))
		}
		for _, f := range s.Failures {
			notes = append(notes, "FAILED: "+f)
		}
		fmt.Fprintf(w, "  %-9s %s\n", s.Scenario, strings.Join(notes, ";\n            "))
	}
	fmt.Fprintln(w)
	printTargets(w, ss)
}

func shortStore(store, bus string) string {
	if store == "postgres" {
		return "pg+redis"
	}
	return "sqlite+mem"
}

// target is one of issue 7's targets and how a summary meets it.
type target struct {
	scenario string
	what     string
	measured func(s Summary) string
	met      func(s Summary) bool
}

var targets = []target{
	{"S2", "RSS ≤ 20 KB per idle socket (at 10,000)", func(s Summary) string { return fmt.Sprintf("%.1f KB at %d", s.RSSIdleKBPerConn, s.Conns) },
		func(s Summary) bool { return s.RSSIdleKBPerConn <= 20 }},
	{"S2", "RSS ≤ 28 KB per socket after traffic", func(s Summary) string { return fmt.Sprintf("%.1f KB", s.RSSAfterKBPerConn) },
		func(s Summary) bool { return s.RSSAfterKBPerConn <= 28 }},
	{"S2", "delivery p50 ≤ 2 ms, p99 ≤ 8 ms, p99.9 ≤ 20 ms",
		func(s Summary) string {
			return fmt.Sprintf("%.2f / %.2f / %.2f ms at %.0f SMS/s", s.Delivery.P50, s.Delivery.P99, s.Delivery.P999, s.Rate)
		},
		func(s Summary) bool { return s.Delivery.P50 <= 2 && s.Delivery.P99 <= 8 && s.Delivery.P999 <= 20 }},
	{"S2", "0 lost, 0 duplicated", lostDup, noLoss},
	{"S2", "connect ≥ 3,000 authenticated sockets/s", func(s Summary) string { return fmt.Sprintf("%.0f/s", s.ConnectRate) },
		func(s Summary) bool { return s.ConnectRate >= 3000 }},
	{"S1", "server CPU ≤ 20 µs per delivered frame", func(s Summary) string { return fmt.Sprintf("%.1f µs at %d sockets", s.CPUUsPerDelivery, s.Conns) },
		func(s Summary) bool { return s.CPUUsPerDelivery <= 20 }},
	{"S3", "0 lost, 0 duplicated with reloads", lostDup, noLoss},
	{"S3", "goroutines back to their level after churn", func(s Summary) string { return fmt.Sprintf("%.0f → %.0f", s.Goroutines.Idle, s.Goroutines.After) },
		func(s Summary) bool { return s.Goroutines.After <= s.Goroutines.Idle+20 }},
	{"S4", "read reaches the other instance at p99 ≤ 5 ms", func(s Summary) string {
		if s.ReadCross == nil {
			return "no reads"
		}
		return fmt.Sprintf("%.2f ms", s.ReadCross.P99)
	}, func(s Summary) bool { return s.ReadCross != nil && s.ReadCross.N > 0 && s.ReadCross.P99 <= 5 }},
	{"S5", "≥ 2,000 SMS/s, webhook p99 ≤ 50 ms, 0 errors", func(s Summary) string {
		return fmt.Sprintf("%.0f SMS/s, p99 %.1f ms, %d errors", s.Rate, s.Webhook.P99, s.Errors)
	}, func(s Summary) bool {
		return s.Rate >= 2000 && s.Webhook.P99 <= 50 && s.Errors == 0 && len(s.Failures) == 0
	}},
	{"S2-sqlite", "0 lost, 0 duplicated (embedded)", lostDup, noLoss},
}

func lostDup(s Summary) string {
	return fmt.Sprintf("%d lost, %d dup, %d errors", s.Lost, s.Duplicates, s.Errors)
}
func noLoss(s Summary) bool { return s.Lost == 0 && s.Duplicates == 0 && s.Errors == 0 }

// printTargets checks each target against the scenario it is about.
func printTargets(w io.Writer, ss []Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tscenario\tmeasured (median)\t")
	for _, t := range targets {
		for _, s := range ss {
			if s.Scenario != t.scenario {
				continue
			}
			verdict := "MISSED"
			if t.met(s) {
				verdict = "met"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.what, t.scenario, t.measured(s), verdict)
		}
	}
	tw.Flush()
}
