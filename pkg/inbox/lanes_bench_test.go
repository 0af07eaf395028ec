package inbox_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo"
	"smsinbox/pkg/plivo/plivotest"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// BenchmarkSendLanes drains texts queued on two numbers at the production
// pace — one text per number per second, the default — through plivo-go to
// the fake Plivo API, and reports how long the drain took and the gaps
// between one number's texts as the fake received them. 300 texts (150 a
// number) should drain in about 150 s; an outbox paced by its poll rather
// than its lanes took twice that. BENCH_SENDS changes the count (even).
//
//	go test -run '^$' -bench SendLanes -benchtime 1x -timeout 30m ./pkg/inbox/
func BenchmarkSendLanes(b *testing.B) {
	sends := 300
	if v := os.Getenv("BENCH_SENDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n%2 != 0 {
			b.Fatalf("BENCH_SENDS=%q: want an even count of at least 4", v)
		}
		sends = n
	}
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			for b.Loop() {
				drainLanes(b, engine.open(b), sends)
			}
		})
	}
}

func drainLanes(b *testing.B, db *store.DB, sends int) {
	ctx := context.Background()
	fake := plivotest.NewServer(b, "MABENCH", "bench-token")
	sender, err := plivo.NewSender("MABENCH", "bench-token", fake.URL, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	svc := inbox.New(db, pubsub.NewMemory(), sender, inbox.Config{PasswordCost: 4, PublicURL: "http://127.0.0.1:1"}, nil)
	admin, err := svc.Bootstrap(ctx, "Bench", inbox.NewUser{Email: "admin@bench.test", Password: "correct horse"})
	if err != nil {
		b.Fatal(err)
	}
	type lane struct {
		number  inbox.Number
		contact inbox.Contact
	}
	lanes := make([]lane, 2)
	for i := range lanes {
		if lanes[i].number, err = svc.CreateNumber(ctx, admin, fmt.Sprintf("+1415555%04d", 100+i), "n"); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.SetAssignees(ctx, admin, lanes[i].number.ID, []int64{admin.ID}); err != nil {
			b.Fatal(err)
		}
		if lanes[i].contact, _, err = svc.UpsertContact(ctx, admin, inbox.ContactInput{Name: "c", Phone: fmt.Sprintf("+1650555%04d", i),
			SMSOptIn: ptr(true)}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range sends {
		l := lanes[i%2]
		if _, err := svc.Send(ctx, admin, l.contact.ID, inbox.SendRequest{Body: "text " + strconv.Itoa(i), NumberID: l.number.ID}); err != nil {
			b.Fatal(err)
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- svc.RunOutbox(runCtx) }()
	for len(fake.Creates()) < sends {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	creates := fake.Creates()
	drain := creates[len(creates)-1].At.Sub(start)
	byNumber := map[string][]time.Time{}
	for _, c := range creates {
		byNumber[c.Src] = append(byNumber[c.Src], c.At)
	}
	var gaps []time.Duration
	for _, at := range byNumber {
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i].Sub(at[i-1]))
		}
	}
	slices.Sort(gaps)
	var sum time.Duration
	for _, g := range gaps {
		sum += g
	}
	b.ReportMetric(drain.Seconds(), "s/drain")
	b.ReportMetric((sum / time.Duration(len(gaps))).Seconds(), "s/gap-mean")
	b.ReportMetric(gaps[0].Seconds(), "s/gap-min")
	b.ReportMetric(gaps[len(gaps)/2].Seconds(), "s/gap-p50")
	b.ReportMetric(gaps[len(gaps)*99/100].Seconds(), "s/gap-p99")
	b.ReportMetric(gaps[len(gaps)-1].Seconds(), "s/gap-max")
	b.Logf("%d texts on 2 numbers drained in %.1f s; gaps between one number's texts: min %v, median %v, mean %v, max %v",
		sends, drain.Seconds(), gaps[0], gaps[len(gaps)/2], sum/time.Duration(len(gaps)), gaps[len(gaps)-1])
}
