package inbox

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"smsinbox/pkg/clock"
)

// Config tunes a Service. Zero values take the defaults of DefaultConfig.
type Config struct {
	// PublicURL is the base URL Plivo calls; status callback URLs are built from it.
	PublicURL string
	// Region is the default region for phone numbers written without a country code.
	Region string
	// SessionTTL is the longest a sign-in lasts, however active.
	SessionTTL time.Duration
	// SessionIdle ends a session that had no request for this long.
	SessionIdle time.Duration
	// TicketTTL is how long a websocket ticket is valid.
	TicketTTL time.Duration
	// EventRetention is how long events are kept for resume.
	EventRetention time.Duration
	// PasswordCost is the bcrypt cost of password hashes.
	PasswordCost int
	// Outbox tunes the send queue.
	Outbox OutboxConfig
	// Clock is the service's time: sessions, schedules, quiet hours, claims
	// and expiries all read it (default: the wall clock).
	Clock clock.Clock
	// ClaimPoll is how often, in real time, the lapse loop looks for claims
	// made by other processes (default 1 s).
	ClaimPoll time.Duration
	// Records are the provider's message records: with them the service
	// backfills texts no webhook brought and settles sends in doubt
	// (RunRecords). nil: neither (the simulator, or turned off).
	Records MessageRecords
	// Backfill tunes the reading of Records.
	Backfill BackfillConfig
	// Webhooks tunes the delivery of outbound webhooks.
	Webhooks WebhookConfig
	// SSOClient fetches the ATS's JWKS (default: 5 s timeout).
	SSOClient *http.Client
	// FeedRetention is how long the company feed (GET /api/events, the
	// webhooks' outbox) is kept: longer than a webhook may fail.
	FeedRetention time.Duration
	// TicketKeys and TicketLedger sign websocket tickets and keep them
	// single-use, across every instance (Redis: pubsub.Redis). Both nil:
	// a key and a ledger of this process alone.
	TicketKeys   TicketKeys
	TicketLedger TicketLedger
}

// DefaultConfig is the configuration of a production Service.
func DefaultConfig() Config {
	return Config{
		Region:         DefaultRegion,
		SessionTTL:     14 * 24 * time.Hour,
		SessionIdle:    12 * time.Hour,
		TicketTTL:      30 * time.Second,
		EventRetention: 72 * time.Hour,
		PasswordCost:   11,
		Outbox:         DefaultOutboxConfig(),
		Backfill:       DefaultBackfillConfig(),
		FeedRetention:  7 * 24 * time.Hour,
	}
}

// Service carries out every use case of smsinbox over a Store (the truth),
// a Bus (the doorbell to every process's websockets) and a Sender (Plivo).
type Service struct {
	store  Store
	bus    Bus
	sender Sender
	cfg    Config
	log    *slog.Logger
	clock  clock.Clock
	wake   chan struct{} // nudges the outbox when a message is queued

	claimsWake chan struct{} // nudges the lapse loop when a claim is made
	bulkWake   chan struct{} // nudges the bulk progress loop when a bulk send is made

	inbound groupCommit // inbound texts waiting for their transaction

	sessions sessionCache // live sessions, while RunSessionCache runs
	tickets  ticketSigner // websocket tickets signed by the server

	instance   string        // this process, as the holder of leases
	backfilled atomic.Uint64 // missed texts stored by this process

	// Failures of a dependency are logged once per FaultLogEvery with a
	// count, not once each.
	publishFaults *FaultLog // the bus
	claimFaults   *FaultLog // the store, as the outbox finds it
	lapseFaults   *FaultLog // the store, as the claims' lapse loop finds it
	recordFaults  *FaultLog // the provider's records, or the store, as their reading finds them
	bulkFaults    *FaultLog // pushing bulk progress
	webhookFaults *FaultLog // the store, as the webhook deliveries find it

	jwks      jwksCache     // the ATS's SSO keys
	feedBell  bell          // rings GET /api/events's long polls
	hooksWake chan struct{} // nudges the webhook deliveries
}

// New returns a Service. Missing configuration takes DefaultConfig's values.
func New(store Store, bus Bus, sender Sender, cfg Config, log *slog.Logger) *Service {
	def := DefaultConfig()
	if cfg.Region == "" {
		cfg.Region = def.Region
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = def.SessionTTL
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = def.SessionIdle
	}
	if cfg.TicketTTL == 0 {
		cfg.TicketTTL = def.TicketTTL
	}
	if cfg.EventRetention == 0 {
		cfg.EventRetention = def.EventRetention
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = def.PasswordCost
	}
	cfg.Outbox = cfg.Outbox.withDefaults()
	cfg.Backfill = cfg.Backfill.withDefaults()
	cfg.Webhooks = cfg.Webhooks.withDefaults()
	if cfg.SSOClient == nil {
		cfg.SSOClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.FeedRetention <= 0 {
		cfg.FeedRetention = def.FeedRetention
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.TicketKeys == nil && cfg.TicketLedger == nil {
		cfg.TicketKeys, cfg.TicketLedger = NewLocalTicketKey(), NewMemoryTickets()
	}
	if cfg.ClaimPoll <= 0 {
		cfg.ClaimPoll = defaultClaimPoll
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{
		store: store, bus: bus, sender: sender, cfg: cfg, log: log,
		clock:         cfg.Clock,
		wake:          make(chan struct{}, 1),
		claimsWake:    make(chan struct{}, 1),
		bulkWake:      make(chan struct{}, 1),
		bulkFaults:    NewFaultLog(log, slog.LevelWarn, "pushing bulk send progress failed; retrying", 0),
		hooksWake:     make(chan struct{}, 1),
		webhookFaults: NewFaultLog(log, slog.LevelWarn, "delivering webhooks failed; retrying", 0),
		inbound:       newGroupCommit(),
		tickets:       ticketSigner{keys: cfg.TicketKeys, ledger: cfg.TicketLedger},
		instance:      newInstanceID(),
		publishFaults: NewFaultLog(log, slog.LevelWarn, "publishing events failed; sockets catch up from the store", 0),
		claimFaults:   NewFaultLog(log, slog.LevelWarn, "claiming queued messages failed; the outbox tries again", 0),
		lapseFaults:   NewFaultLog(log, slog.LevelWarn, "lapsing claims failed; retrying", 0),
		recordFaults:  NewFaultLog(log, slog.LevelWarn, "reading Plivo's message records failed; the next run tries again", 0),
	}
}

// now is the service's current time, in UTC.
func (s *Service) now() time.Time { return s.clock.Now() }

// write runs fn in a transaction and, once it has committed, publishes the
// events it emitted. A publish failure is logged, not returned: the change is
// stored, and every process reads missed events back from the store.
func (s *Service) write(ctx context.Context, fn func(Tx) error) error {
	events, err := s.store.Tx(ctx, fn)
	if err != nil {
		return err
	}
	s.publish(events)
	return nil
}

// publishTimeout bounds a publish so a slow bus never holds up a webhook.
const publishTimeout = 2 * time.Second

func (s *Service) publish(events []Event) {
	if len(events) == 0 {
		return
	}
	// Not the request's context: the change is committed, so its events go
	// out even if the client has gone.
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	// The company feed's events ring a doorbell only (RunFeed): readers
	// take them from the store, so their data does not travel the bus.
	cloned := false
	for i := range events {
		if _, ok := feedCompany(events[i].Topic); ok {
			if !cloned { // the caller's events stay whole
				events, cloned = slices.Clone(events), true
			}
			events[i].Data = nil
		}
	}
	if err := s.bus.Publish(ctx, events...); err != nil {
		// An outage of the bus is one story, not one line per webhook.
		s.publishFaults.Failed(err)
	}
}

// Ready reports whether the store and the bus answer; the error names the
// failing part.
func (s *Service) Ready(ctx context.Context) (store, bus error) {
	return s.store.Ping(ctx), s.bus.Ping(ctx)
}

func requireAdmin(u User) error {
	if !u.IsAdmin() {
		return ErrForbidden
	}
	return nil
}
