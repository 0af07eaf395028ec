package web

import (
	"net/http"

	"smsinbox/pkg/inbox"
)

func (s *Server) patchContact(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in inbox.ContactPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := s.svc.PatchContact(r.Context(), u, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) consentProof(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.svc.ConsentProof(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) consentHistory(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	entries, err := s.svc.ConsentHistory(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.ConsentEntry{"entries": entries})
	return nil
}

func (s *Server) resolveReview(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := s.svc.ResolveReview(r.Context(), u, id, in.Decision)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) requestConsent(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		NumberID int64 `json:"number_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.RequestConsent(r.Context(), u, id, in.NumberID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]inbox.Message{"message": m})
	return nil
}
