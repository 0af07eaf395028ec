package main

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/web"
)

// Config is the whole configuration of inboxd, read once from the
// environment (API.md, "Configuration") and passed down explicitly.
type Config struct {
	Addr           string         // INBOX_ADDR: the HTTP listener
	DataDir        string         // INBOX_DATA_DIR: the embedded store's folder
	DatabaseURL    string         // DATABASE_URL: PostgreSQL instead of the embedded store
	RedisURL       string         // REDIS_URL: Redis pub/sub instead of the in-process bus
	RedisPrefix    string         // INBOX_REDIS_PREFIX
	PublicURL      *url.URL       // INBOX_PUBLIC_URL: what Plivo calls
	AllowedOrigins []string       // INBOX_ALLOWED_ORIGINS
	PlivoAuthID    string         // PLIVO_AUTH_ID: empty → the simulator
	PlivoAuthToken string         // PLIVO_AUTH_TOKEN
	PlivoAPIURL    string         // PLIVO_API_URL
	PlivoTimeout   time.Duration  // PLIVO_TIMEOUT: how long a send call may take
	PlivoBackfill  time.Duration  // INBOX_PLIVO_BACKFILL: how often Plivo's message records are read; 0: never
	Simulator      *bool          // INBOX_SIMULATOR: nil → the simulator only on the embedded store without Plivo
	Demo           *bool          // INBOX_DEMO: nil → on for an empty embedded store on the simulator
	MetricsAddr    string         // INBOX_METRICS_ADDR: empty → /metrics on the main listener
	LogLevel       string         // INBOX_LOG_LEVEL: debug, info, warn, error
	LogFormat      string         // INBOX_LOG_FORMAT: text or json
	SendInterval   time.Duration  // INBOX_SEND_INTERVAL: least time between two sends of a number
	SendRate       float64        // INBOX_SEND_RATE: most sends per second of one instance, all numbers together
	EventRetention time.Duration  // INBOX_EVENT_RETENTION: how long events are kept for resume
	PasswordCost   int            // INBOX_PASSWORD_COST: bcrypt cost of new password hashes
	DefaultRegion  string         // INBOX_DEFAULT_REGION: national-format numbers' region for companies that set none
	TrustedProxies []netip.Prefix // INBOX_TRUSTED_PROXIES: proxies whose X-Forwarded-For is believed
	SessionIdle    time.Duration  // INBOX_SESSION_IDLE: a session ends after this long without a request
	SessionMax     time.Duration  // INBOX_SESSION_MAX: and this long after sign-in at the latest
	ReadTimeout    time.Duration  // INBOX_READ_TIMEOUT: a request body must arrive within it
	WSPerUser      int            // INBOX_WS_PER_USER: open websockets per user and instance (0: no limit)
	FrameAncestors []string       // INBOX_FRAME_ANCESTORS: origins that may frame the UI (an embedding ATS)
	FeedRetention  time.Duration  // INBOX_FEED_RETENTION: how long the company feed (GET /api/events, webhooks) is kept
	WebhookTimeout time.Duration  // INBOX_WEBHOOK_TIMEOUT: how long one webhook delivery may take

	// Clock is the server's time; nil is the wall clock. Only tests set it,
	// to move time forward instead of waiting for it.
	Clock clock.Clock
	// SocketRecheck is how often the hub re-checks the credential of every
	// open websocket; zero is the hub's default (30 s). Only tests set it.
	SocketRecheck time.Duration
	// WebhookBackoff is the first retry delay of a failed webhook delivery;
	// zero is the default (5 s). Only tests set it.
	WebhookBackoff time.Duration
}

// devAuthToken signs webhooks when the simulator stands in for Plivo and no
// PLIVO_AUTH_TOKEN is set, so that `inboxd simulate inbound` works against
// `make run` out of the box. It is never used with real Plivo credentials.
const devAuthToken = "smsinbox-dev-token"

// Simulated reports whether the built-in simulator stands in for Plivo:
// only without Plivo credentials, and only on the embedded store unless
// INBOX_SIMULATOR=1 asks for it (INBOX_SIMULATOR=0 never). A shared
// database is a deployment: it gets the simulator, and its open /dev/phone,
// only when someone asked.
func (c Config) Simulated() bool {
	if c.PlivoAuthID != "" {
		return false
	}
	if c.Simulator != nil {
		return *c.Simulator
	}
	return c.DatabaseURL == ""
}

// checkServe refuses to serve with no way to send texts: no Plivo
// credentials and no simulator.
func (c Config) checkServe() error {
	if c.PlivoAuthID == "" && !c.Simulated() {
		where := "INBOX_SIMULATOR=0"
		if c.Simulator == nil {
			where = "DATABASE_URL is set"
		}
		return fmt.Errorf("%s and PLIVO_AUTH_ID is empty: set PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN to text through Plivo, "+
			"or INBOX_SIMULATOR=1 to run the built-in SMS simulator (development only: its /dev/phone is open to anyone)", where)
	}
	return nil
}

// LoadConfig reads the configuration from getenv (os.Getenv).
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:           or(getenv("INBOX_ADDR"), "127.0.0.1:8080"),
		DataDir:        or(getenv("INBOX_DATA_DIR"), "./data"),
		DatabaseURL:    getenv("DATABASE_URL"),
		RedisURL:       getenv("REDIS_URL"),
		RedisPrefix:    or(getenv("INBOX_REDIS_PREFIX"), "smsinbox"),
		PlivoAuthID:    getenv("PLIVO_AUTH_ID"),
		PlivoAuthToken: getenv("PLIVO_AUTH_TOKEN"),
		PlivoAPIURL:    getenv("PLIVO_API_URL"),
		MetricsAddr:    getenv("INBOX_METRICS_ADDR"),
		LogLevel:       or(getenv("INBOX_LOG_LEVEL"), "info"),
		LogFormat:      or(getenv("INBOX_LOG_FORMAT"), "text"),
	}
	public := or(getenv("INBOX_PUBLIC_URL"), "http://"+c.Addr)
	u, err := url.Parse(strings.TrimRight(public, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("INBOX_PUBLIC_URL %q: want an http(s) URL such as https://inbox.example.com", public)
	}
	c.PublicURL = u
	c.AllowedOrigins = []string{u.Scheme + "://" + u.Host}
	if v := getenv("INBOX_ALLOWED_ORIGINS"); v != "" {
		c.AllowedOrigins = nil
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimRight(strings.TrimSpace(o), "/")
			ou, err := url.Parse(o)
			if err != nil || ou.Scheme == "" || ou.Host == "" || ou.Path != "" {
				return c, fmt.Errorf("INBOX_ALLOWED_ORIGINS: %q is not an origin such as https://ats.example.com", o)
			}
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	if v := getenv("INBOX_FRAME_ANCESTORS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimRight(strings.TrimSpace(o), "/")
			ou, err := url.Parse(o)
			if err != nil || ou.Scheme == "" || ou.Host == "" || ou.Path != "" || strings.ContainsAny(o, " ;'\"") {
				return c, fmt.Errorf("INBOX_FRAME_ANCESTORS: %q is not an origin such as https://ats.example.com", o)
			}
			c.FrameAncestors = append(c.FrameAncestors, o)
		}
	}
	if c.PlivoAuthID != "" && c.PlivoAuthToken == "" {
		return c, fmt.Errorf("PLIVO_AUTH_ID is set but PLIVO_AUTH_TOKEN is not")
	}
	if c.PlivoAuthToken == "" {
		c.PlivoAuthToken = devAuthToken
	}
	if c.Demo, err = onOff(getenv, "INBOX_DEMO"); err != nil {
		return c, err
	}
	if c.Simulator, err = onOff(getenv, "INBOX_SIMULATOR"); err != nil {
		return c, err
	}
	if c.TrustedProxies, err = web.ParseTrustedProxies(getenv("INBOX_TRUSTED_PROXIES")); err != nil {
		return c, fmt.Errorf("INBOX_TRUSTED_PROXIES: %w", err)
	}
	if c.SessionIdle, err = duration(getenv, "INBOX_SESSION_IDLE", 12*time.Hour); err != nil {
		return c, err
	}
	if c.SessionMax, err = duration(getenv, "INBOX_SESSION_MAX", 14*24*time.Hour); err != nil {
		return c, err
	}
	if c.ReadTimeout, err = duration(getenv, "INBOX_READ_TIMEOUT", 30*time.Second); err != nil {
		return c, err
	}
	c.WSPerUser = 20
	if v := getenv("INBOX_WS_PER_USER"); v != "" {
		if c.WSPerUser, err = strconv.Atoi(v); err != nil || c.WSPerUser < 0 {
			return c, fmt.Errorf("INBOX_WS_PER_USER %q: want a number of sockets (0: no limit)", v)
		}
	}
	if c.SendInterval, err = duration(getenv, "INBOX_SEND_INTERVAL", time.Second); err != nil {
		return c, err
	}
	c.SendRate = 10
	if v := getenv("INBOX_SEND_RATE"); v != "" {
		if c.SendRate, err = strconv.ParseFloat(v, 64); err != nil || !(c.SendRate > 0) || c.SendRate > 1e6 {
			return c, fmt.Errorf("INBOX_SEND_RATE %q: want sends per second, more than 0", v)
		}
	}
	if c.PlivoTimeout, err = duration(getenv, "PLIVO_TIMEOUT", 10*time.Second); err != nil {
		return c, err
	}
	if c.PlivoBackfill, err = durationOrOff(getenv, "INBOX_PLIVO_BACKFILL", 5*time.Minute); err != nil {
		return c, err
	}
	if c.EventRetention, err = duration(getenv, "INBOX_EVENT_RETENTION", 72*time.Hour); err != nil {
		return c, err
	}
	if c.FeedRetention, err = duration(getenv, "INBOX_FEED_RETENTION", 7*24*time.Hour); err != nil {
		return c, err
	}
	if c.WebhookTimeout, err = duration(getenv, "INBOX_WEBHOOK_TIMEOUT", 10*time.Second); err != nil {
		return c, err
	}
	c.PasswordCost = 11
	if v := getenv("INBOX_PASSWORD_COST"); v != "" {
		if c.PasswordCost, err = strconv.Atoi(v); err != nil || c.PasswordCost < 4 || c.PasswordCost > 31 {
			return c, fmt.Errorf("INBOX_PASSWORD_COST %q: want a bcrypt cost from 4 to 31", v)
		}
	}
	c.DefaultRegion = inbox.DefaultRegion
	if v := getenv("INBOX_DEFAULT_REGION"); v != "" {
		region, ok := inbox.ValidRegion(v)
		if !ok {
			return c, fmt.Errorf("INBOX_DEFAULT_REGION %q: want an ISO 3166 country code such as US or GB", v)
		}
		c.DefaultRegion = region
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return c, fmt.Errorf("INBOX_LOG_FORMAT %q: want text or json", c.LogFormat)
	}
	return c, nil
}

// onOff reads a 1/0 variable; unset is nil.
func onOff(getenv func(string) string, name string) (*bool, error) {
	v := getenv(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("%s %q: want 1 or 0", name, v)
	}
	return &b, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// durationOrOff is duration, where 0 turns the thing off.
func durationOrOff(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	if v := strings.TrimSpace(getenv(name)); v == "0" || v == "0s" {
		return 0, nil
	}
	d, err := duration(getenv, name, def)
	if err != nil {
		return 0, fmt.Errorf("%s %q: want a positive duration such as 5m, or 0 to turn it off", name, getenv(name))
	}
	return d, nil
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive duration such as 1s or 72h", name, v)
	}
	return d, nil
}
