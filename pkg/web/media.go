package web

import (
	"io"
	"net/http"
	"strconv"

	"smsinbox/pkg/inbox"
)

// media streams an inbound MMS's n-th media file (from 0), fetched from
// Plivo by the server: the browser authenticates to inboxd only, and sees
// the file only if it may see the thread.
func (s *Server) media(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		return inbox.NotFound("media")
	}
	body, contentType, err := s.svc.Media(r.Context(), u, id, n)
	if err != nil {
		return err
	}
	defer body.Close()
	w.Header().Set("Content-Type", contentType)
	// Private to the signed-in user, and never run as a page of ours.
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	io.Copy(w, body) //nolint:errcheck // the client went away, or Plivo did: nothing to add
	return nil
}
