package plivo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	plivogo "github.com/plivo/plivo-go/v7"
	"smsinbox/pkg/inbox"
)

// DefaultTimeout bounds one Message API call when the http.Client given to
// NewSender has none; it is plivo-go's own default.
const DefaultTimeout = 10 * time.Second

// maxRetryAfter caps a Retry-After hint, so a wild value cannot park a text
// for days.
const maxRetryAfter = time.Hour

// Sender sends texts through Plivo's Message API with plivo-go. It is safe
// for concurrent use.
type Sender struct {
	authID    string
	authToken string
	apiURL    *url.URL     // nil: plivo-go's default, https://api.plivo.com/
	client    *http.Client // a private copy; its Transport is never nil
}

var _ inbox.Sender = (*Sender)(nil)

// NewSender returns a Sender for the Plivo account authID/authToken. apiURL
// is the API's base URL (scheme and host only, such as a test fake's); empty
// means Plivo's own. httpClient may be nil; it is copied, never changed, and
// a copy without a timeout gets DefaultTimeout. Both credentials are
// required: given an empty one, plivo-go would read the environment.
func NewSender(authID, authToken, apiURL string, httpClient *http.Client) (*Sender, error) {
	if authID == "" || authToken == "" {
		return nil, errors.New("plivo sender: auth id and auth token are both required")
	}
	u, err := parseAPIURL(apiURL)
	if err != nil {
		return nil, fmt.Errorf("plivo sender: %w", err)
	}
	return &Sender{authID: authID, authToken: authToken, apiURL: u, client: apiClient(httpClient)}, nil
}

// parseAPIURL reads the base URL of Plivo's API: scheme and host only;
// empty is nil, plivo-go's default.
func parseAPIURL(apiURL string) (*url.URL, error) {
	if apiURL == "" {
		return nil, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("API URL %q must be an http(s) scheme and host only", apiURL)
	}
	return u, nil
}

// apiClient is a private copy of httpClient (which may be nil) for Plivo's
// API: DefaultTimeout when it has none, a transport, and no redirects.
func apiClient(httpClient *http.Client) *http.Client {
	c := &http.Client{}
	if httpClient != nil {
		copied := *httpClient
		c = &copied
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	// Plivo does not redirect its API; following one would resend a text
	// (or our credentials) to wherever it points.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// Send asks Plivo to send m, with its status callbacks POSTed to
// m.CallbackURL, and returns Plivo's message UUID. ctx cancels the call.
//
// A failure is an *inbox.SendError:
//   - SendRetry when Plivo provably did not take the text: the request was
//     never completely written (dial, DNS or TLS failure, connection refused,
//     ctx done first), or Plivo answered 429 (RetryAfter from its
//     Retry-After header) or a 5xx other than 504;
//   - SendAmbiguous when Plivo may have it: a timeout, reset or ctx end after
//     the whole request was written, a 504 (a gateway gave up waiting on
//     Plivo, which may have queued the text), or a 2xx whose message_uuid
//     could not be read;
//   - SendRejected for any other answer (4xx, an unexpected 3xx), with
//     Plivo's error text in an *APIError, or for an incomplete m.
func (s *Sender) Send(ctx context.Context, m inbox.OutboundSMS) (string, error) {
	start := time.Now()
	id, err := s.send(ctx, m)
	observeSend(err, time.Since(start))
	return id, err
}

func (s *Sender) send(ctx context.Context, m inbox.OutboundSMS) (string, error) {
	if m.From == "" || m.To == "" || m.Text == "" {
		return "", &inbox.SendError{Outcome: inbox.SendRejected,
			Err: fmt.Errorf("plivo: message %d lacks a sender, recipient or text", m.MessageID)}
	}
	if err := ctx.Err(); err != nil {
		return "", &inbox.SendError{Outcome: inbox.SendRetry, Err: fmt.Errorf("plivo: not sent: %w", err)}
	}
	// A plivo-go client per call carries this call's transport; the
	// connection pool underneath is shared.
	ex := &exchange{ctx: ctx, base: s.client.Transport}
	hc := *s.client
	hc.Transport = ex
	client, err := plivogo.NewClient(s.authID, s.authToken, &plivogo.ClientOptions{HttpClient: &hc})
	if err != nil {
		ex.finish()
		return "", &inbox.SendError{Outcome: inbox.SendRetry, Err: fmt.Errorf("plivo: new client: %w", err)}
	}
	if s.apiURL != nil {
		u := *s.apiURL
		client.BaseUrl = &u
	}
	params := plivogo.MessageCreateParams{Src: m.From, Dst: m.To, Text: m.Text}
	if m.CallbackURL != "" {
		params.URL, params.Method = m.CallbackURL, http.MethodPost
	}
	resp, err := client.Messages.Create(params)
	return classify(ex.finish(), resp, err, time.Now())
}

// classify turns what Messages.Create returned, and what the exchange saw,
// into Plivo's message UUID or an *inbox.SendError.
func classify(x exchangeResult, resp *plivogo.MessageCreateResponseBody, err error, now time.Time) (string, error) {
	switch {
	case x.status == 0:
		if err == nil {
			err = errors.New("no response")
		}
		if x.wrote {
			return "", &inbox.SendError{Outcome: inbox.SendAmbiguous,
				Err: fmt.Errorf("plivo: request written, no answer: %w", err)}
		}
		return "", &inbox.SendError{Outcome: inbox.SendRetry,
			Err: fmt.Errorf("plivo: request never reached Plivo: %w", err)}
	case x.status >= 200 && x.status < 300:
		if err == nil && resp != nil && len(resp.MessageUUID) > 0 && resp.MessageUUID[0] != "" {
			return resp.MessageUUID[0], nil
		}
		if err == nil {
			err = errors.New("no message_uuid in the answer")
		}
		return "", &inbox.SendError{Outcome: inbox.SendAmbiguous,
			Err: fmt.Errorf("plivo: answered %d, but: %w", x.status, err)}
	case x.status == http.StatusTooManyRequests:
		return "", &inbox.SendError{Outcome: inbox.SendRetry,
			RetryAfter: parseRetryAfter(x.header.Get("Retry-After"), now), Err: newAPIError(x.status, err)}
	case x.status == http.StatusGatewayTimeout:
		return "", &inbox.SendError{Outcome: inbox.SendAmbiguous, Err: newAPIError(x.status, err)}
	case x.status >= 500:
		return "", &inbox.SendError{Outcome: inbox.SendRetry, Err: newAPIError(x.status, err)}
	default:
		return "", &inbox.SendError{Outcome: inbox.SendRejected, Err: newAPIError(x.status, err)}
	}
}

// APIError is an error answer of Plivo's REST API.
type APIError struct {
	StatusCode int
	Message    string // Plivo's "error" text, else the answer's body
}

func (e *APIError) Error() string {
	return fmt.Sprintf("plivo API answered %d: %s", e.StatusCode, e.Message)
}

// maxErrorText bounds the error text kept from an answer body.
const maxErrorText = 512

// newAPIError builds an APIError from the error plivo-go made of the answer:
// its text is the raw body, usually {"api_id": …, "error": …}.
func newAPIError(status int, err error) *APIError {
	msg := http.StatusText(status)
	if err != nil {
		msg = strings.TrimSpace(err.Error())
		var body struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal([]byte(msg), &body) == nil && len(body.Error) > 0 {
			var text string
			if json.Unmarshal(body.Error, &text) == nil {
				msg = text
			} else {
				msg = string(body.Error)
			}
		}
	}
	return &APIError{StatusCode: status, Message: truncate(msg, maxErrorText)}
}

// parseRetryAfter reads a Retry-After value, seconds or an HTTP date, as a
// duration from now, capped at maxRetryAfter; zero when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
