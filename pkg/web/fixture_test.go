package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// fixture is a Server on a real Service and a fresh SQLite store, with one
// company: its admin (and an API token of theirs), a recruiter Ana (and her
// session) assigned to the main number. Only what stands for another
// process is fake: the Plivo verifier, the dev phone and the websocket hub.
type fixture struct {
	t          *testing.T
	ctx        context.Context
	db         *store.DB
	svc        *inbox.Service
	srv        *Server
	hooks      *fakeWebhooks
	phone      *fakePhone
	hub        *fakeHub
	admin, ana inbox.User
	adminToken string // an API token acting as the admin
	anaSession string // Ana's session cookie
	main       inbox.Number
}

type options struct {
	publicURL      string
	allowedOrigins []string
	phone          bool // serve /api/dev/phone
	trusted        string
	clock          clock.Clock
	frameAncestors []string
}

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: storetest.SQLite(t),
		hooks: &fakeWebhooks{}, hub: &fakeHub{}}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	f.svc = inbox.New(f.db, pubsub.NewMemory(), nil, inbox.Config{PasswordCost: 4}, log)
	var err error
	if f.admin, err = f.svc.Bootstrap(f.ctx, "Acme", inbox.NewUser{Email: "admin@acme.test", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	// Quiet hours off: the handlers' tests must not depend on the time of day.
	if _, err := f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{QuietHours: inbox.Optional[*inbox.QuietHours]{Set: true}}); err != nil {
		t.Fatal(err)
	}
	if f.ana, err = f.svc.CreateUser(f.ctx, f.admin, inbox.NewUser{Email: "ana@acme.test", Name: "Ana", Role: inbox.RoleRecruiter, Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if f.main, err = f.svc.CreateNumber(f.ctx, f.admin, "+14155550100", "Main"); err != nil {
		t.Fatal(err)
	}
	if _, err = f.svc.SetAssignees(f.ctx, f.admin, f.main.ID, []int64{f.ana.ID}); err != nil {
		t.Fatal(err)
	}
	if _, f.adminToken, err = f.svc.CreateToken(f.ctx, f.admin, "tests", 0); err != nil {
		t.Fatal(err)
	}
	if _, f.anaSession, _, err = f.svc.Login(f.ctx, "ana@acme.test", "correct horse"); err != nil {
		t.Fatal(err)
	}
	opts := Options{Service: f.svc, Hub: f.hub, Webhooks: f.hooks, AllowedOrigins: o.allowedOrigins, Logger: log, Clock: o.clock,
		FrameAncestors: o.frameAncestors}
	if opts.TrustedProxies, err = ParseTrustedProxies(o.trusted); err != nil {
		t.Fatal(err)
	}
	if o.publicURL != "" {
		if opts.PublicURL, err = url.Parse(o.publicURL); err != nil {
			t.Fatal(err)
		}
	}
	if o.phone {
		f.phone = &fakePhone{}
		opts.Phone = f.phone
	}
	if f.srv, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return f
}

// req is a request to the fixture's server; its host is example.com.
type req struct {
	method, path, body string
	token              string // Authorization: Bearer
	session            string // the session cookie
	header             http.Header
	remote             string // RemoteAddr, when it matters
}

func (f *fixture) do(r req) *httptest.ResponseRecorder {
	f.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	for k, vs := range r.header {
		hr.Header[k] = vs
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.session != "" {
		hr.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.session})
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, hr)
	return w
}

// want fails the test unless the answer has the status and, for an error,
// the code; it decodes a success's body into v when v is not nil.
func want(t *testing.T, what string, w *httptest.ResponseRecorder, status int, code string, v any) {
	t.Helper()
	var e errorBody
	if w.Code >= 400 {
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Errorf("%s: the error body %q is not the JSON error: %v", what, w.Body, err)
		}
	}
	if w.Code != status || e.Error.Code != code {
		t.Errorf("%s: got %d %q (%s), want %d %q", what, w.Code, e.Error.Code, strings.TrimSpace(w.Body.String()), status, code)
		return
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Errorf("%s: decode %q: %v", what, w.Body, err)
		}
	}
}

// fakeWebhooks stands for the Plivo verifier: it answers what the test set.
type fakeWebhooks struct {
	inbound inbox.InboundSMS
	status  inbox.StatusUpdate
	err     error
}

func (h *fakeWebhooks) Inbound(*http.Request) (inbox.InboundSMS, error)  { return h.inbound, h.err }
func (h *fakeWebhooks) Status(*http.Request) (inbox.StatusUpdate, error) { return h.status, h.err }

// fakePhone stands for the simulator's dev phone.
type fakePhone struct {
	sent []string // "from to text"
	err  error
}

func (p *fakePhone) Texts() any { return p.sent }

func (p *fakePhone) Send(_ context.Context, from, to, text string) error {
	if p.err != nil {
		return p.err
	}
	p.sent = append(p.sent, from+" "+to+" "+text)
	return nil
}

// fakeHub stands for the websocket hub: it records whom it was handed.
type fakeHub struct {
	users []inbox.User
	auths []inbox.Auth
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := inbox.AuthFrom(r.Context())
	if !ok {
		http.Error(w, "no user", http.StatusInternalServerError)
		return
	}
	h.users = append(h.users, a.User)
	h.auths = append(h.auths, a)
	w.WriteHeader(http.StatusSwitchingProtocols)
}
