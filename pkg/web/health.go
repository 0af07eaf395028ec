package web

import (
	"context"
	"net/http"
	"strings"
	"time"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store and the bus answer, else 503 naming the
// failing part. The cause goes to the log, not to the answer: /readyz is
// open to anyone, and an error's text can tell hosts, users and versions.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	storeErr, busErr := s.svc.Ready(ctx)
	body := map[string]any{"status": "ok", "store": "ok", "bus": "ok"}
	var failing []string
	if storeErr != nil {
		body["store"] = "down"
		failing = append(failing, "store")
		s.log.Warn("not ready: the store does not answer", "err", storeErr)
	}
	if busErr != nil {
		body["bus"] = "down"
		failing = append(failing, "bus")
		s.log.Warn("not ready: the bus does not answer", "err", busErr)
	}
	if len(failing) == 0 {
		writeJSON(w, http.StatusOK, body)
		return
	}
	body["status"] = "unavailable"
	body["error"] = errorDetail{"not_ready", "not ready: " + strings.Join(failing, " and ") + " unreachable"}
	writeJSON(w, http.StatusServiceUnavailable, body)
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, errorBody{errorDetail{"not_found", "no such API route: " + r.Method + " " + r.URL.Path}})
}
