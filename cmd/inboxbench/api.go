package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// sessionCookie is the server's session cookie (docs/API.md, "Session").
const sessionCookie = "smsinbox_session"

// api calls the server's JSON API as a browser would: with a user's session
// cookie and the page's Origin on writes.
type api struct {
	http *http.Client
}

func newAPI(conns int) *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	return &api{http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// call sends method path on base with cookie (may be empty) and body (JSON,
// or nil); it wants status want and decodes the answer into out (if not nil).
func (a *api) call(ctx context.Context, base, cookie, method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Origin", base)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: got %d %s, want %d", method, path, resp.StatusCode, bytes.TrimSpace(raw), want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode %s: %w", method, path, raw, err)
		}
	}
	return nil
}

// login signs email in on base and returns the session cookie's value.
func (a *api) login(ctx context.Context, base, email, password string) (string, error) {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/session", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	resp, err := a.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("sign in %s: %w", email, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign in %s: got %s", email, resp.Status)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("sign in %s: no %s cookie", email, sessionCookie)
}

// ticket gets a single-use websocket ticket for the cookie's user.
func (a *api) ticket(ctx context.Context, base, cookie string) (string, error) {
	var out struct {
		Ticket string `json:"ticket"`
	}
	if err := a.call(ctx, base, cookie, http.MethodPost, "/api/ws-ticket", nil, http.StatusCreated, &out); err != nil {
		return "", err
	}
	return out.Ticket, nil
}
