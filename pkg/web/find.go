package web

import (
	"net/http"

	"smsinbox/pkg/inbox"
)

// GET /api/inbox: one page of the caller's inbox. Parameters: filter
// (unread, awaiting, mine or all; default all), number_id (one of the
// caller's numbers), limit (default 200, at most 500) and cursor (the
// next_cursor of the previous page). Without parameters it answers the first
// page, as before pages existed.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	req := inbox.InboxRequest{Filter: inbox.InboxFilter(r.URL.Query().Get("filter")), Cursor: r.URL.Query().Get("cursor")}
	var err error
	if req.NumberID, req.Limit, err = pageQuery(r, 500); err != nil {
		return err
	}
	in, err := s.svc.InboxPage(r.Context(), u, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// GET /api/search?q=&number_id=&limit=&cursor=: messages of the caller's
// numbers and the company's contacts matching every word of q.
func (s *Server) search(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	req := inbox.SearchRequest{Q: r.URL.Query().Get("q"), Cursor: r.URL.Query().Get("cursor")}
	var err error
	if req.NumberID, req.Limit, err = pageQuery(r, 100); err != nil {
		return err
	}
	res, err := s.svc.Search(r.Context(), u, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// pageQuery reads the number_id and limit of a paged list; a limit above
// most is cut to it, none (0) leaves the default to the service.
func pageQuery(r *http.Request, most int64) (numberID int64, limit int, err error) {
	if numberID, err = queryInt(r, "number_id"); err != nil {
		return 0, 0, err
	}
	l, err := queryInt(r, "limit")
	if err != nil {
		return 0, 0, err
	}
	return numberID, int(min(l, most)), nil
}

// POST /api/threads/{id}/claim, body optional: {"take_over": true} takes a
// thread someone else is handling.
func (s *Server) claim(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		TakeOver bool `json:"take_over"`
	}
	if r.ContentLength != 0 { // no body: a plain claim
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	th, err := s.svc.Claim(r.Context(), u, id, in.TakeOver)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, th)
	return nil
}

// DELETE /api/threads/{id}/claim: hands the thread back to every assignee.
func (s *Server) release(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	th, err := s.svc.Release(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, th)
	return nil
}
