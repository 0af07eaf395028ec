package inbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// BenchmarkWebhookDeliveryLag sends inbound texts at 500 a second for 10 s
// (WEBHOOK_BENCH_SECONDS changes it) through the inbound use case on a real
// store, with one webhook endpoint taking every event, and reports the lag
// of each text from the moment it was handed to the service to the moment
// its message.received reached the endpoint: p50, p99 and max, and the
// rate the texts were stored at; store-p99-ms and deliver-p99-ms split the
// lag into storing the text (the inbound webhook's own latency) and
// delivering its event once stored.
//
//	go test -run '^$' -bench WebhookDeliveryLag -benchtime 1x ./pkg/inbox/
func BenchmarkWebhookDeliveryLag(b *testing.B) {
	seconds := 10
	if v := os.Getenv("WEBHOOK_BENCH_SECONDS"); v != "" {
		fmt.Sscan(v, &seconds)
	}
	const rate = 500
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			for range b.N {
				lagRun(b, engine.open(b), rate, time.Duration(seconds)*time.Second)
			}
		})
	}
}

func lagRun(b *testing.B, db *store.DB, rate int, d time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := pubsub.NewMemory()
	svc := inbox.New(db, bus, nil, inbox.Config{PasswordCost: 4}, nil)
	admin, err := svc.Bootstrap(ctx, "Bench", inbox.NewUser{Email: "admin@bench.test", Password: "correct horse"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateNumber(ctx, admin, "+14155550100", "n"); err != nil {
		b.Fatal(err)
	}

	var (
		mu      sync.Mutex
		sent    = map[string]time.Time{}
		stored  = map[string]time.Time{}
		arrived = map[string]time.Time{}
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		var p struct {
			Events []struct {
				Type string
				Data struct {
					Message struct {
						PlivoUUID string `json:"plivo_uuid"`
					}
				}
			}
		}
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		for _, e := range p.Events {
			if e.Type == "message.received" {
				if _, dup := arrived[e.Data.Message.PlivoUUID]; !dup {
					arrived[e.Data.Message.PlivoUUID] = now
				}
			}
		}
		mu.Unlock()
	}))
	defer recv.Close()
	if _, err := svc.CreateWebhook(ctx, admin, inbox.CreateWebhookRequest{URL: recv.URL, Events: []string{"*"}}); err != nil {
		b.Fatal(err)
	}
	var bg sync.WaitGroup
	bg.Go(func() { _ = svc.RunFeed(ctx) })
	bg.Go(func() { _ = svc.RunWebhooks(ctx) })

	// An open-loop pacer: one text every 1/rate s, each in its own
	// goroutine, whatever the store's speed.
	b.ResetTimer()
	start := time.Now()
	total := int(d.Seconds()) * rate
	var texts sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := range total {
		<-tick.C
		uuid := fmt.Sprintf("lag-%d", i)
		in := inbox.InboundSMS{From: fmt.Sprintf("+1415556%04d", i%2000), To: "+14155550100",
			Text: "Is the job still open?", MessageUUID: uuid}
		mu.Lock()
		sent[uuid] = time.Now()
		mu.Unlock()
		texts.Go(func() {
			if _, err := svc.ReceiveSMS(ctx, in); err != nil {
				b.Error(err)
			}
			mu.Lock()
			stored[uuid] = time.Now()
			mu.Unlock()
		})
	}
	tick.Stop()
	texts.Wait()
	took := time.Since(start)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(arrived)
		mu.Unlock()
		if n == total || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	bg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(arrived) != total {
		b.Fatalf("%d of %d texts reached the endpoint", len(arrived), total)
	}
	lags := make([]time.Duration, 0, total)
	for uuid, at := range arrived {
		lags = append(lags, at.Sub(sent[uuid]))
	}
	slices.Sort(lags)
	pct := func(p float64) float64 { return float64(lags[int(p*float64(len(lags)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "lag-p50-ms")
	b.ReportMetric(pct(0.99), "lag-p99-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "lag-max-ms")
	b.ReportMetric(float64(total)/took.Seconds(), "texts/s")
	// The part of the lag that is storing the text (the webhook's answer
	// to Plivo waits for it), apart from its delivery.
	store := make([]time.Duration, 0, total)
	for uuid, at := range stored {
		store = append(store, at.Sub(sent[uuid]))
	}
	slices.Sort(store)
	b.ReportMetric(float64(store[int(0.99*float64(len(store)-1))].Microseconds())/1000, "store-p99-ms")
	// And the delivery alone: from the text stored to its event received.
	deliver := make([]time.Duration, 0, total)
	for uuid, at := range arrived {
		deliver = append(deliver, at.Sub(stored[uuid]))
	}
	slices.Sort(deliver)
	b.ReportMetric(float64(deliver[int(0.99*float64(len(deliver)-1))].Microseconds())/1000, "deliver-p99-ms")
}
