package plivo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"smsinbox/pkg/inbox"
)

// Simulator stands in for Plivo in dev mode, when no Plivo credentials are
// configured. As an inbox.Sender it puts each text on the
// simulated phone of its recipient and answers at once with a fresh message
// UUID; Run then posts real, V3-signed status callbacks (queued, sent,
// delivered) to the text's callback URL, as Plivo would. SendInbound posts a
// signed inbound webhook, as if a phone had texted one of our numbers.
// Messages lists what each phone sent and got, for the /dev/phone page.
type Simulator struct {
	authToken string
	client    *http.Client
	logger    *slog.Logger

	delays   [3]time.Duration // before the queued, sent and delivered callbacks
	attempts int              // posts per callback before giving up
	backoff  time.Duration    // wait after a failed post, times the attempt number
	workers  int              // messages whose callbacks run at once

	phones *phoneLog
	jobs   chan callbackJob
}

var _ inbox.Sender = (*Simulator)(nil)

// callbackJob is one outbound text whose status callbacks are due.
type callbackJob struct {
	uuid string
	msg  inbox.OutboundSMS
}

// callbackStatuses are the callbacks of every simulated text, in order.
var callbackStatuses = [3]string{"queued", "sent", "delivered"}

// SimulatorOption configures a Simulator.
type SimulatorOption func(*Simulator)

// WithCallbackDelays sets the waits before the queued callback, between it
// and sent, and between sent and delivered (defaults 50 ms, 200 ms, 600 ms).
func WithCallbackDelays(queued, sent, delivered time.Duration) SimulatorOption {
	return func(s *Simulator) { s.delays = [3]time.Duration{queued, sent, delivered} }
}

// WithCallbackRetries sets how many times each callback is posted before the
// simulator gives up on it, and the base wait between tries (defaults 4 and
// 250 ms; the n-th retry waits n times the base).
func WithCallbackRetries(attempts int, backoff time.Duration) SimulatorOption {
	return func(s *Simulator) { s.attempts, s.backoff = max(attempts, 1), backoff }
}

// WithPhoneLogLimit sets how many texts the phone log keeps (default 1,000).
func WithPhoneLogLimit(n int) SimulatorOption {
	return func(s *Simulator) { s.phones.limit = max(n, 1) }
}

// queueSize bounds the texts waiting for Run; Send never blocks on it.
const queueSize = 1024

// NewSimulator returns a Simulator that signs with authToken and posts with
// httpClient (nil: a client with a 5 s timeout). logger may be nil.
func NewSimulator(authToken string, httpClient *http.Client, logger *slog.Logger, opts ...SimulatorOption) *Simulator {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 5 * time.Second}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{
		authToken: authToken,
		client:    httpClient,
		logger:    logger,
		delays:    [3]time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 600 * time.Millisecond},
		attempts:  4,
		backoff:   250 * time.Millisecond,
		workers:   16,
		phones:    &phoneLog{limit: 1000},
		jobs:      make(chan callbackJob, queueSize),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Send puts m on the recipient's simulated phone and returns a new message
// UUID at once; the status callbacks follow from Run. It never blocks: if
// Run has fallen more than a thousand texts behind, the text gets no
// callbacks, and a warning is logged.
func (s *Simulator) Send(ctx context.Context, m inbox.OutboundSMS) (string, error) {
	start := time.Now()
	id, err := s.send(ctx, m)
	observeSend(err, time.Since(start))
	return id, err
}

func (s *Simulator) send(ctx context.Context, m inbox.OutboundSMS) (string, error) {
	if m.From == "" || m.To == "" || m.Text == "" {
		return "", &inbox.SendError{Outcome: inbox.SendRejected,
			Err: fmt.Errorf("simulator: message %d lacks a sender, recipient or text", m.MessageID)}
	}
	if err := ctx.Err(); err != nil {
		return "", &inbox.SendError{Outcome: inbox.SendRetry, Err: fmt.Errorf("simulator: not sent: %w", err)}
	}
	id := newUUID()
	s.phones.add(PhoneMessage{From: m.From, To: m.To, Text: m.Text, Direction: DirectionToPhone, At: time.Now().UTC()})
	if m.CallbackURL != "" {
		select {
		case s.jobs <- callbackJob{uuid: id, msg: m}:
		default:
			s.logger.Warn("simulator: callback queue full; this text gets no status callbacks",
				"message_id", m.MessageID, "uuid", id)
		}
	}
	return id, nil
}

// Run posts the status callbacks of sent texts until ctx ends, then waits for
// the callbacks in flight to stop and returns nil. Call it once, from a
// goroutine; texts sent before it starts wait for it.
func (s *Simulator) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, s.workers)
	for {
		var job callbackJob
		select {
		case <-ctx.Done():
			return nil
		case job = <-s.jobs:
		}
		select {
		case <-ctx.Done():
			return nil
		case slots <- struct{}{}:
		}
		wg.Go(func() {
			defer func() { <-slots }()
			s.deliver(ctx, job)
		})
	}
}

// deliver posts a text's callbacks in order, each after its delay.
func (s *Simulator) deliver(ctx context.Context, job callbackJob) {
	_, segments, _ := inbox.CountSegments(job.msg.Text)
	for i, status := range callbackStatuses {
		if !sleep(ctx, s.delays[i]) {
			return
		}
		params := url.Values{
			"MessageUUID": {job.uuid},
			"Status":      {status},
			"From":        {providerDigits(job.msg.From)},
			"To":          {providerDigits(job.msg.To)},
			"Type":        {"sms"},
			"Units":       {strconv.Itoa(segments)},
			"Sequence":    {strconv.Itoa(i + 1)},
		}
		if err := s.post(ctx, job.msg.CallbackURL, params); err != nil {
			if ctx.Err() != nil {
				return
			}
			// Plivo moves on to the next state after giving up on one.
			s.logger.Error("simulator: status callback not delivered", "uuid", job.uuid,
				"message_id", job.msg.MessageID, "status", status, "err", err)
		}
	}
}

// post posts a signed webhook, retrying a non-2xx answer or a network error.
func (s *Simulator) post(ctx context.Context, fullURL string, params url.Values) error {
	var err error
	for attempt := 1; attempt <= s.attempts; attempt++ {
		if err = SignedPost(ctx, s.client, s.authToken, fullURL, params); err == nil {
			return nil
		}
		if attempt < s.attempts {
			s.logger.Warn("simulator: webhook failed; retrying", "url", fullURL, "attempt", attempt, "err", err)
			if !sleep(ctx, time.Duration(attempt)*s.backoff) {
				return ctx.Err()
			}
		}
	}
	return fmt.Errorf("after %d attempts: %w", s.attempts, err)
}

// SendInbound posts a signed inbound webhook to baseURL +
// "/webhooks/plivo/inbound", as Plivo does when a phone texts one of our
// numbers: From and To as digits without "+", a fresh MessageUUID, Type
// "sms". from and to may be in any common form (national numbers are read
// as DefaultRegion's). On success the text is also put on the phone log of
// from. A non-2xx answer is a *PostError; nothing is retried.
func (s *Simulator) SendInbound(ctx context.Context, baseURL, from, to, text string) error {
	fromE164, err := inbox.NormalizePhone(from, inbox.DefaultRegion)
	if err != nil {
		return fmt.Errorf("simulate inbound: from: %w", err)
	}
	toE164, err := inbox.NormalizePhone(to, inbox.DefaultRegion)
	if err != nil {
		return fmt.Errorf("simulate inbound: to: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("simulate inbound: the text is empty")
	}
	_, segments, _ := inbox.CountSegments(text)
	params := url.Values{
		"From":        {providerDigits(fromE164)},
		"To":          {providerDigits(toE164)},
		"Text":        {text},
		"Type":        {"sms"},
		"MessageUUID": {newUUID()},
		"Units":       {strconv.Itoa(segments)},
	}
	fullURL := strings.TrimRight(baseURL, "/") + "/webhooks/plivo/inbound"
	if err := SignedPost(ctx, s.client, s.authToken, fullURL, params); err != nil {
		return fmt.Errorf("simulate inbound from %s: %w", fromE164, err)
	}
	s.phones.add(PhoneMessage{From: fromE164, To: toE164, Text: text, Direction: DirectionFromPhone, At: time.Now().UTC()})
	return nil
}

// Messages returns the texts on the simulated phone with number phone (any
// common form), or on every phone when phone is empty, oldest first. An
// unparseable phone has none.
func (s *Simulator) Messages(phone string) []PhoneMessage {
	if phone == "" {
		return s.phones.list("")
	}
	e164, err := inbox.NormalizePhone(phone, inbox.DefaultRegion)
	if err != nil {
		return []PhoneMessage{}
	}
	return s.phones.list(e164)
}

// providerDigits writes an E.164 number the way Plivo does: without "+".
func providerDigits(e164 string) string { return strings.TrimPrefix(e164, "+") }

// sleep waits d or until ctx ends; it reports whether the wait was complete.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
