package web

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// headers adds what every answer carries: X-Content-Type-Options: nosniff
// (no browser reads a JSON error or an upload as a script or a page), and,
// when the server is reached over https, Strict-Transport-Security, so that
// browsers never try plain http again.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// errBodyTimeout is a request body that did not arrive within the read
// timeout. writeError answers it by cutting the connection: the client is
// too slow (or holding the connection on purpose) to read an answer anyway.
var errBodyTimeout = errors.New("the request body did not arrive in time")

// readTimeout cuts a request whose body is not read in full within
// s.readTimeout of the handler starting: a body trickled a byte at a time
// would otherwise hold a connection and a goroutine for as long as the
// client likes. The deadline is set on the connection for this request only
// (http.ResponseController) and lifted once the body is read, so a handler
// that works on afterwards (a CSV export) is not cut. Requests without a
// body — GET /ws among them: a websocket's reads are not the request's —
// get no deadline.
func (s *Server) readTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.bodyTimeout <= 0 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)); err != nil {
			next.ServeHTTP(w, r) // a connection without deadlines (a test's)
			return
		}
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, limit: s.bodyTimeout}
		next.ServeHTTP(w, r)
	})
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// deadlineBody lifts the read deadline once the body is read, and turns a
// read that hit it into errBodyTimeout.
type deadlineBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	limit time.Duration
	done  bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var ne net.Error
	switch {
	case err == nil || b.done:
	case errors.As(err, &ne) && ne.Timeout():
		b.done = true
		return n, fmt.Errorf("%w (%s): %w", errBodyTimeout, b.limit, err)
	default:
		// EOF or another end: the body is over, so is its deadline.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
