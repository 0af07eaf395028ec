package plivo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	plivogo "github.com/plivo/plivo-go/v7"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
)

const (
	testAuthID = "MAXXXXXXXXXXXXXXXXXX"
	callback   = "https://inbox.example.com/webhooks/plivo/status?message_id=7"
)

var testSMS = inbox.OutboundSMS{MessageID: 7, From: "+14155550100", To: "+14155550111", Text: "Hi Ana, are you free at 3?", CallbackURL: callback}

func newTestSender(t *testing.T, apiURL string, client *http.Client) *Sender {
	t.Helper()
	s, err := NewSender(testAuthID, testToken, apiURL, client)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s
}

// sendError asserts err is a *inbox.SendError with the outcome and returns it.
func sendError(t *testing.T, err error, want inbox.SendOutcome) *inbox.SendError {
	t.Helper()
	var se *inbox.SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send error = %v; want a *inbox.SendError", err)
	}
	if se.Outcome != want {
		t.Fatalf("Send outcome = %d (%v); want %d", se.Outcome, err, want)
	}
	return se
}

func TestSenderSends(t *testing.T) {
	fake := plivotest.NewServer(t, testAuthID, testToken)
	s := newTestSender(t, fake.URL, nil)
	before := counterValue(t, sendsTotal.WithLabelValues("ok"))

	id, err := s.Send(context.Background(), testSMS)
	if err != nil {
		t.Fatalf("Send = %v; want nil", err)
	}
	creates := fake.Creates()
	if len(creates) != 1 {
		t.Fatalf("fake got %d creates; want exactly 1", len(creates))
	}
	c := creates[0]
	want := plivotest.Create{Src: testSMS.From, Dst: testSMS.To, Text: testSMS.Text, URL: callback, Method: "POST", MessageUUID: id, At: c.At}
	if c != want {
		t.Errorf("create = %+v; want %+v", c, want)
	}
	if got := counterValue(t, sendsTotal.WithLabelValues("ok")); got != before+1 {
		t.Errorf("ok sends = %v; want %v", got, before+1)
	}
}

func TestSenderWrongCredentialsRejected(t *testing.T) {
	fake := plivotest.NewServer(t, testAuthID, testToken)
	s, err := NewSender(testAuthID, "wrong", fake.URL, nil)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	_, err = s.Send(context.Background(), testSMS)
	se := sendError(t, err, inbox.SendRejected)
	var api *APIError
	if !errors.As(se, &api) || api.StatusCode != http.StatusUnauthorized || api.Message != "Authentication failed" {
		t.Errorf("Send error = %v; want APIError 401 Authentication failed", err)
	}
	if n := len(fake.Creates()); n != 0 {
		t.Errorf("fake got %d creates; want 0", n)
	}
}

func TestSenderFailures(t *testing.T) {
	tests := []struct {
		name       string
		script     func(*plivotest.Server)
		want       inbox.SendOutcome
		retryAfter time.Duration
		creates    int
	}{
		{"429 with Retry-After", func(s *plivotest.Server) { s.FailNext(1, http.StatusTooManyRequests, 7*time.Second) }, inbox.SendRetry, 7 * time.Second, 0},
		{"429 without Retry-After", func(s *plivotest.Server) { s.FailNext(1, http.StatusTooManyRequests, 0) }, inbox.SendRetry, 0, 0},
		{"500", func(s *plivotest.Server) { s.FailNext(1, http.StatusInternalServerError, 0) }, inbox.SendRetry, 0, 0},
		{"503", func(s *plivotest.Server) { s.FailNext(1, http.StatusServiceUnavailable, 0) }, inbox.SendRetry, 0, 0},
		{"504 is ambiguous", func(s *plivotest.Server) { s.FailNext(1, http.StatusGatewayTimeout, 0) }, inbox.SendAmbiguous, 0, 0},
		{"400", func(s *plivotest.Server) { s.FailNext(1, http.StatusBadRequest, 0) }, inbox.SendRejected, 0, 0},
		{"hang after reading", func(s *plivotest.Server) { s.HangNext(1) }, inbox.SendAmbiguous, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := plivotest.NewServer(t, testAuthID, testToken)
			tt.script(fake)
			s := newTestSender(t, fake.URL, &http.Client{Timeout: 500 * time.Millisecond})
			id, err := s.Send(context.Background(), testSMS)
			if id != "" {
				t.Errorf("Send id = %q; want none", id)
			}
			se := sendError(t, err, tt.want)
			if se.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v; want %v", se.RetryAfter, tt.retryAfter)
			}
			if tt.want != inbox.SendAmbiguous || tt.creates == 0 {
				// Plivo's error text is kept: the fake's body says StatusText.
				var api *APIError
				if !errors.As(err, &api) || api.Message != http.StatusText(api.StatusCode) {
					t.Errorf("Send error = %v; want an APIError with Plivo's text", err)
				}
			}
			if n := len(fake.Creates()); n != tt.creates {
				t.Errorf("fake got %d creates; want %d", n, tt.creates)
			}
			if n := fake.Requests(); n != 1 {
				t.Errorf("fake got %d requests; want exactly 1 (no hidden retries)", n)
			}
			// The next send goes through.
			if _, err := s.Send(context.Background(), testSMS); err != nil {
				t.Errorf("second Send = %v; want nil", err)
			}
		})
	}
}

func TestSenderConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := newTestSender(t, "http://"+addr, nil)
	_, err = s.Send(context.Background(), testSMS)
	sendError(t, err, inbox.SendRetry)
}

func TestSenderDroppedConnection(t *testing.T) {
	fake := plivotest.NewServer(t, testAuthID, testToken)
	fake.DropNext(1)
	s := newTestSender(t, fake.URL, &http.Client{Timeout: 2 * time.Second})
	_, err := s.Send(context.Background(), testSMS)
	// Whether the request was written before the connection died depends on
	// timing, so either is right; a success or a rejection is not.
	if o := inbox.SendOutcomeOf(err); err == nil || (o != inbox.SendRetry && o != inbox.SendAmbiguous) {
		t.Fatalf("Send over a dropped connection = %v (outcome %d); want retry or ambiguous", err, o)
	}
	if n := len(fake.Creates()); n != 0 {
		t.Errorf("fake got %d creates; want 0", n)
	}
}

func TestSenderContext(t *testing.T) {
	t.Run("cancelled before", func(t *testing.T) {
		fake := plivotest.NewServer(t, testAuthID, testToken)
		s := newTestSender(t, fake.URL, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Send(ctx, testSMS)
		sendError(t, err, inbox.SendRetry)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send error = %v; want it to wrap context.Canceled", err)
		}
		if n := fake.Requests(); n != 0 {
			t.Errorf("fake got %d requests; want 0", n)
		}
	})
	t.Run("deadline while Plivo holds the request", func(t *testing.T) {
		fake := plivotest.NewServer(t, testAuthID, testToken)
		fake.HangNext(1)
		s := newTestSender(t, fake.URL, &http.Client{Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Send(ctx, testSMS)
		sendError(t, err, inbox.SendAmbiguous)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send error = %v; want it to wrap context.DeadlineExceeded", err)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("Send took %v; want ctx to cut it short of the client's minute", took)
		}
		if n := len(fake.Creates()); n != 1 {
			t.Errorf("fake got %d creates; want 1", n)
		}
	})
}

func TestSenderIncompleteMessage(t *testing.T) {
	s := newTestSender(t, "", nil)
	for _, m := range []inbox.OutboundSMS{{To: "+1", Text: "x"}, {From: "+1", Text: "x"}, {From: "+1", To: "+2"}} {
		_, err := s.Send(context.Background(), m)
		sendError(t, err, inbox.SendRejected)
	}
}

func TestNewSender(t *testing.T) {
	tests := []struct {
		name, id, token, api string
		ok                   bool
	}{
		{"default API", "id", "tok", "", true},
		{"fake API", "id", "tok", "http://127.0.0.1:9999", true},
		{"trailing slash", "id", "tok", "https://api.example.com/", true},
		{"no id", "", "tok", "", false},
		{"no token", "id", "", "", false},
		{"relative", "id", "tok", "/v1", false},
		{"with path", "id", "tok", "https://api.example.com/v1/", false},
		{"ftp", "id", "tok", "ftp://api.example.com", false},
	}
	for _, tt := range tests {
		_, err := NewSender(tt.id, tt.token, tt.api, nil)
		if (err == nil) != tt.ok {
			t.Errorf("%s: NewSender(%q, %q, %q) = %v; want ok %v", tt.name, tt.id, tt.token, tt.api, err, tt.ok)
		}
	}

	// The caller's client is copied, never changed.
	c := &http.Client{}
	if _, err := NewSender("id", "tok", "", c); err != nil {
		t.Fatal(err)
	}
	if c.Timeout != 0 || c.Transport != nil || c.CheckRedirect != nil {
		t.Errorf("NewSender changed the caller's client: %+v", c)
	}
}

func TestClassify(t *testing.T) {
	ok := &plivogo.MessageCreateResponseBody{MessageUUID: []string{"u-1"}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		x      exchangeResult
		resp   *plivogo.MessageCreateResponseBody
		err    error
		wantID string
		want   inbox.SendOutcome
	}{
		{"202", exchangeResult{wrote: true, status: 202}, ok, nil, "u-1", 0},
		{"202 without uuid", exchangeResult{wrote: true, status: 202}, &plivogo.MessageCreateResponseBody{}, nil, "", inbox.SendAmbiguous},
		{"202 unreadable", exchangeResult{wrote: true, status: 202}, ok, errors.New("unexpected EOF"), "", inbox.SendAmbiguous},
		{"never written", exchangeResult{}, nil, errors.New("dial tcp: connection refused"), "", inbox.SendRetry},
		{"written, no answer", exchangeResult{wrote: true}, nil, errors.New("timeout"), "", inbox.SendAmbiguous},
		{"302", exchangeResult{wrote: true, status: 302}, nil, nil, "", inbox.SendRejected},
		{"404", exchangeResult{wrote: true, status: 404}, nil, errors.New("Resource not found exception"), "", inbox.SendRejected},
		{"502", exchangeResult{wrote: true, status: 502}, nil, nil, "", inbox.SendRetry},
		{"504", exchangeResult{wrote: true, status: 504}, nil, nil, "", inbox.SendAmbiguous},
	}
	for _, tt := range tests {
		id, err := classify(tt.x, tt.resp, tt.err, now)
		if tt.wantID != "" {
			if id != tt.wantID || err != nil {
				t.Errorf("%s: classify = %q, %v; want %q, nil", tt.name, id, err, tt.wantID)
			}
			continue
		}
		if id != "" || inbox.SendOutcomeOf(err) != tt.want || err == nil {
			t.Errorf("%s: classify = %q, %v; want outcome %d", tt.name, id, err, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 0 ", 0},
		{"-3", 0},
		{"soon", 0},
		{"99999999999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestNewAPIError(t *testing.T) {
	tests := []struct {
		status int
		err    error
		want   string
	}{
		{400, errors.New(`{"api_id":"a","error":"dst parameter is required"}`), "dst parameter is required"},
		{400, errors.New(`{"api_id":"a","error":{"dst":["invalid"]}}`), `{"dst":["invalid"]}`},
		{500, errors.New("<html>oops</html>"), "<html>oops</html>"},
		{503, nil, "Service Unavailable"},
		{400, errors.New(strings.Repeat("x", 2000)), strings.Repeat("x", maxErrorText)},
	}
	for _, tt := range tests {
		got := newAPIError(tt.status, tt.err)
		if got.StatusCode != tt.status || got.Message != tt.want {
			t.Errorf("newAPIError(%d, %v) = %+v; want message %q", tt.status, tt.err, got, tt.want)
		}
	}
}
