package main

// End-to-end tests of the SSO hand-off: GET /sso with a JWT the ATS signed.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"smsinbox/pkg/inbox"
)

const ssoSecret = "a-shared-secret-of-at-least-32-chars!"

// ssoClaims are the claims an ATS puts in its token; zero fields are left
// out.
func ssoToken(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func baseClaims(sub, email string) jwt.MapClaims {
	return jwt.MapClaims{"iss": "https://ats.example.com", "aud": "smsinbox", "sub": sub, "email": email,
		"name": "Sam Recruiter", "exp": time.Now().Add(2 * time.Minute).Unix(), "iat": time.Now().Unix(),
		"jti": newUUID()}
}

// ssoVisit sends a fresh browser to /sso and returns the status, the
// error code (if any), the Location, and the browser.
func ssoVisit(t *testing.T, s *testServer, token, returnTo string) (int, string, string, *client) {
	t.Helper()
	c := s.client(t)
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q := url.Values{"token": {token}}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	code, raw, h := c.rawHeader("GET", "/sso?"+q.Encode(), nil, nil)
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(raw, &e)
	return code, e.Error.Code, h.Get("Location"), c
}

func TestSSOHandOff(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		admin := s.bootstrap(t, "Acme", "admin@acme.test")
		var co inbox.Company
		admin.call("PUT", "/api/company", map[string]any{"sso_issuer": "https://ats.example.com", "sso_secret": ssoSecret}, 200, &co)
		if !co.SSOSecretSet || co.SSOSecret != "" || co.SSOIssuer != "https://ats.example.com" {
			t.Fatalf("company %+v; want the issuer, the secret set and never shown", co)
		}
		admin.call("PUT", "/api/company", map[string]any{"sso_secret": "short"}, 422, nil)
		_, anaID := s.createUser(t, admin, "ana@acme.test", "recruiter")
		key := []byte(ssoSecret)

		// A valid token signs Ana in (found by email, then linked to her
		// ATS id) and sends her where the ATS asked.
		code, _, loc, ana := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", baseClaims("ats-user-7", "ana@acme.test")), "/?embed=1")
		if code != http.StatusSeeOther || loc != "/?embed=1" {
			t.Fatalf("valid token: %d to %q; want 303 to /?embed=1", code, loc)
		}
		var me struct{ User inbox.User }
		ana.call("GET", "/api/me", nil, 200, &me.User)
		if me.User.ID != anaID {
			t.Fatalf("signed in as %+v; want Ana (%d)", me.User, anaID)
		}
		// Linked: the next token finds her by sub, whatever its email says.
		claims := baseClaims("ats-user-7", "")
		if code, _, _, c := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", claims), ""); code != 303 {
			t.Fatalf("linked user: %d; want 303", code)
		} else {
			c.call("GET", "/api/me", nil, 200, &me.User)
			if me.User.ID != anaID {
				t.Errorf("by sub: %+v; want Ana", me.User)
			}
		}
		// The same token again: its jti is spent.
		replay := ssoToken(t, jwt.SigningMethodHS256, key, "", claims)
		if code, ec, _, _ := ssoVisit(t, s, replay, ""); code != 401 || ec != "sso_token_used" {
			t.Errorf("replayed jti: %d %s; want 401 sso_token_used", code, ec)
		}

		refused := []struct {
			name   string
			change func(jwt.MapClaims)
			key    []byte
			code   int
			ec     string
		}{
			{"expired", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-10 * time.Minute).Unix() }, key, 401, "invalid_sso_token"},
			{"exp too far ahead", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(time.Hour).Unix() }, key, 401, "invalid_sso_token"},
			{"no exp", func(c jwt.MapClaims) { delete(c, "exp") }, key, 401, "invalid_sso_token"},
			{"wrong audience", func(c jwt.MapClaims) { c["aud"] = "someone-else" }, key, 401, "invalid_sso_token"},
			{"wrong issuer", func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" }, key, 401, "invalid_sso_token"},
			{"no jti", func(c jwt.MapClaims) { delete(c, "jti") }, key, 401, "invalid_sso_token"},
			{"wrong secret", func(jwt.MapClaims) {}, []byte("another-secret-another-secret-xx"), 401, "invalid_sso_token"},
			{"unknown user", func(c jwt.MapClaims) { c["sub"], c["email"] = "ats-user-9", "zoe@acme.test" }, key, 403, "sso_user_unknown"},
			{"another company's user", func(c jwt.MapClaims) { c["sub"], c["email"] = "ats-user-10", "admin@other.test" }, key, 403, "sso_user_unknown"},
		}
		s.bootstrap(t, "Other", "admin@other.test")
		for _, tc := range refused {
			c := baseClaims("ats-user-7", "ana@acme.test")
			tc.change(c)
			if code, ec, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, tc.key, "", c), ""); code != tc.code || ec != tc.ec {
				t.Errorf("%s: %d %s; want %d %s", tc.name, code, ec, tc.code, tc.ec)
			}
		}
		// A token signed with "none" is never accepted.
		none := ssoToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", baseClaims("ats-user-7", "ana@acme.test"))
		if code, _, _, _ := ssoVisit(t, s, none, ""); code != 401 {
			t.Errorf("alg none: %d; want 401", code)
		}
		// return_to must be a path of this server; the token stays unspent.
		good := baseClaims("ats-user-7", "ana@acme.test")
		for _, rt := range []string{"https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com", "javascript:alert(1)"} {
			if code, ec, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", good), rt); code != 422 || ec != "invalid_return_to" {
				t.Errorf("return_to %q: %d %s; want 422 invalid_return_to", rt, code, ec)
			}
		}
		if code, _, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", good), "/candidates"); code != 303 {
			t.Errorf("the token refused for a foreign return_to works after: %d", code)
		}

		// With provisioning, an unknown user is created as a recruiter, once.
		admin.call("PUT", "/api/company", map[string]any{"sso_provision": true}, 200, nil)
		newbie := baseClaims("ats-user-9", "Zoe@Acme.test")
		code, _, _, zoe := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", newbie), "")
		if code != 303 {
			t.Fatalf("provisioning: %d; want 303", code)
		}
		zoe.call("GET", "/api/me", nil, 200, &me.User)
		if me.User.Email != "zoe@acme.test" || me.User.Role != inbox.RoleRecruiter || me.User.Name != "Sam Recruiter" {
			t.Errorf("provisioned %+v; want zoe@acme.test, a recruiter, named from the token", me.User)
		}
		zoeID := me.User.ID
		code, _, _, zoe2 := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", baseClaims("ats-user-9", "zoe@acme.test")), "")
		zoe2.call("GET", "/api/me", nil, 200, &me.User)
		if code != 303 || me.User.ID != zoeID {
			t.Errorf("second sign-in: %d as %d; want the same user %d", code, me.User.ID, zoeID)
		}
		// Deactivated users are refused.
		admin.call("PATCH", "/api/users/"+itoa(zoeID), map[string]any{"active": false}, 200, nil)
		if code, ec, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, key, "", baseClaims("ats-user-9", "zoe@acme.test")), ""); code != 403 || ec != "user_inactive" {
			t.Errorf("deactivated: %d %s; want 403 user_inactive", code, ec)
		}
	})
}

// jwksServer serves a JWKS the test can rotate.
type jwksServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys []map[string]string
}

func (j *jwksServer) set(keys ...map[string]string) {
	j.mu.Lock()
	j.keys = keys
	j.mu.Unlock()
}

func rsaJWK(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]string {
	return map[string]string{"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(k.X.FillBytes(make([]byte, 32))),
		"y": base64.RawURLEncoding.EncodeToString(k.Y.FillBytes(make([]byte, 32)))}
}

// A company that trusts a JWKS takes RS256 and ES256 tokens by kid, and
// follows the ATS's key rotation: a token of the new key works once the
// JWKS serves it, the old key's no longer does.
func TestSSOWithRotatingJWKS(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		j := &jwksServer{}
		j.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			j.mu.Lock()
			defer j.mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"keys": j.keys})
		}))
		defer j.srv.Close()
		old, _ := rsa.GenerateKey(rand.Reader, 2048)
		next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		j.set(rsaJWK("k1", &old.PublicKey))

		s := startServer(t, env)
		admin := s.bootstrap(t, "Acme", "admin@acme.test")
		admin.call("PUT", "/api/company", map[string]any{"sso_issuer": "https://ats.example.com", "sso_jwks_url": j.srv.URL + "/jwks.json"}, 200, nil)
		s.createUser(t, admin, "ana@acme.test", "recruiter")

		if code, ec, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodRS256, old, "k1", baseClaims("u1", "ana@acme.test")), ""); code != 303 {
			t.Fatalf("RS256 with k1: %d %s; want 303", code, ec)
		}
		// An HS256 token is refused: the company has no secret.
		if code, _, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodHS256, []byte(ssoSecret), "", baseClaims("u1", "ana@acme.test")), ""); code != 401 {
			t.Errorf("HS256 without a secret: %d; want 401", code)
		}
		// A key the JWKS does not have yet.
		early := ssoToken(t, jwt.SigningMethodES256, next, "k2", baseClaims("u1", "ana@acme.test"))
		if code, _, _, _ := ssoVisit(t, s, early, ""); code != 401 {
			t.Errorf("k2 before the rotation: %d; want 401", code)
		}
		// The ATS rotates: k2 only.
		j.set(ecJWK("k2", &next.PublicKey))
		eventually(t, 15*time.Second, "a k2 token signs in after the rotation", func() bool {
			code, _, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodES256, next, "k2", baseClaims("u1", "ana@acme.test")), "")
			if code != 303 && code != 401 {
				t.Fatalf("k2: %d", code)
			}
			return code == 303
		})
		if code, _, _, _ := ssoVisit(t, s, ssoToken(t, jwt.SigningMethodRS256, old, "k1", baseClaims("u1", "ana@acme.test")), ""); code != 401 {
			t.Errorf("k1 after the rotation: %d; want 401", code)
		}
		// A token claiming k2 but signed with the old RSA key.
		forged := ssoToken(t, jwt.SigningMethodRS256, old, "k2", baseClaims("u1", "ana@acme.test"))
		if code, _, _, _ := ssoVisit(t, s, forged, ""); code != 401 {
			t.Errorf("RS256 under an EC kid: %d; want 401", code)
		}
	})
}
