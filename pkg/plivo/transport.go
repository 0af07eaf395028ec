package plivo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
)

// exchange is the http.RoundTripper of one Send. plivo-go's Messages.Create
// takes no context and hides the HTTP status, so the exchange ties the
// request to the caller's ctx, notes whether the request was completely
// written (after that, a failure is ambiguous: Plivo may have the text), and
// keeps the response's status and headers for classification.
type exchange struct {
	ctx  context.Context
	base http.RoundTripper

	mu       sync.Mutex
	wrote    bool
	status   int
	header   http.Header
	bodies   []io.Closer
	releases []func()
}

// exchangeResult is what the exchange saw.
type exchangeResult struct {
	wrote  bool        // the whole request went out on the wire
	status int         // the HTTP status; 0 when no response arrived
	header http.Header // the response headers, nil without a response
}

// RoundTrip sends req with the exchange's ctx merged into its own (which may
// carry the http.Client's timeout) and a trace that watches the write.
func (e *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	stop := context.AfterFunc(e.ctx, func() { cancel(context.Cause(e.ctx)) })
	trace := &httptrace.ClientTrace{
		// WroteRequest with an error means the request did not fully go
		// out; with Content-Length set, Plivo cannot act on a partial one.
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				e.mu.Lock()
				e.wrote = true
				e.mu.Unlock()
			}
		},
	}
	resp, err := e.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(ctx, trace)))

	e.mu.Lock()
	defer e.mu.Unlock()
	// The merged context must outlive RoundTrip, or reading the body would
	// fail: release it in finish, after plivo-go has read the body.
	e.releases = append(e.releases, func() { stop(); cancel(nil) })
	if err != nil {
		return nil, err
	}
	e.status = resp.StatusCode
	e.header = resp.Header.Clone()
	e.bodies = append(e.bodies, resp.Body)
	return resp, nil
}

// finish closes every response body (plivo-go reads but never closes them)
// and releases the merged contexts; it returns what the exchange saw.
func (e *exchange) finish() exchangeResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.bodies {
		b.Close()
	}
	for _, release := range e.releases {
		release()
	}
	e.bodies, e.releases = nil, nil
	return exchangeResult{wrote: e.wrote, status: e.status, header: e.header}
}
