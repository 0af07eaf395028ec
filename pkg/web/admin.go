package web

import (
	"net/http"

	"smsinbox/pkg/inbox"
)

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in inbox.NewUser
	if err := decode(w, r, &in); err != nil {
		return err
	}
	created, err := s.svc.CreateUser(r.Context(), u, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inbox.Account{User: created, Active: true})
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	users, err := s.svc.Accounts(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.Account{"users": users})
	return nil
}

// updateUser changes a user's name, role or whether they may sign in
// (admin): PATCH /api/users/{id} {"active"?,"name"?,"role"?}.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in inbox.UserPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := s.svc.UpdateUser(r.Context(), u, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) createNumber(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in struct {
		E164  string `json:"e164"`
		Label string `json:"label"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	n, err := s.svc.CreateNumber(r.Context(), u, in.E164, in.Label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (s *Server) listNumbers(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	numbers, err := s.svc.Numbers(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]inbox.Number{"numbers": numbers})
	return nil
}

func (s *Server) setAssignees(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if !u.IsAdmin() {
		return inbox.ErrForbidden
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		UserIDs *[]int64 `json:"user_ids"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.UserIDs == nil {
		return inbox.Invalid("invalid_user_ids", "give user_ids, a list of user ids (empty to unassign everyone)")
	}
	n, err := s.svc.SetAssignees(r.Context(), u, id, *in.UserIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	c, err := s.svc.Company(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateCompany(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if !u.IsAdmin() {
		return inbox.ErrForbidden
	}
	var in inbox.CompanySettings
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := s.svc.UpdateCompany(r.Context(), u, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
