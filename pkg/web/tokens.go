package web

import (
	"net/http"
	"time"

	"smsinbox/pkg/inbox"
)

// createToken issues an API token (admin): POST /api/tokens
// {"name","expires_in_days"?}. The secret is in this answer only.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in struct {
		Name string `json:"name"`
		Days *int   `json:"expires_in_days"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	days := 0
	if in.Days != nil {
		if days = *in.Days; days == 0 {
			return inbox.Invalid("invalid_expiry", "expires_in_days must be from 1 to %d", inbox.MaxTokenDays)
		}
	}
	t, secret, err := s.svc.CreateToken(r.Context(), u, in.Name, days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		ID        int64      `json:"id"`
		Name      string     `json:"name"`
		Token     string     `json:"token"`
		CreatedAt time.Time  `json:"created_at"`
		ExpiresAt *time.Time `json:"expires_at"`
	}{t.ID, t.Name, secret, t.CreatedAt, t.ExpiresAt})
	return nil
}

// listTokens lists the company's API tokens without their secrets (admin).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	tokens, err := s.svc.Tokens(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.APIToken{"tokens": tokens})
	return nil
}

// revokeToken ends an API token (admin): its next request is 401 and its
// sockets close.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.RevokeToken(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
