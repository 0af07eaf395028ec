package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Every request the end-to-end tests send through a client of this file —
// the harness's client, the webhook helper, the websocket dials — is checked
// against docs/openapi.yaml, and so is its answer: a test that exercises a
// route also proves the document describes it. A violation fails the test
// with the route and kin-openapi's reason.

// specFile is the OpenAPI description, relative to this package; specName
// is how failures name it.
const (
	specFile = "../../docs/openapi.yaml"
	specName = "docs/openapi.yaml"
)

// openAPI is the loaded and validated document and its router, once per test
// binary.
var openAPI = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specFile)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", specFile, err)
	}
	// The legacy router validates the document first.
	return legacy.NewRouter(doc)
})

// specPrefixes are the paths docs/openapi.yaml owns; anything else (the UI's
// pages and files) is passed through unchecked.
var specPrefixes = []string{"/api/", "/webhooks/", "/ws", "/healthz", "/readyz", "/metrics"}

// specOptions: defaults are never written into the request (the server must
// see what the test sent), an undocumented status is a violation, and a
// credential is judged present or absent (the server judges it valid).
var specOptions = &openapi3filter.Options{
	SkipSettingDefaults:   true,
	IncludeResponseStatus: true,
	MultiError:            true,
	AuthenticationFunc:    credentialPresent,
}

// credentialPresent reports whether the request carries the credential a
// security scheme names.
func credentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r, s := in.RequestValidationInput.Request, in.SecurityScheme
	var ok bool
	switch {
	case s.Type == "http" && s.Scheme == "bearer":
		ok = strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
	case s.Type == "apiKey" && s.In == "cookie":
		c, err := r.Cookie(s.Name)
		ok = err == nil && c.Value != ""
	case s.Type == "apiKey" && s.In == "header":
		ok = r.Header.Get(s.Name) != ""
	case s.Type == "apiKey" && s.In == "query":
		ok = r.URL.Query().Get(s.Name) != ""
	}
	if !ok {
		return in.NewError(nil)
	}
	return nil
}

// specCheck is an http.RoundTripper that checks each exchange on a path of
// docs/openapi.yaml and reports what does not match it:
//   - an answer whose status is not documented for the route, or whose body
//     or headers do not match what is documented for that status;
//   - a request the document refuses (a missing field, a wrong type, no
//     credential) that the server accepted: the server must refuse what the
//     document refuses. Tests that send bad input on purpose get a 4xx, so
//     their requests are allowed to be off the document;
//   - a path under /api/ or /webhooks/ that the document does not know,
//     answered anything but 404 or 405.
type specCheck struct {
	report func(format string, args ...any)
	next   http.RoundTripper
}

// specTransport is the transport of every test client: t fails on a violation.
func specTransport(t testing.TB) http.RoundTripper {
	return &specCheck{report: t.Errorf, next: http.DefaultTransport}
}

// specClient is an http.Client whose exchanges are checked against the document.
func specClient(t testing.TB) *http.Client {
	return &http.Client{Transport: specTransport(t)}
}

func (c *specCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	if !hasAnyPrefix(req.URL.Path, specPrefixes) {
		return c.next.RoundTrip(req)
	}
	router, err := openAPI()
	if err != nil {
		c.report("%v", err)
		return c.next.RoundTrip(req)
	}
	name := req.Method + " " + req.URL.Path
	route, params, err := router.FindRoute(req)
	if err != nil {
		resp, rerr := c.next.RoundTrip(req)
		if rerr == nil && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			c.report("openapi: %s is not in %s (%v), yet the server answered %d", name, specName, err, resp.StatusCode)
		}
		return resp, rerr
	}
	name = req.Method + " " + route.Path

	// The request is checked on a copy, so that the one sent is untouched.
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: specOptions}
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)

	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Options: specOptions}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The body is the websocket itself: only the status is checked.
		out.SetBodyBytes(nil)
	} else {
		data, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = &replayBody{Reader: bytes.NewReader(data), err: readErr}
		if readErr != nil {
			// A cut stream (the CSV export fails mid-way by design): the
			// caller sees the failure; there is nothing whole to check.
			return resp, nil
		}
		out.SetBodyBytes(data)
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		c.report("openapi: %s answered %d, which %s does not allow: %v", name, resp.StatusCode, specName, err)
	}
	if reqErr != nil && resp.StatusCode < 400 {
		c.report("openapi: %s: %s refuses this request (%v), yet the server answered %d", name, specName, reqErr, resp.StatusCode)
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport below.
func (c *specCheck) CloseIdleConnections() {
	if ci, ok := c.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// replayBody gives back a response body read in full, then the error that
// ended the read, if any.
type replayBody struct {
	*bytes.Reader
	err error
}

func (b *replayBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if errors.Is(err, io.EOF) && b.err != nil {
		return n, b.err
	}
	return n, err
}

func (b *replayBody) Close() error { return nil }

// TestSpecCheckReports proves the checker fails what it should, against a
// server that answers each case as scripted, and passes what it should.
func TestSpecCheckReports(t *testing.T) {
	user := `{"id":1,"email":"a@b.test","name":"A","role":"admin"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		status, body, _ := strings.Cut(r.Header.Get("X-Answer"), " ")
		code, _ := strconv.Atoi(status)
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	cookie := &http.Cookie{Name: "smsinbox_session", Value: "s"}
	tests := []struct {
		name         string
		method, path string
		body         string
		answer       string // status and body the server gives
		signedIn     bool
		want         string // in the report; "" for none
	}{
		{"a documented answer", "GET", "/api/me", "", "200 " + strings.TrimSuffix(user, "}") + `,"numbers":[]}`, true, ""},
		{"a field of the wrong type", "GET", "/api/me", "", `200 {"id":"1","email":"a@b.test","name":"A","role":"admin","numbers":[]}`, true, "does not allow"},
		{"an undocumented field", "GET", "/api/users", "", `200 {"users":[],"extra":1}`, true, "does not allow"},
		{"an undocumented status", "GET", "/api/me", "", `418 {"error":{"code":"teapot","message":"no"}}`, true, "answered 418"},
		{"an error that is not the error shape", "GET", "/api/me", "", `401 {"message":"no"}`, false, "does not allow"},
		{"a refused request accepted", "POST", "/api/users", `{"email":"x@y.test","name":"X"}`, "201 " + user, true, "refuses this request"},
		{"a refused request refused", "POST", "/api/users", `{"email":"x@y.test","name":"X"}`, `422 {"error":{"code":"invalid_role","message":"no"}}`, true, ""},
		{"no credential, accepted", "GET", "/api/users", "", `200 {"users":[]}`, false, "refuses this request"},
		{"no credential, refused", "GET", "/api/users", "", `401 {"error":{"code":"unauthenticated","message":"sign in"}}`, false, ""},
		{"an unknown API route answered", "GET", "/api/nope", "", `200 {}`, true, "is not in"},
		{"an unknown API route refused", "GET", "/api/nope", "", `404 {"error":{"code":"not_found","message":"no"}}`, true, ""},
		{"a page of the UI", "GET", "/index.html", "", `200 <html>`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reports []string
			c := &http.Client{Transport: &specCheck{next: http.DefaultTransport,
				report: func(format string, args ...any) { reports = append(reports, fmt.Sprintf(format, args...)) }}}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Answer", tt.answer)
			if tt.signedIn {
				req.AddCookie(cookie)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if _, want, _ := strings.Cut(tt.answer, " "); string(got) != want {
				t.Errorf("the caller read %q, want the server's %q", got, want)
			}
			switch {
			case tt.want == "" && len(reports) > 0:
				t.Errorf("got reports %q, want none", reports)
			case tt.want != "" && (len(reports) != 1 || !strings.Contains(reports[0], tt.want)):
				t.Errorf("got reports %q, want one containing %q", reports, tt.want)
			}
		})
	}
}
