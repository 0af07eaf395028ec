package web

import (
	"net/http"
	"strconv"

	"smsinbox/pkg/inbox"
)

func (s *Server) upsertContact(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in inbox.ContactInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, created, err := s.svc.UpsertContact(r.Context(), u, in)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), c)
	return nil
}

func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	f := inbox.ContactFilter{Q: r.URL.Query().Get("q")}
	var err error
	if f.JobID, err = queryInt(r, "job_id"); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(min(limit, 200))
	if f.After, err = queryInt(r, "cursor"); err != nil {
		return err
	}
	contacts, next, err := s.svc.Contacts(r.Context(), u, f)
	if err != nil {
		return err
	}
	var cursor *string
	if next != 0 {
		c := strconv.FormatInt(next, 10)
		cursor = &c
	}
	writeJSON(w, http.StatusOK, struct {
		Contacts   []inbox.Contact `json:"contacts"`
		NextCursor *string         `json:"next_cursor"`
	}{contacts, cursor})
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.svc.Contact(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) upsertJob(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in inbox.JobInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	j, created, err := s.svc.UpsertJob(r.Context(), u, in)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), j)
	return nil
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	jobs, err := s.svc.Jobs(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.Job{"jobs": jobs})
	return nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := s.svc.Job(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (s *Server) addApplicant(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	jobID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		ContactID int64 `json:"contact_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.AddApplicant(r.Context(), u, jobID, in.ContactID); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"job_id": jobID, "contact_id": in.ContactID})
	return nil
}

func (s *Server) listApplicants(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	jobID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	contacts, _, err := s.svc.Contacts(r.Context(), u, inbox.ContactFilter{JobID: jobID, Limit: 200})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.Contact{"contacts": contacts})
	return nil
}
