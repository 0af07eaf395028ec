package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	plivogo "github.com/plivo/plivo-go/v7"
)

// inboundPath is Plivo's inbound SMS webhook (docs/API.md).
const inboundPath = "/webhooks/plivo/inbound"

// webhooks posts inbound SMS to the servers as Plivo does: form-encoded,
// signed with Plivo's V3 scheme (plivo-go's own ComputeSignatureV3) over
// the instance's public URL, with a fresh nonce each time.
type webhooks struct {
	http   *http.Client
	token  string   // PLIVO_AUTH_TOKEN of the servers
	bases  []string // the instances' public URLs
	prefix string   // of nonces
	nonce  atomic.Uint64
}

func newWebhooks(token string, bases []string, workers int) *webhooks {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = workers * len(bases)
	tr.MaxIdleConnsPerHost = workers
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &webhooks{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, token: token, bases: bases, prefix: hex.EncodeToString(b)}
}

// request builds a signed inbound webhook to instance inst.
func (w *webhooks) request(ctx context.Context, inst int, from, to, text, uuid string) (*http.Request, error) {
	params := map[string]string{
		"From": strings.TrimPrefix(from, "+"), "To": strings.TrimPrefix(to, "+"),
		"Text": text, "Type": "sms", "MessageUUID": uuid,
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	full := w.bases[inst] + inboundPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, full, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	nonce := fmt.Sprintf("%s%d", w.prefix, w.nonce.Add(1))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Plivo-Signature-V3", plivogo.ComputeSignatureV3(w.token, full, http.MethodPost, nonce, params))
	req.Header.Set("X-Plivo-Signature-V3-Nonce", nonce)
	return req, nil
}

// do sends req and returns the answer's status after reading its body.
func (w *webhooks) do(req *http.Request) (int, error) {
	resp, err := w.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// sendStats accounts for the requests of one stretch of traffic.
type sendStats struct {
	latency recorder // request start to answer read
	lag     recorder // due time to request start: the client's own delay
	sent    atomic.Int64
	ok      atomic.Int64
	skipped atomic.Int64 // nothing to do when due (S4's reads)
	mu      sync.Mutex
	errors  map[string]int64 // by status code, or the transport error
	start   time.Time
	end     time.Time
}

func newSendStats() *sendStats { return &sendStats{errors: map[string]int64{}, start: time.Now()} }

func (s *sendStats) fail(what string) {
	s.mu.Lock()
	s.errors[what]++
	s.mu.Unlock()
}

// errorCount is the number of failed requests.
func (s *sendStats) errorCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, c := range s.errors {
		n += c
	}
	return n
}

// errorMap returns a copy of the failures by cause.
func (s *sendStats) errorMap() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.errors))
	for k, v := range s.errors {
		out[k] = v
	}
	return out
}

// errorKey names a failure: the HTTP status, or a short transport error.
func errorKey(status int, err error) string {
	if err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return "transport: " + msg
	}
	return fmt.Sprintf("http %d", status)
}
