package web

import (
	"context"
	"net/http"
	"time"

	"smsinbox/pkg/inbox"
)

// Templates, scheduled texts, resends and bulk sends.

type templateIn struct {
	Name   *string `json:"name"`
	Body   *string `json:"body"`
	Shared *bool   `json:"shared"`
}

func (in templateIn) input() inbox.TemplateInput {
	return inbox.TemplateInput{Name: in.Name, Body: in.Body, Shared: in.Shared}
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in templateIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.CreateTemplate(r.Context(), u, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	ts, err := s.svc.Templates(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.Template{"templates": ts})
	return nil
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.svc.Template(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) patchTemplate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in templateIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.UpdateTemplate(r.Context(), u, id, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteTemplate(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		ContactID       int64 `json:"contact_id"`
		JobID           int64 `json:"job_id"`
		NumberID        int64 `json:"number_id"`
		PlainCharacters bool  `json:"plain_characters"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := s.svc.PreviewTemplate(r.Context(), u, id, inbox.PreviewRequest{ContactID: in.ContactID, JobID: in.JobID,
		NumberID: in.NumberID, PlainCharacters: in.PlainCharacters})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) editMessage(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body            *string    `json:"body"`
		SendAt          *time.Time `json:"send_at"`
		PlainCharacters bool       `json:"plain_characters"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.EditScheduled(r.Context(), u, id, inbox.ScheduledEdit{Body: in.Body, SendAt: in.SendAt,
		PlainCharacters: in.PlainCharacters})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]inbox.Message{"message": m})
	return nil
}

func (s *Server) cancelMessage(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	return s.messageAction(w, r, u, http.StatusOK, s.svc.CancelScheduled)
}

func (s *Server) resendMessage(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	return s.messageAction(w, r, u, http.StatusAccepted, s.svc.Resend)
}

// messageAction runs act on the message of the path's id and answers status
// with the message it returns.
func (s *Server) messageAction(w http.ResponseWriter, r *http.Request, u inbox.User, status int,
	act func(context.Context, inbox.User, int64) (inbox.Message, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := act(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, status, map[string]inbox.Message{"message": m})
	return nil
}

func (s *Server) createBulkSend(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in struct {
		NumberID        int64      `json:"number_id"`
		ContactIDs      []int64    `json:"contact_ids"`
		JobID           int64      `json:"job_id"`
		Body            string     `json:"body"`
		TemplateID      int64      `json:"template_id"`
		SendAt          *time.Time `json:"send_at"`
		PlainCharacters bool       `json:"plain_characters"`
		DryRun          bool       `json:"dry_run"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	b, err := s.svc.CreateBulkSend(r.Context(), u, inbox.BulkRequest{NumberID: in.NumberID, ContactIDs: in.ContactIDs,
		JobID: in.JobID, Body: in.Body, TemplateID: in.TemplateID, SendAt: in.SendAt, PlainCharacters: in.PlainCharacters,
		DryRun: in.DryRun})
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if in.DryRun {
		status = http.StatusOK
	}
	writeJSON(w, status, b)
	return nil
}

func (s *Server) getBulkSend(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.svc.GetBulkSend(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) cancelBulkSend(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.svc.CancelBulkSend(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}
