// Package web is smsinbox's HTTP face: the JSON API of API.md, the Plivo
// webhooks, the websocket endpoint (served by the hub it is given), health and
// metrics, and the static UI. routes.go lists every route. Handlers tell a
// straight story — parse, validate, call the Service, respond — and errors
// become HTTP statuses in one function, statusOf.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// Webhooks verifies and reads Plivo's webhook requests (pkg/plivo's Verifier,
// given as it is by cmd/inboxd). Both methods check the signature before
// anything else. Their errors are *inbox.Error: a missing, wrong or
// unverifiable signature is KindForbidden, a body over the limit
// KindTooLarge, a verified form without what the webhook needs KindInvalid;
// anything else is the server's fault, answered 503 so that Plivo retries.
type Webhooks interface {
	Inbound(r *http.Request) (inbox.InboundSMS, error)
	Status(r *http.Request) (inbox.StatusUpdate, error)
}

// Phone is the dev-mode candidate phone of the Plivo simulator (/dev/phone;
// pkg/plivo's DevPhone).
type Phone interface {
	// Texts returns every text the simulated phones sent or got, oldest
	// first, to be encoded as JSON.
	Texts() any
	// Send posts a signed inbound webhook from a simulated phone. The
	// server's refusal is an *inbox.Error: not_found for a number nobody
	// manages, KindInvalid for any other.
	Send(ctx context.Context, from, to, text string) error
}

// Options wires a Server.
type Options struct {
	Service  *inbox.Service
	Hub      http.Handler // GET /ws, after authentication
	Static   http.Handler // the UI: every path no other route takes
	Webhooks Webhooks
	Phone    Phone        // nil unless the simulator stands in for Plivo
	Metrics  http.Handler // nil when metrics have their own listener
	// PublicURL is the server's external base URL: cookies are Secure when
	// it is https.
	PublicURL *url.URL
	// AllowedOrigins may send cookie-authenticated writes besides the
	// server's own origin.
	AllowedOrigins []string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed:
	// behind them, the client is the rightmost address they did not add.
	TrustedProxies []netip.Prefix
	// Attempts counts sign-in failures for every instance (Redis); nil
	// counts them in this process only.
	Attempts Attempts
	// ReadTimeout cuts a request whose body is not read within it (0: no
	// limit).
	ReadTimeout time.Duration
	// FrameAncestors are the origins that may frame the UI (an ATS
	// embedding the inbox): with them and an https PublicURL the session
	// cookie is SameSite=None.
	FrameAncestors []string
	// Clock is the time of the in-process sign-in counts (default: the
	// wall clock).
	Clock  clock.Clock
	Logger *slog.Logger
}

// Server is the HTTP handler of smsinbox.
type Server struct {
	svc      *inbox.Service
	hub      http.Handler
	webhooks Webhooks
	phone    Phone
	log      *slog.Logger
	secure   bool
	framed   bool // FrameAncestors are set
	csrf     *http.CrossOriginProtection
	attempts *attemptCounter
	trusted  []netip.Prefix
	// bodyTimeout is Options.ReadTimeout.
	bodyTimeout time.Duration
	// unavailable logs the requests that failed for a dependency out of
	// reach (503), once per interval with a count.
	unavailable *inbox.FaultLog
	// busFaults logs a bus that readiness checks find down, likewise.
	busFaults *inbox.FaultLog
	handler   http.Handler
	patterns  []string // every route's pattern, for Routes
}

// New returns a Server.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	s := &Server{
		svc: o.Service, hub: o.Hub, webhooks: o.Webhooks, phone: o.Phone, log: o.Logger,
		secure:      o.PublicURL != nil && o.PublicURL.Scheme == "https",
		framed:      len(o.FrameAncestors) > 0,
		csrf:        http.NewCrossOriginProtection(),
		trusted:     o.TrustedProxies,
		bodyTimeout: o.ReadTimeout,
		attempts: &attemptCounter{shared: o.Attempts, local: newMemoryAttempts(o.Clock), log: o.Logger,
			logsEvery: time.Minute},
	}
	s.unavailable = inbox.NewFaultLog(s.log, slog.LevelError, "requests failed: a dependency is unavailable (503)", 0)
	s.busFaults = inbox.NewFaultLog(s.log, slog.LevelWarn, "readiness: the bus is down; serving degraded (events reach other instances through the store)", 0)
	for _, origin := range o.AllowedOrigins {
		if err := s.csrf.AddTrustedOrigin(strings.TrimRight(origin, "/")); err != nil {
			return nil, err
		}
	}
	s.handler = s.routes(o.Static, o.Metrics)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
