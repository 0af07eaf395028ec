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
		c.SendInterval != time.Second || c.AllowedOrigins[0] != "http://127.0.0.1:8080" || c.DefaultRegion != "US" {
		t.Errorf("defaults = %+v", c)
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
	for _, bad := range [][]string{
		{"INBOX_PUBLIC_URL", "ftp://x"},
		{"INBOX_PUBLIC_URL", "not a url"},
		{"INBOX_ALLOWED_ORIGINS", "https://ats.example.com/path"},
		{"PLIVO_AUTH_ID", "MA1"},
		{"INBOX_DEMO", "maybe"},
		{"INBOX_SEND_INTERVAL", "-1s"},
		{"INBOX_LOG_FORMAT", "xml"},
		{"INBOX_PASSWORD_COST", "3"},
		{"INBOX_DEFAULT_REGION", "UK"}, // GB is the code; UK is not one phonenumbers knows
		{"INBOX_DEFAULT_REGION", "Britain"},
	} {
		if _, err := LoadConfig(env(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%q: got %v, want an error naming %s", bad[0], bad[1], err, bad[0])
		}
	}
}
