package inbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// BenchmarkReceiveSMS measures the inbound use case on a real store, without
// HTTP: what one webhook costs the server and the database. Texts go to 10
// numbers from 1,000 phones, in parallel.
//
//	go test -run '^$' -bench ReceiveSMS -benchtime 5s ./pkg/inbox/
func BenchmarkReceiveSMS(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			ctx := context.Background()
			db := engine.open(b)
			svc := inbox.New(db, pubsub.NewMemory(), nil, inbox.Config{PasswordCost: 4}, nil)
			admin, err := svc.Bootstrap(ctx, "Bench", inbox.NewUser{Email: "admin@bench.test", Password: "correct horse"})
			if err != nil {
				b.Fatal(err)
			}
			const numbers = 10
			for i := range numbers {
				if _, err := svc.CreateNumber(ctx, admin, fmt.Sprintf("+1415555%04d", 100+i), "n"); err != nil {
					b.Fatal(err)
				}
			}
			var seq atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					in := inbox.InboundSMS{
						From:        fmt.Sprintf("+1415556%04d", n%1000),
						To:          fmt.Sprintf("+1415555%04d", 100+n%numbers),
						Text:        "Is the job still open?",
						MessageUUID: fmt.Sprintf("bench-%d", n),
					}
					if _, err := svc.ReceiveSMS(ctx, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
