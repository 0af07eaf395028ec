package web

import (
	"context"
	"net/http"
	"time"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is the body of /readyz.
type readiness struct {
	Status   string       `json:"status"` // ok, degraded or unavailable
	Store    string       `json:"store"`  // ok or down
	Bus      string       `json:"bus"`    // ok or down
	Degraded []string     `json:"degraded,omitempty"`
	Error    *errorDetail `json:"error,omitempty"`
}

// readyz answers whether this instance should get traffic. Only the store
// decides: without it nothing can be served (503 unavailable). The bus is a
// doorbell — webhooks and the API work without it, and sockets catch up from
// the store — so a bus that is down is reported (the body names it as
// degraded, smsinbox_dependency_up says 0, the log says so once per
// interval) while the answer stays 200: a load balancer routing on /readyz
// must not take every instance out because Redis is. The cause goes to the
// log, never to the answer: /readyz is open to anyone, and an error's text
// can tell hosts, users and versions.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	storeErr, busErr := s.svc.Ready(ctx)
	body := readiness{Status: "ok", Store: "ok", Bus: "ok"}
	dependencyUp.WithLabelValues("store").Set(up(storeErr))
	dependencyUp.WithLabelValues("bus").Set(up(busErr))
	if busErr != nil {
		body.Bus, body.Status, body.Degraded = "down", "degraded", []string{"bus"}
		s.busFaults.Failed(busErr)
	}
	if storeErr != nil {
		body.Store, body.Status = "down", "unavailable"
		body.Error = &errorDetail{"not_ready", "not ready: the store is unreachable"}
		s.unavailable.Failed(storeErr, "method", r.Method, "path", r.URL.Path)
		w.Header().Set("Retry-After", retryAfterUnavailable)
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// up is a dependency's gauge value: 1 when err is nil.
func up(err error) float64 {
	if err != nil {
		return 0
	}
	return 1
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, errorBody{errorDetail{"not_found", "no such API route: " + r.Method + " " + r.URL.Path}})
}
