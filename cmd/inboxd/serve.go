package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"smsinbox/pkg/hub"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/throttle"
	"smsinbox/pkg/web"
	"smsinbox/static"
)

func serveFlags(*flag.FlagSet) func(context.Context, cli, []string) error {
	return func(ctx context.Context, c cli, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("serve: unexpected %q; the server is configured by the environment (see inboxd help)", args[0])
		}
		cfg, log, err := c.configured()
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
		return serveOn(ctx, cfg, log, ln, c.stdout)
	}
}

// serveOn runs the server on ln until ctx ends (SIGINT or SIGTERM), then
// shuts down gracefully: the listener stops taking requests, in-flight ones
// finish, the sockets are closed with "going away", and the background work
// stops. It owns ln. The start-up banner goes to out.
func serveOn(ctx context.Context, cfg Config, log *slog.Logger, ln net.Listener, out io.Writer) error {
	defer ln.Close()
	if err := cfg.checkServe(); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	var (
		bus      inbox.Bus    = pubsub.NewMemory()
		attempts web.Attempts // nil: sign-in failures are counted per instance
		tickets  *pubsub.Redis
	)
	if cfg.RedisURL != "" {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		redis.SetLogger(redisLogger{log})
		// Interest: an instance receives the events of its own sockets'
		// topics only, not the whole deployment's.
		rb := pubsub.NewRedis(opt, cfg.RedisPrefix, pubsub.RedisOptions{Logger: log, Interest: true})
		defer rb.Close()
		bus, tickets = rb, rb
		counts := throttle.NewRedis(opt, cfg.RedisPrefix)
		defer counts.Close()
		attempts = counts
	}

	var (
		sender  inbox.Sender
		sim     *plivo.Simulator
		devPh   web.Phone
		records inbox.MessageRecords // nil: no backfill, no settling of sends in doubt
	)
	if cfg.Simulated() {
		sim = plivo.NewSimulator(cfg.PlivoAuthToken, nil, log)
		sender, devPh = sim, sim.DevPhone(cfg.PublicURL.String())
	} else {
		ps, err := plivo.NewSender(cfg.PlivoAuthID, cfg.PlivoAuthToken, cfg.PlivoAPIURL, &http.Client{Timeout: cfg.PlivoTimeout})
		if err != nil {
			return err
		}
		sender = ps
		if cfg.PlivoBackfill > 0 {
			pr, err := plivo.NewRecords(cfg.PlivoAuthID, cfg.PlivoAuthToken, plivo.RecordsOptions{APIURL: cfg.PlivoAPIURL,
				HTTPClient: &http.Client{Timeout: cfg.PlivoTimeout}, Clock: cfg.Clock, Logger: log})
			if err != nil {
				return err
			}
			records = pr
		}
	}

	svcCfg := inbox.DefaultConfig()
	svcCfg.PublicURL = cfg.PublicURL.String()
	svcCfg.EventRetention = cfg.EventRetention
	svcCfg.Outbox.PerNumber = cfg.SendInterval
	svcCfg.Outbox.AccountRate = cfg.SendRate
	svcCfg.PasswordCost = cfg.PasswordCost
	svcCfg.Region = cfg.DefaultRegion
	svcCfg.SessionIdle = cfg.SessionIdle
	svcCfg.SessionTTL = cfg.SessionMax
	svcCfg.Clock = cfg.Clock
	svcCfg.Records = records
	svcCfg.Backfill.Every = cfg.PlivoBackfill
	// The lease on Plivo's records outlives a renewal or two, and the
	// lease of an instance that died lapses before the next run is due.
	svcCfg.Backfill.Lease = min(30*time.Second, 2*cfg.PlivoBackfill)
	svcCfg.Outbox.Stuck = stuckSend(cfg.PlivoTimeout)
	svcCfg.FeedRetention = cfg.FeedRetention
	svcCfg.Webhooks.Timeout = cfg.WebhookTimeout
	svcCfg.Webhooks.Backoff = cfg.WebhookBackoff
	if tickets != nil {
		// Websocket tickets are signed with a key every instance shares and
		// used up once across all of them.
		svcCfg.TicketKeys, svcCfg.TicketLedger = tickets, tickets
	}
	svc := inbox.New(db, bus, sender, svcCfg, log)
	// Ledger entries older than the hash chain (a database upgraded from
	// 0.1.0) are chained once; later starts find none.
	if n, err := svc.ChainConsentLedger(ctx); err != nil {
		return fmt.Errorf("chain the consent ledger: %w", err)
	} else if n > 0 {
		log.Info("consent ledger chained", "entries", n)
	}

	demo, err := maybeSeedDemo(ctx, cfg, svc, db, log)
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}

	h := hub.New(svc, bus, hub.Options{OriginPatterns: cfg.AllowedOrigins, MaxPerUser: cfg.WSPerUser,
		RecheckEvery: cfg.SocketRecheck, Logger: log})
	metrics := metricsHandler(svc)
	var inlineMetrics http.Handler // /metrics on the main listener unless it has its own
	if cfg.MetricsAddr == "" {
		inlineMetrics = metrics
	}
	api, err := web.New(web.Options{
		Service:        svc,
		Hub:            h,
		Static:         static.Handler(static.Options{Dev: cfg.Simulated(), FrameAncestors: cfg.FrameAncestors}),
		Webhooks:       plivo.Verifier{PublicURL: cfg.PublicURL.String(), AuthToken: cfg.PlivoAuthToken, Nonces: db},
		Phone:          devPh,
		Metrics:        inlineMetrics,
		PublicURL:      cfg.PublicURL,
		AllowedOrigins: cfg.AllowedOrigins,
		TrustedProxies: cfg.TrustedProxies,
		FrameAncestors: cfg.FrameAncestors,
		Attempts:       attempts,
		ReadTimeout:    cfg.ReadTimeout,
		Clock:          cfg.Clock,
		Logger:         log,
	})
	if err != nil {
		return err
	}

	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Long polls of GET /api/events answer at once when shutting down,
	// rather than hold the shutdown for up to 30 s.
	srv.RegisterOnShutdown(svc.EndFeedWaits)
	servers := []*http.Server{srv}
	listeners := []net.Listener{ln}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		servers = append(servers, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second})
		listeners = append(listeners, mln)
	}

	// Background work lives until work ends; the listeners stop first.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	goRun := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(work); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	goRun("hub", h.Run)
	goRun("outbox", svc.RunOutbox)
	// The janitor finds sends cut short by a crash: it looks often enough
	// to find them soon after they count as stuck.
	goRun("janitor", func(ctx context.Context) error {
		return svc.RunJanitor(ctx, min(time.Minute, svcCfg.Outbox.Stuck/2))
	})
	goRun("claims", svc.RunClaims)
	goRun("bulk progress", svc.RunBulkProgress)
	goRun("records", svc.RunRecords)
	goRun("feed", svc.RunFeed)
	goRun("webhooks", svc.RunWebhooks)
	if sim != nil {
		goRun("simulator", sim.Run)
	}
	for i := range servers {
		srv, ln := servers[i], listeners[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}()
	}
	banner(out, cfg, db.Engine(), demo, ln.Addr().String())

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errs:
		log.Error("stopping after a failure", "err", runErr)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdown); err != nil {
			log.Warn("shutdown", "err", err)
		}
	}
	stopWork()
	wg.Wait()
	return runErr
}

// metricsHandler serves the package metrics of the default registry and the
// send queue's depth, read from the store at each scrape (the queue is shared
// by every instance, so any one of them can tell).
func metricsHandler(svc *inbox.Service) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "smsinbox_backfilled_messages_total",
		Help: "Texts this instance found in Plivo's message records, never brought by a webhook, and stored as missed.",
	}, func() float64 { return float64(svc.Backfilled()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "smsinbox_outbox_queue_depth", Help: "Messages waiting to be sent, across every instance.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := svc.QueueDepth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return promhttp.HandlerFor(prometheus.Gatherers{prometheus.DefaultGatherer, reg}, promhttp.HandlerOpts{})
}

// stuckSend is how long a send may be in flight before it counts as cut
// short by a crash: a send call ends within PLIVO_TIMEOUT, so one in flight
// for twelve times that — two minutes at the default ten seconds — belongs
// to a process that died.
func stuckSend(plivoTimeout time.Duration) time.Duration { return 12 * plivoTimeout }

// redisLogger sends go-redis's own pool chatter to the debug log: the bus
// already reports, once per outage, what matters.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

// banner tells the person who ran the server where it is and how to sign in.
func banner(out io.Writer, cfg Config, engine string, demo bool, addr string) {
	bus := "in-process"
	if cfg.RedisURL != "" {
		bus = "redis"
	}
	plivoMode := "Plivo"
	if cfg.Simulated() {
		plivoMode = "simulator (dev mode; candidate phone at " + cfg.PublicURL.String() + "/dev/phone)"
	}
	fmt.Fprintf(out, "\nsmsinbox is listening on http://%s (public URL %s)\n", addr, cfg.PublicURL)
	fmt.Fprintf(out, "  store: %s · bus: %s · SMS: %s\n", engine, bus, plivoMode)
	if demo {
		fmt.Fprintf(out, "  demo company %q; every demo user's password is %q:\n", demoCompany, demoPassword)
		for _, u := range demoUsers {
			fmt.Fprintf(out, "    %-16s %s\n", u.Email, u.Role)
		}
	}
	fmt.Fprintln(out)
}
