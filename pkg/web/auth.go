package web

import (
	"net"
	"net/http"
	"strings"
	"time"

	"smsinbox/pkg/inbox"
)

// sessionCookie carries the session token: HttpOnly, SameSite=Lax, Secure
// when the public URL is https.
const sessionCookie = "smsinbox_session"

// handler is an API handler for an authenticated user; what it returns is
// written by writeError.
type handler func(w http.ResponseWriter, r *http.Request, u inbox.User) error

// authed authenticates a request by its Bearer token or its session cookie.
// A cookie-authenticated write must come from an allowed origin (CSRF);
// a token is not sent by browsers on their own, so it needs no such check.
func (s *Server) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, u)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (inbox.User, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return inbox.User{}, inbox.ErrUnauthenticated
		}
		return s.svc.TokenUser(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return inbox.User{}, inbox.ErrUnauthenticated
	}
	u, err := s.svc.SessionUser(r.Context(), c.Value)
	if err != nil {
		return u, err
	}
	if err := s.csrf.Check(r); err != nil {
		return inbox.User{}, inbox.Errorf(inbox.KindForbidden, "bad_origin",
			"this request came from a page that may not act for you (origin %q)", r.Header.Get("Origin"))
	}
	return u, nil
}

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
	account, address := "account:"+strings.ToLower(strings.TrimSpace(in.Email)), "address:"+clientIP(r)
	if !s.logins.allowed(account) || !s.logins.allowed(address) {
		s.writeError(w, r, inbox.Errorf(inbox.KindRateLimited, "rate_limited", "too many failed sign-ins; wait a few minutes"))
		return
	}
	u, token, expires, err := s.svc.Login(r.Context(), in.Email, in.Password)
	if err != nil {
		if inbox.ErrorKind(err) == inbox.KindUnauthenticated {
			s.logins.fail(account)
			s.logins.fail(address)
		}
		s.writeError(w, r, err)
		return
	}
	s.logins.reset(account)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, map[string]inbox.User{"user": u})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ inbox.User) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.svc.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
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

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	token, err := s.svc.CreateToken(r.Context(), u, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": token})
	return nil
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	ticket, err := s.svc.CreateTicket(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"ticket": ticket})
	return nil
}

// websocket authenticates GET /ws by its single-use ticket or its session
// cookie and hands the request to the hub, which checks the Origin.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	var (
		u   inbox.User
		err error
	)
	if ticket := r.URL.Query().Get("ticket"); ticket != "" {
		u, err = s.svc.RedeemTicket(r.Context(), ticket)
	} else if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		u, err = s.svc.SessionUser(r.Context(), c.Value)
	} else {
		err = inbox.ErrUnauthenticated
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.hub.ServeHTTP(w, r.WithContext(inbox.WithUser(r.Context(), u)))
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
