package inbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Outbound webhooks: the company's feed (feed.go) POSTed to the URLs an
// admin registered, in seq order, up to WebhookBatch events a request and
// one request in flight per endpoint. The feed is the outbox: each endpoint
// keeps the seq it has acknowledged (a 2xx) in the store, so an instance
// that dies mid-request leaves the batch to be sent again (at least once:
// a receiver dedupes on the event id). Among instances, the one holding an
// endpoint's lease delivers it.

// WebhookBatch is the most events one delivery carries.
const WebhookBatch = 100

// WebhookGiveUp is how long an endpoint may fail before it is disabled.
const WebhookGiveUp = 72 * time.Hour

// SignatureHeader carries a delivery's signature: "t=<unix>,v1=<hex>", the
// hex HMAC-SHA256 with the endpoint's secret of "<t>.<body>".
const SignatureHeader = "Smsinbox-Signature"

// EventWebhookDisabled tells a company's sockets (its admins' screens) that
// an endpoint was disabled after failing for WebhookGiveUp.
const EventWebhookDisabled = "webhook.disabled"

// Webhook is an endpoint of the outbound webhooks.
type Webhook struct {
	ID        int64    `json:"id" db:"id"`
	CompanyID int64    `json:"-" db:"company_id"`
	URL       string   `json:"url" db:"url"`
	Events    []string `json:"events" db:"-"`
	// Secret signs the deliveries; shown once, when the endpoint is made.
	Secret       string `json:"secret,omitempty" db:"secret"`
	DeliveredSeq int64  `json:"delivered_seq" db:"delivered_seq"`
	// Attempts counts the failed attempts in a row; NextAttemptAt is when
	// the next one is due; FailingSince when the failures began.
	Attempts      int        `json:"failed_attempts" db:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at" db:"next_attempt_at"`
	FailingSince  *time.Time `json:"failing_since" db:"failing_since"`
	LastError     string     `json:"last_error" db:"last_error"`
	DisabledAt    *time.Time `json:"disabled_at" db:"disabled_at"`
	CreatedAt     time.Time  `json:"created_at" db:"created_at"`
}

// wants reports whether the endpoint takes events of type typ.
func (w Webhook) wants(typ string) bool {
	return slices.Contains(w.Events, "*") || slices.Contains(w.Events, typ)
}

// WebhookDelivery is one attempt of the delivery log.
type WebhookDelivery struct {
	ID          int64     `json:"id" db:"id"`
	EndpointID  int64     `json:"-" db:"endpoint_id"`
	FirstSeq    int64     `json:"first_seq" db:"first_seq"`
	LastSeq     int64     `json:"last_seq" db:"last_seq"`
	Events      int       `json:"events" db:"events"`
	AttemptedAt time.Time `json:"attempted_at" db:"attempted_at"`
	StatusCode  int       `json:"status_code" db:"status_code"` // 0: no answer
	Error       string    `json:"error" db:"error"`
	LatencyMS   int64     `json:"latency_ms" db:"latency_ms"`
}

// Delivered reports whether the attempt delivered.
func (d WebhookDelivery) Delivered() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// WebhookStore keeps the endpoints and their delivery log. Each call is one
// transaction of its own.
type WebhookStore interface {
	// CreateWebhook stores w (CompanyID, URL, Events, Secret set) with its
	// cursor at the company feed's current seq, and sets ID,
	// DeliveredSeq and CreatedAt.
	CreateWebhook(ctx context.Context, w *Webhook) error
	Webhooks(ctx context.Context, companyID int64) ([]Webhook, error)
	Webhook(ctx context.Context, companyID, id int64) (Webhook, error)
	DeleteWebhook(ctx context.Context, companyID, id int64) error
	// DueWebhooks are the enabled endpoints with undelivered feed events
	// whose next attempt is due at now.
	DueWebhooks(ctx context.Context, now time.Time) ([]Webhook, error)
	// RecordDelivery logs d and, when it delivered, moves the endpoint's
	// cursor from from to d.LastSeq and clears its failures; when it did
	// not, it stores the endpoint's failure state from w (Attempts,
	// NextAttemptAt, FailingSince, LastError, DisabledAt). Either way only
	// while the cursor is still at from: it reports false, changing
	// nothing, when it moved meanwhile (a replay).
	RecordDelivery(ctx context.Context, w Webhook, from int64, d WebhookDelivery) (bool, error)
	// SkipEvents moves the cursor from from to to, past events the
	// endpoint does not take, while it is still at from.
	SkipEvents(ctx context.Context, id, from, to int64) (bool, error)
	// ReplayWebhook sets the cursor to after, clears the failures and
	// enables the endpoint.
	ReplayWebhook(ctx context.Context, companyID, id, after int64) error
	WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error)
	// PruneFeed forgets the company feeds' events stored before before.
	PruneFeed(ctx context.Context, before time.Time) error
	// PruneWebhookDeliveries forgets the attempts made before before.
	PruneWebhookDeliveries(ctx context.Context, before time.Time) error
}

// WebhookConfig tunes the delivery of webhooks.
type WebhookConfig struct {
	// Timeout bounds one delivery request (default 10 s). The lease on an
	// endpoint lasts three times as long and is renewed once a Timeout has
	// passed, so every request starts with two Timeouts of lease left and
	// never outlives it: two instances never deliver to one endpoint at
	// once.
	Timeout time.Duration
	// Poll is how often, in real time, the store is asked for due endpoints
	// besides the bus's doorbell (default 1 s).
	Poll time.Duration
	// Client posts the deliveries (default: an http.Client with Timeout).
	Client *http.Client
	// Backoff is the delay before the first retry, doubled each failure
	// up to MaxBackoff (defaults 5 s and 1 h).
	Backoff, MaxBackoff time.Duration
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	defaultTo(&c.Timeout, 10*time.Second)
	defaultTo(&c.Poll, time.Second)
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
	defaultTo(&c.Backoff, 5*time.Second)
	defaultTo(&c.MaxBackoff, time.Hour)
	return c
}

// CreateWebhookRequest is POST /api/webhooks's body.
type CreateWebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// CreateWebhook registers an endpoint (admins only). It gets the events
// stored from now on.
func (s *Service) CreateWebhook(ctx context.Context, caller User, r CreateWebhookRequest) (Webhook, error) {
	if err := requireAdmin(caller); err != nil {
		return Webhook{}, err
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return Webhook{}, Invalid("invalid_url", "url must be an absolute http or https URL")
	}
	if len(r.Events) == 0 {
		return Webhook{}, Invalid("invalid_events", `events must list event types, or be ["*"] for every one`)
	}
	for _, t := range r.Events {
		if t != "*" && !slices.Contains(FeedTypes, t) {
			return Webhook{}, Invalid("invalid_events", "unknown event type %q", t)
		}
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	w := Webhook{CompanyID: caller.CompanyID, URL: u.String(), Events: slices.Compact(slices.Sorted(slices.Values(r.Events))),
		Secret: "whsec_" + hex.EncodeToString(b[:])}
	if err := s.store.CreateWebhook(ctx, &w); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// Webhooks lists the company's endpoints, without their secrets.
func (s *Service) Webhooks(ctx context.Context, caller User) ([]Webhook, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	hooks, err := s.store.Webhooks(ctx, caller.CompanyID)
	for i := range hooks {
		hooks[i].Secret = ""
	}
	return hooks, err
}

// DeleteWebhook removes an endpoint and its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, caller User, id int64) error {
	if err := requireAdmin(caller); err != nil {
		return err
	}
	return s.store.DeleteWebhook(ctx, caller.CompanyID, id)
}

// WebhookDeliveries is the endpoint's recent attempts, newest first.
func (s *Service) WebhookDeliveries(ctx context.Context, caller User, id int64) ([]WebhookDelivery, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	if _, err := s.store.Webhook(ctx, caller.CompanyID, id); err != nil {
		return nil, err
	}
	return s.store.WebhookDeliveries(ctx, id, 100)
}

// ReplayWebhook delivers the feed again from fromSeq on, and enables the
// endpoint if it was disabled. Events no longer kept → KindGone.
func (s *Service) ReplayWebhook(ctx context.Context, caller User, id, fromSeq int64) (Webhook, error) {
	if err := requireAdmin(caller); err != nil {
		return Webhook{}, err
	}
	if _, err := s.store.Webhook(ctx, caller.CompanyID, id); err != nil {
		return Webhook{}, err
	}
	if fromSeq < 1 {
		return Webhook{}, Invalid("invalid_from_seq", "from_seq must be 1 or more")
	}
	// The events from fromSeq on must all be kept.
	if _, err := s.readFeed(ctx, caller.CompanyID, FeedTopic(caller.CompanyID), fromSeq-1, 1); err != nil {
		return Webhook{}, err
	}
	if err := s.store.ReplayWebhook(ctx, caller.CompanyID, id, fromSeq-1); err != nil {
		return Webhook{}, err
	}
	s.wakeWebhooks()
	w, err := s.store.Webhook(ctx, caller.CompanyID, id)
	w.Secret = ""
	return w, err
}

func (s *Service) wakeWebhooks() {
	select {
	case s.hooksWake <- struct{}{}:
	default:
	}
}

// RunWebhooks delivers the due endpoints until ctx ends, each in its own
// goroutine, one at a time per endpoint in this process, and one at a time
// among processes through the endpoint's lease.
func (s *Service) RunWebhooks(ctx context.Context) error {
	var (
		mu      sync.Mutex
		running = map[int64]bool{}
		wg      sync.WaitGroup
	)
	defer wg.Wait()
	t := time.NewTicker(s.cfg.Webhooks.Poll)
	defer t.Stop()
	for {
		due, err := s.store.DueWebhooks(ctx, s.now())
		if err != nil && ctx.Err() == nil {
			s.webhookFaults.Failed(err)
		}
		for _, w := range due {
			mu.Lock()
			busy := running[w.ID]
			running[w.ID] = true
			mu.Unlock()
			if busy {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.deliverEndpoint(ctx, w.CompanyID, w.ID)
				mu.Lock()
				delete(running, w.ID)
				mu.Unlock()
			}()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.hooksWake:
		case <-t.C:
		}
	}
}

// deliverEndpoint delivers an endpoint's batches while it holds the
// endpoint's lease, until it is caught up or an attempt fails.
func (s *Service) deliverEndpoint(ctx context.Context, companyID, id int64) {
	lease := "webhook:" + strconv.FormatInt(id, 10)
	delivered := false
	defer func() {
		_ = s.store.ReleaseLease(context.WithoutCancel(ctx), lease, s.instance)
		if delivered {
			// Events stored while the last batch was in flight rang a bell
			// this goroutine did not hear: look again.
			s.wakeWebhooks()
		}
	}()
	// The lease lasts three request timeouts and is renewed once one has
	// passed since it was taken: every request starts with at least two
	// left, so it ends (its timeout) before the lease could lapse — and a
	// busy endpoint costs one lease write per timeout, not per batch.
	var renewed time.Time
	for ctx.Err() == nil {
		now := s.now()
		if renewed.IsZero() || now.Sub(renewed) >= s.cfg.Webhooks.Timeout || now.Before(renewed) {
			ok, err := s.store.AcquireLease(ctx, lease, s.instance, now, now.Add(3*s.cfg.Webhooks.Timeout))
			if err != nil || !ok {
				if err != nil {
					s.webhookFaults.Failed(err)
				}
				return
			}
			renewed = now
		}
		w, err := s.store.Webhook(ctx, companyID, id)
		if err != nil {
			if ErrorKind(err) != KindNotFound {
				s.webhookFaults.Failed(err)
			}
			return
		}
		if w.DisabledAt != nil || (w.NextAttemptAt != nil && w.NextAttemptAt.After(now)) {
			return
		}
		page, err := s.readFeed(ctx, companyID, FeedTopic(companyID), w.DeliveredSeq, WebhookBatch)
		if err != nil {
			if ErrorKind(err) == KindGone {
				s.failEndpoint(ctx, w, WebhookDelivery{FirstSeq: w.DeliveredSeq + 1, LastSeq: w.DeliveredSeq + 1,
					AttemptedAt: now, Error: "the events after the endpoint's cursor are no longer kept; replay from a kept seq"}, true)
			} else {
				s.webhookFaults.Failed(err)
			}
			return
		}
		if len(page.Events) == 0 {
			return
		}
		batch := make([]FeedEvent, 0, len(page.Events))
		for _, e := range page.Events {
			if w.wants(e.Type) {
				batch = append(batch, e)
			}
		}
		if len(batch) == 0 {
			if ok, err := s.store.SkipEvents(ctx, w.ID, w.DeliveredSeq, page.Last); err != nil || !ok {
				return
			}
			continue
		}
		d := s.post(ctx, w, batch)
		d.LastSeq = page.Last // events the endpoint does not take are passed over with the batch
		if !d.Delivered() {
			s.failEndpoint(ctx, w, d, false)
			return
		}
		if ok, err := s.store.RecordDelivery(ctx, w, w.DeliveredSeq, d); err != nil || !ok {
			if err != nil {
				s.webhookFaults.Failed(err)
			}
			return
		}
		delivered = true
	}
}

// post sends one batch and reports the attempt.
func (s *Service) post(ctx context.Context, w Webhook, batch []FeedEvent) WebhookDelivery {
	d := WebhookDelivery{EndpointID: w.ID, FirstSeq: batch[0].Seq, LastSeq: batch[len(batch)-1].Seq,
		Events: len(batch), AttemptedAt: s.now()}
	body, err := json.Marshal(map[string][]FeedEvent{"events": batch})
	if err != nil {
		d.Error = err.Error()
		return d
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Webhooks.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		d.Error = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "smsinbox-webhooks")
	req.Header.Set(SignatureHeader, SignWebhook(w.Secret, s.now(), body))
	start := time.Now()
	resp, err := s.cfg.Webhooks.Client.Do(req)
	d.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		d.Error = err.Error()
		return d
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.StatusCode = resp.StatusCode
	if !d.Delivered() {
		d.Error = "the endpoint answered " + resp.Status
	}
	return d
}

// failEndpoint records a failed attempt: the next one is due after a
// backoff that doubles each time; after WebhookGiveUp of failures (or at
// once with disable) the endpoint is disabled and the company's admins are
// told.
func (s *Service) failEndpoint(ctx context.Context, w Webhook, d WebhookDelivery, disable bool) {
	now := s.now()
	w.Attempts++
	delay := s.cfg.Webhooks.Backoff
	for i := 1; i < w.Attempts && delay < s.cfg.Webhooks.MaxBackoff; i++ {
		delay *= 2
	}
	delay = min(delay, s.cfg.Webhooks.MaxBackoff)
	next := now.Add(delay)
	w.NextAttemptAt = &next
	if w.FailingSince == nil {
		w.FailingSince = &now
	}
	w.LastError = d.Error
	if disable || now.Sub(*w.FailingSince) >= WebhookGiveUp {
		w.DisabledAt = &now
	}
	ok, err := s.store.RecordDelivery(ctx, w, w.DeliveredSeq, d)
	if err != nil {
		s.webhookFaults.Failed(err)
		return
	}
	if ok && w.DisabledAt != nil {
		s.log.Warn("webhook endpoint disabled after failing", "webhook", w.ID, "url", w.URL,
			"failing_since", *w.FailingSince, "last_error", w.LastError)
		w.Secret = ""
		err := s.write(ctx, func(tx Tx) error {
			return tx.Emit(CompanyTopic(w.CompanyID), EventWebhookDisabled, map[string]Webhook{"webhook": w})
		})
		if err != nil {
			s.webhookFaults.Failed(err)
		}
	}
}

// SignWebhook returns the signature header of a delivery of body at t.
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return fmt.Sprintf("t=%s,v1=%s", ts, hex.EncodeToString(mac.Sum(nil)))
}
