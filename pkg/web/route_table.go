package web

import (
	"net/http"
	"slices"
)

// patternMux is the ServeMux of routes.go, remembering each pattern
// registered on it so that the route table can be read back (Routes): the
// OpenAPI test checks that docs/openapi.yaml describes every one.
type patternMux struct {
	*http.ServeMux
	patterns *[]string
}

// newMux returns the server's mux, recording its patterns in s.patterns.
func (s *Server) newMux() patternMux {
	s.patterns = nil
	return patternMux{ServeMux: http.NewServeMux(), patterns: &s.patterns}
}

// Handle registers h for pattern and records the pattern.
func (m patternMux) Handle(pattern string, h http.Handler) {
	*m.patterns = append(*m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern and records the pattern.
func (m patternMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	*m.patterns = append(*m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// Routes returns the pattern of every route the server serves, in the order
// routes.go registers them: "GET /api/me", "POST /webhooks/plivo/inbound",
// and the method-less fallbacks "/api/" (unknown API routes) and "/" (the
// UI). Which routes exist depends on the Options: /metrics only with a
// Metrics handler, /api/dev/phone only with a Phone.
func (s *Server) Routes() []string {
	return slices.Clone(s.patterns)
}
