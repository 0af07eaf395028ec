package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := LoadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.PublicURL.String() != "http://127.0.0.1:8080" || c.DataDir != "./data" ||
		c.RedisPrefix != "smsinbox" || !c.Simulated() || c.PlivoAuthToken != devAuthToken || c.Demo != nil ||
		c.SendInterval != time.Second || c.AllowedOrigins[0] != "http://127.0.0.1:8080" || c.DefaultRegion != "US" ||
		c.SessionIdle != 12*time.Hour || c.SessionMax != 14*24*time.Hour || c.ReadTimeout != 30*time.Second ||
		c.WSPerUser != 20 || len(c.TrustedProxies) != 0 || c.Simulator != nil || c.PlivoBackfill != 5*time.Minute {
		t.Errorf("defaults = %+v", c)
	}
	for v, want := range map[string]time.Duration{"0": 0, "0s": 0, "90s": 90 * time.Second, "1h": time.Hour} {
		if c, err := LoadConfig(env("INBOX_PLIVO_BACKFILL", v)); err != nil || c.PlivoBackfill != want {
			t.Errorf("INBOX_PLIVO_BACKFILL=%s: %v, %v; want %v", v, c.PlivoBackfill, err, want)
		}
	}
	c, err = LoadConfig(env("INBOX_PUBLIC_URL", "https://inbox.example.com/", "INBOX_ALLOWED_ORIGINS", "https://ats.example.com, https://inbox.example.com",
		"PLIVO_AUTH_ID", "MA1", "PLIVO_AUTH_TOKEN", "tok", "INBOX_DEMO", "0", "INBOX_SEND_INTERVAL", "250ms",
		"INBOX_DEFAULT_REGION", "gb"))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL.String() != "https://inbox.example.com" || len(c.AllowedOrigins) != 2 || c.Simulated() ||
		c.PlivoAuthToken != "tok" || c.Demo == nil || *c.Demo || c.SendInterval != 250*time.Millisecond || c.DefaultRegion != "GB" {
		t.Errorf("set = %+v", c)
	}
	c, err = LoadConfig(env("INBOX_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7", "INBOX_SESSION_IDLE", "30m",
		"INBOX_SESSION_MAX", "72h", "INBOX_READ_TIMEOUT", "5s", "INBOX_WS_PER_USER", "0", "INBOX_SIMULATOR", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.0.2.7/32" || c.SessionIdle != 30*time.Minute ||
		c.SessionMax != 72*time.Hour || c.ReadTimeout != 5*time.Second || c.WSPerUser != 0 || c.Simulator == nil || !*c.Simulator {
		t.Errorf("security settings = %+v", c)
	}
	for _, bad := range [][]string{
		{"INBOX_TRUSTED_PROXIES", "10.0.0.0/99"},
		{"INBOX_SESSION_IDLE", "forever"},
		{"INBOX_SESSION_MAX", "0s"},
		{"INBOX_READ_TIMEOUT", "-1s"},
		{"INBOX_WS_PER_USER", "-3"},
		{"INBOX_SIMULATOR", "sometimes"},
		{"INBOX_PUBLIC_URL", "ftp://x"},
		{"INBOX_PUBLIC_URL", "not a url"},
		{"INBOX_ALLOWED_ORIGINS", "https://ats.example.com/path"},
		{"PLIVO_AUTH_ID", "MA1"},
		{"INBOX_DEMO", "maybe"},
		{"INBOX_SEND_INTERVAL", "-1s"},
		{"INBOX_SEND_RATE", "0"},
		{"INBOX_SEND_RATE", "fast"},
		{"INBOX_SEND_RATE", "NaN"},
		{"INBOX_LOG_FORMAT", "xml"},
		{"INBOX_PASSWORD_COST", "3"},
		{"INBOX_DEFAULT_REGION", "UK"}, // GB is the code; UK is not one phonenumbers knows
		{"INBOX_DEFAULT_REGION", "Britain"},
		{"INBOX_PLIVO_BACKFILL", "-5m"},
		{"INBOX_PLIVO_BACKFILL", "often"},
	} {
		if _, err := LoadConfig(env(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%q: got %v, want an error naming %s", bad[0], bad[1], err, bad[0])
		}
	}
}

// Simulated and checkServe: the simulator runs only without Plivo
// credentials, on the embedded store or when asked; serving with neither
// Plivo nor the simulator is refused with a message naming both settings.
func TestSimulatorRule(t *testing.T) {
	on, off := true, false
	for _, tt := range []struct {
		name      string
		c         Config
		simulated bool
		serves    bool
	}{
		{"embedded, no Plivo", Config{}, true, true},
		{"embedded, INBOX_SIMULATOR=0", Config{Simulator: &off}, false, false},
		{"PostgreSQL, no Plivo", Config{DatabaseURL: "postgres://x"}, false, false},
		{"PostgreSQL, INBOX_SIMULATOR=1", Config{DatabaseURL: "postgres://x", Simulator: &on}, true, true},
		{"Plivo", Config{PlivoAuthID: "MA1"}, false, true},
		{"Plivo and INBOX_SIMULATOR=1", Config{PlivoAuthID: "MA1", Simulator: &on}, false, true},
	} {
		if got := tt.c.Simulated(); got != tt.simulated {
			t.Errorf("%s: Simulated() = %v, want %v", tt.name, got, tt.simulated)
		}
		err := tt.c.checkServe()
		if (err == nil) != tt.serves {
			t.Errorf("%s: checkServe() = %v, want serving %v", tt.name, err, tt.serves)
		}
		if err != nil && (!strings.Contains(err.Error(), "PLIVO_AUTH_ID") || !strings.Contains(err.Error(), "INBOX_SIMULATOR")) {
			t.Errorf("%s: %q does not name PLIVO_AUTH_ID and INBOX_SIMULATOR", tt.name, err)
		}
	}
}

// INBOX_FRAME_ANCESTORS takes origins only; the feed's retention and the
// webhooks' timeout are durations.
func TestATSConfig(t *testing.T) {
	load := func(env map[string]string) (Config, error) {
		return LoadConfig(func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{"INBOX_FRAME_ANCESTORS": "https://ats.example.com, http://localhost:3000/"})
	if err != nil || len(c.FrameAncestors) != 2 || c.FrameAncestors[1] != "http://localhost:3000" ||
		c.FeedRetention != 7*24*time.Hour || c.WebhookTimeout != 10*time.Second {
		t.Fatalf("config %+v, %v; want two origins and the defaults", c, err)
	}
	for _, bad := range []map[string]string{
		{"INBOX_FRAME_ANCESTORS": "ats.example.com"},
		{"INBOX_FRAME_ANCESTORS": "https://ats.example.com/path"},
		{"INBOX_FRAME_ANCESTORS": "https://a.example.com; script-src *"},
		{"INBOX_FEED_RETENTION": "forever"},
		{"INBOX_WEBHOOK_TIMEOUT": "-1s"},
	} {
		if _, err := load(bad); err == nil {
			t.Errorf("%v: accepted; want an error", bad)
		}
	}
}
