package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"smsinbox/pkg/inbox"
)

// statusOf is the one place an error becomes an HTTP status.
func statusOf(kind inbox.Kind) int {
	switch kind {
	case inbox.KindInvalid:
		return http.StatusUnprocessableEntity
	case inbox.KindUnauthenticated:
		return http.StatusUnauthorized
	case inbox.KindForbidden:
		return http.StatusForbidden
	case inbox.KindNotFound:
		return http.StatusNotFound
	case inbox.KindConflict:
		return http.StatusConflict
	case inbox.KindRateLimited:
		return http.StatusTooManyRequests
	case inbox.KindUnavailable:
		return http.StatusServiceUnavailable
	case inbox.KindMalformed:
		return http.StatusBadRequest
	case inbox.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case inbox.KindGone:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// retryAfterUnavailable is the Retry-After of a 503: a dependency that is
// down is usually back within seconds (a database restart, a failover).
const retryAfterUnavailable = "5"

// writeError answers with the JSON error of API.md, and logs what the client
// cannot act on (5xx) once, here at the edge. A dependency that cannot be
// reached (KindUnavailable) is 503 with Retry-After, logged once per
// interval with a count, since an outage fails every request alike; any
// other 5xx is a bug, logged each time.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errBodyTimeout) {
		// Cut the connection: net/http closes it without an answer.
		s.log.Info("request cut: its body did not arrive in time", "method", r.Method, "path", r.URL.Path,
			"client", clientAddr(r, s.trusted))
		panic(http.ErrAbortHandler)
	}
	var e *inbox.Error
	if !errors.As(err, &e) {
		e = &inbox.Error{Kind: inbox.KindInternal, Code: "internal", Message: "something went wrong on our side; try again", Err: err}
	}
	status := statusOf(e.Kind)
	switch {
	case e.Kind == inbox.KindUnavailable:
		s.unavailable.Failed(err, "method", r.Method, "path", r.URL.Path)
		w.Header().Set("Retry-After", retryAfterUnavailable)
	case status >= 500:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	case e.Kind == inbox.KindRateLimited && w.Header().Get("Retry-After") == "":
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, status, errorBody{errorDetail{e.Code, e.Message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away; nothing to do
}

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 64 << 10

// decode reads a JSON request body into v: at most maxJSONBody bytes, one
// JSON value, with a clear error for each way it can be wrong.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		var domain *inbox.Error
		switch {
		case errors.Is(err, errBodyTimeout):
			return err
		case errors.As(err, &domain):
			return domain // a field's own check (quiet_hours), with its code
		case errors.As(err, &tooBig):
			return inbox.Errorf(inbox.KindTooLarge, "body_too_large", "the request body is over %d bytes", maxJSONBody)
		case errors.Is(err, io.EOF):
			return inbox.Errorf(inbox.KindMalformed, "invalid_json", "the request needs a JSON body")
		case errors.As(err, &typeErr):
			return inbox.Errorf(inbox.KindMalformed, "invalid_json", "the field %q has the wrong type", typeErr.Field)
		default:
			return inbox.Errorf(inbox.KindMalformed, "invalid_json", "the body is not valid JSON: %v", err)
		}
	}
	if dec.More() {
		return inbox.Errorf(inbox.KindMalformed, "invalid_json", "the body must be a single JSON value")
	}
	return nil
}
