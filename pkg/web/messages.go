package web

import (
	"context"
	"net/http"
	"time"

	"smsinbox/pkg/inbox"
)

func page(r *http.Request) (inbox.Page, error) {
	before, err := queryInt(r, "before")
	if err != nil {
		return inbox.Page{}, err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return inbox.Page{}, err
	}
	return inbox.Page{Before: before, Limit: int(min(limit, 500))}, nil
}

func (s *Server) contactMessages(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	threads, msgs, err := s.svc.ContactMessages(r.Context(), u, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Threads  []inbox.Thread  `json:"threads"`
		Messages []inbox.Message `json:"messages"`
	}{threads, msgs})
	return nil
}

func (s *Server) threadMessages(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	th, msgs, err := s.svc.ThreadMessages(r.Context(), u, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Thread   inbox.Thread    `json:"thread"`
		Messages []inbox.Message `json:"messages"`
	}{th, msgs})
	return nil
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body            string     `json:"body"`
		NumberID        int64      `json:"number_id"`
		TemplateID      int64      `json:"template_id"`
		JobID           int64      `json:"job_id"`
		SendAt          *time.Time `json:"send_at"`
		PlainCharacters bool       `json:"plain_characters"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.Send(r.Context(), u, id, inbox.SendRequest{
		Body: in.Body, NumberID: in.NumberID, IdempotencyKey: r.Header.Get("Idempotency-Key"),
		TemplateID: in.TemplateID, JobID: in.JobID, SendAt: in.SendAt, PlainCharacters: in.PlainCharacters,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]inbox.Message{"message": m})
	return nil
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	return s.setRead(w, r, u, s.svc.MarkRead)
}

func (s *Server) markUnread(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	return s.setRead(w, r, u, s.svc.MarkUnread)
}

func (s *Server) setRead(w http.ResponseWriter, r *http.Request, u inbox.User,
	set func(context.Context, inbox.User, int64) (inbox.Thread, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	th, err := set(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, th)
	return nil
}
