package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// sessionCookie carries the session token: HttpOnly, SameSite=Lax, Secure
// when the public URL is https.
const sessionCookie = "smsinbox_session"

// handler is an API handler for an authenticated user; what it returns is
// written by writeError. The request's context carries the caller's
// credential (inbox.AuthFrom) for the few handlers that need it.
type handler func(w http.ResponseWriter, r *http.Request, u inbox.User) error

// authed authenticates a request by its Bearer token or its session cookie.
// A cookie-authenticated write must come from an allowed origin (CSRF);
// a token is not sent by browsers on their own, so it needs no such check.
func (s *Server) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err == nil {
			err = h(w, r.WithContext(inbox.WithAuth(r.Context(), a)), a.User)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (inbox.Auth, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return inbox.Auth{}, inbox.ErrUnauthenticated
		}
		return s.svc.TokenAuth(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return inbox.Auth{}, inbox.ErrUnauthenticated
	}
	a, err := s.svc.Session(r.Context(), c.Value)
	if err != nil {
		return a, err
	}
	if err := s.checkOrigin(r); err != nil {
		return inbox.Auth{}, err
	}
	return a, nil
}

// checkOrigin refuses a write that a page of another site made the browser
// send (CSRF).
func (s *Server) checkOrigin(r *http.Request) error {
	if err := s.csrf.Check(r); err != nil {
		return inbox.Errorf(inbox.KindForbidden, "bad_origin",
			"this request came from a page that may not act for you (origin %q)", r.Header.Get("Origin"))
	}
	return nil
}

// login signs in. Each attempt is counted against the sign-in limits before
// the password is checked, and given back when it was right: past a limit
// the answer is 429, right password or not.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.csrf.Check(r); err != nil {
		// A cross-site form must not sign the browser in (login CSRF).
		s.writeError(w, r, inbox.Errorf(inbox.KindForbidden, "bad_origin", "sign in from the app itself"))
		return
	}
	release, err := s.reserveAttempt(w, r, in.Email)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, token, expires, err := s.svc.Login(r.Context(), in.Email, in.Password)
	if inbox.ErrorKind(err) != inbox.KindUnauthenticated {
		release() // signed in, or the server failed: no failure of the client's
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setSessionCookie(w, token, expires)
	writeJSON(w, http.StatusOK, map[string]inbox.User{"user": u})
}

// setSessionCookie sets the session cookie: SameSite=Lax, or None when the
// UI may be framed by another site (INBOX_FRAME_ANCESTORS) over https, so
// that the framed inbox is signed in.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: s.secure, SameSite: s.sameSite(),
	})
}

func (s *Server) sameSite() http.SameSite {
	if s.framed && s.secure {
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}

// logout ends the session of the cookie, and every socket it opened.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ inbox.User) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.svc.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: s.sameSite()})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	numbers, err := s.svc.UserNumbers(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		inbox.User
		Numbers []inbox.Number `json:"numbers"`
	}{u, numbers})
	return nil
}

// changePassword changes the caller's password: POST /api/me/password
// {"current","new"}. A wrong current password counts as a failed sign-in,
// so a stolen session cannot guess its way to the password either.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	release, err := s.reserveAttempt(w, r, u.Email)
	if err != nil {
		return err
	}
	a, _ := inbox.AuthFrom(r.Context())
	err = s.svc.ChangePassword(r.Context(), a, in.Current, in.New)
	if !errors.Is(err, inbox.ErrWrongPassword) {
		release()
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, _ inbox.User) error {
	a, _ := inbox.AuthFrom(r.Context())
	ticket, err := s.svc.CreateTicket(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"ticket": ticket})
	return nil
}

// websocket authenticates GET /ws by its single-use ticket or its session
// cookie and hands the request to the hub, which checks the Origin. The
// hub gets the credential with the user: when it ends, so does the socket.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	var (
		a   inbox.Auth
		err error
	)
	if ticket := r.URL.Query().Get("ticket"); ticket != "" {
		a, err = s.svc.RedeemTicket(r.Context(), ticket)
	} else if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		a, err = s.svc.Session(r.Context(), c.Value)
	} else {
		err = inbox.ErrUnauthenticated
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.hub.ServeHTTP(w, r.WithContext(inbox.WithAuth(r.Context(), a)))
}
