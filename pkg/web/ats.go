package web

import (
	"net/http"
	"time"

	"smsinbox/pkg/inbox"
)

// The host ATS's routes: outbound webhooks, the company feed, erasure and
// the SSO hand-off.

// createWebhook registers an endpoint (admin): POST /api/webhooks
// {"url","events"}. The secret is in this answer only.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in inbox.CreateWebhookRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	hook, err := s.svc.CreateWebhook(r.Context(), u, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	hooks, err := s.svc.Webhooks(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.Webhook{"webhooks": hooks})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteWebhook(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	deliveries, err := s.svc.WebhookDeliveries(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.WebhookDelivery{"deliveries": deliveries})
	return nil
}

// replayWebhook delivers the feed again from a seq: POST
// /api/webhooks/{id}/replay {"from_seq"}.
func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		FromSeq *int64 `json:"from_seq"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.FromSeq == nil {
		return inbox.Invalid("invalid_from_seq", "from_seq is required")
	}
	hook, err := s.svc.ReplayWebhook(r.Context(), u, id, *in.FromSeq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// events is the company feed: GET /api/events?after=&limit=&wait=.
func (s *Server) events(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	wait, err := queryInt(r, "wait")
	if err != nil {
		return err
	}
	page, err := s.svc.Feed(r.Context(), u, inbox.FeedRequest{After: after, Limit: int(min(limit, 1000)),
		Wait: time.Duration(min(wait, 30)) * time.Second})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// eraseContact erases a contact's personal data: DELETE /api/contacts/{id}.
func (s *Server) eraseContact(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.svc.EraseContact(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sso signs in the user of an ATS's token: GET /sso?token=&return_to=, a
// page the browser is sent to: a redirect (303) with the session cookie, or
// the JSON error of every route.
func (s *Server) sso(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := s.svc.SSO(r.Context(), q.Get("token"), q.Get("return_to"))
	if err != nil {
		if inbox.ErrorKind(err) != inbox.KindUnavailable && inbox.ErrorKind(err) != inbox.KindInternal {
			s.log.Info("sso sign-in refused", "err", err, "client", clientAddr(r, s.trusted))
		}
		w.Header().Set("Cache-Control", "no-store")
		s.writeError(w, r, err)
		return
	}
	s.setSessionCookie(w, res.Token, res.Ends)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in this URL
	http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
}
