package inbox

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Single sign-on hand-off from the host ATS: the ATS mints a short-lived
// JWT for one of its users, signed with the company's sso_secret (HS256)
// or a key of its JWKS (sso_jwks_url: RS256 or ES256), and sends the
// browser to GET /sso?token=…&return_to=/path. The token signs the user
// in once (its jti is remembered until it expires).

// SSOAudience is the aud every SSO token must name.
const SSOAudience = "smsinbox"

// SSOMaxLife is how far ahead of now an SSO token's exp may be.
const SSOMaxLife = 5 * time.Minute

// ssoLeeway tolerates clocks a little apart.
const ssoLeeway = 30 * time.Second

// SSOStore keeps what single sign-on needs.
type SSOStore interface {
	// CompanyBySSOIssuer returns the company whose sso_issuer is iss.
	CompanyBySSOIssuer(ctx context.Context, iss string) (Company, error)
	// UseSSOToken records a token id until expires; it reports false when
	// the company's token with that id was used already.
	UseSSOToken(ctx context.Context, companyID int64, jti string, expires time.Time) (bool, error)
	// PruneSSOTokens forgets the ids of tokens expired at now.
	PruneSSOTokens(ctx context.Context, now time.Time) error
	// UserByExternalID returns the company's user with the ATS's id.
	UserByExternalID(ctx context.Context, companyID int64, externalID string) (Account, error)
	// SetUserExternalID links a user to the ATS's id.
	SetUserExternalID(ctx context.Context, userID int64, externalID string) error
}

// ssoClaims are the claims of an SSO token.
type ssoClaims struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	jwt.RegisteredClaims
}

var errSSOToken = func(why string) error {
	return Errorf(KindUnauthenticated, "invalid_sso_token", "the sign-in token is not valid: %s", why)
}

// SSOResult is a sign-in by SSO: the session, as Login gives it, and where
// to send the browser.
type SSOResult struct {
	User     User
	Token    string
	Ends     time.Time
	ReturnTo string
}

// SafeReturnTo checks that returnTo is a path of this server ("" is "/"):
// no scheme, no host, not protocol-relative.
func SafeReturnTo(returnTo string) (string, error) {
	if returnTo == "" {
		return "/", nil
	}
	bad := Invalid("invalid_return_to", "return_to must be a path on this server, such as /inbox")
	if !strings.HasPrefix(returnTo, "/") || strings.HasPrefix(returnTo, "//") || strings.HasPrefix(returnTo, "/\\") ||
		strings.ContainsAny(returnTo, "\\\r\n\t") {
		return "", bad
	}
	u, err := url.Parse(returnTo)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "", bad
	}
	return returnTo, nil
}

// SSO signs in the user an ATS's token names.
func (s *Service) SSO(ctx context.Context, token, returnTo string) (SSOResult, error) {
	returnTo, err := SafeReturnTo(returnTo)
	if err != nil {
		return SSOResult{}, err
	}
	if token == "" {
		return SSOResult{}, errSSOToken("no token")
	}
	var unverified ssoClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &unverified); err != nil {
		return SSOResult{}, errSSOToken("it cannot be read")
	}
	if unverified.Issuer == "" {
		return SSOResult{}, errSSOToken("it names no issuer")
	}
	company, err := s.store.CompanyBySSOIssuer(ctx, unverified.Issuer)
	if ErrorKind(err) == KindNotFound {
		return SSOResult{}, errSSOToken("no company trusts its issuer")
	}
	if err != nil {
		return SSOResult{}, err
	}
	now := s.now()
	var claims ssoClaims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256", "RS256", "ES256"}),
		jwt.WithAudience(SSOAudience), jwt.WithIssuer(company.SSOIssuer), jwt.WithExpirationRequired(),
		jwt.WithLeeway(ssoLeeway), jwt.WithTimeFunc(func() time.Time { return now }))
	_, err = parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case "HS256":
			if company.SSOSecret == "" {
				return nil, errors.New("the company has no sso_secret")
			}
			return []byte(company.SSOSecret), nil
		default:
			if company.SSOJWKSURL == "" {
				return nil, errors.New("the company has no sso_jwks_url")
			}
			kid, _ := t.Header["kid"].(string)
			return s.jwks.key(ctx, s.cfg.SSOClient, company.SSOJWKSURL, kid, t.Method.Alg())
		}
	})
	if err != nil {
		return SSOResult{}, errSSOToken(err.Error())
	}
	if claims.ExpiresAt.Sub(now) > SSOMaxLife+ssoLeeway {
		return SSOResult{}, errSSOToken("it expires more than 5 minutes ahead")
	}
	if claims.Subject == "" || claims.ID == "" {
		return SSOResult{}, errSSOToken("it needs sub and jti")
	}
	fresh, err := s.store.UseSSOToken(ctx, company.ID, claims.ID, claims.ExpiresAt.Add(ssoLeeway))
	if err != nil {
		return SSOResult{}, err
	}
	if !fresh {
		return SSOResult{}, Errorf(KindUnauthenticated, "sso_token_used", "this sign-in token was used already")
	}
	u, err := s.ssoUser(ctx, company, claims)
	if err != nil {
		return SSOResult{}, err
	}
	session := newSecret("")
	end := now.Add(s.cfg.SessionTTL)
	err = s.write(ctx, func(tx Tx) error {
		return tx.CreateSession(ctx, hashSecret(session), u.ID, s.idleDeadline(now, now))
	})
	if err != nil {
		return SSOResult{}, err
	}
	return SSOResult{User: u, Token: session, Ends: end, ReturnTo: returnTo}, nil
}

// ssoUser finds the token's user: by the ATS's id, else by email in the
// company (and links the id), else creates a recruiter when the company
// provisions.
func (s *Service) ssoUser(ctx context.Context, company Company, claims ssoClaims) (User, error) {
	unknown := Errorf(KindForbidden, "sso_user_unknown", "no user of this company matches the sign-in token")
	a, err := s.store.UserByExternalID(ctx, company.ID, claims.Subject)
	if err == nil {
		if !a.Active {
			return User{}, Errorf(KindForbidden, "user_inactive", "this user is deactivated")
		}
		return a.User, nil
	}
	if ErrorKind(err) != KindNotFound {
		return User{}, err
	}
	email := strings.ToLower(strings.TrimSpace(claims.Email))
	if email != "" {
		a, _, err := s.store.UserByEmail(ctx, email)
		switch {
		case err == nil && a.CompanyID == company.ID:
			if !a.Active {
				return User{}, Errorf(KindForbidden, "user_inactive", "this user is deactivated")
			}
			err := s.write(ctx, func(tx Tx) error { return tx.SetUserExternalID(ctx, a.ID, claims.Subject) })
			return a.User, err
		case err == nil:
			return User{}, unknown // another company's user
		case ErrorKind(err) != KindNotFound:
			return User{}, err
		}
	}
	if !company.SSOProvision {
		return User{}, unknown
	}
	if email == "" {
		return User{}, errSSOToken("provisioning a user needs its email")
	}
	name := strings.TrimSpace(claims.Name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	// The user signs in through the ATS: their password is a secret nobody
	// knows, until an admin or they set one.
	hash, err := s.hash(newSecret(""))
	if err != nil {
		return User{}, err
	}
	u := User{CompanyID: company.ID, Email: email, Name: name, Role: RoleRecruiter}
	err = s.write(ctx, func(tx Tx) error {
		if err := tx.CreateUser(ctx, &u, hash); err != nil {
			return err
		}
		return tx.SetUserExternalID(ctx, u.ID, claims.Subject)
	})
	return u, err
}

// jwksCache keeps each JWKS URL's keys, fetched again when a token names a
// key it does not have (the ATS rotated its keys), at most once per
// jwksRefetch.
type jwksCache struct {
	mu   sync.Mutex
	sets map[string]*jwksSet
}

type jwksSet struct {
	keys    map[string]crypto.PublicKey // by kid
	fetched time.Time
}

const (
	jwksRefetch = 5 * time.Second
	jwksMaxAge  = 10 * time.Minute
)

func (c *jwksCache) key(ctx context.Context, client *http.Client, jwksURL, kid, alg string) (crypto.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets == nil {
		c.sets = map[string]*jwksSet{}
	}
	set := c.sets[jwksURL]
	if set != nil {
		if k, ok := set.pick(kid, alg); ok && time.Since(set.fetched) < jwksMaxAge {
			return k, nil
		}
	}
	if set == nil || time.Since(set.fetched) >= jwksRefetch {
		fresh, err := fetchJWKS(ctx, client, jwksURL)
		if err != nil {
			if set == nil {
				return nil, err
			}
		} else {
			set = fresh
			c.sets[jwksURL] = set
		}
	}
	if k, ok := set.pick(kid, alg); ok {
		return k, nil
	}
	return nil, fmt.Errorf("the JWKS has no %s key %q", alg, kid)
}

func (s *jwksSet) pick(kid, alg string) (crypto.PublicKey, bool) {
	if kid != "" {
		k, ok := s.keys[kid]
		return k, ok && keyFits(k, alg)
	}
	if len(s.keys) == 1 { // a set of one key may leave kid out
		for _, k := range s.keys {
			return k, keyFits(k, alg)
		}
	}
	return nil, false
}

func keyFits(k crypto.PublicKey, alg string) bool {
	switch k.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	}
	return false
}

func fetchJWKS(ctx context.Context, client *http.Client, jwksURL string) (*jwksSet, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("sso_jwks_url: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch the JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch the JWKS: %s", resp.Status)
	}
	var doc struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			N   string `json:"n"`
			E   string `json:"e"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("read the JWKS: %w", err)
	}
	set := &jwksSet{keys: map[string]crypto.PublicKey{}, fetched: time.Now()}
	b64 := base64.RawURLEncoding.DecodeString
	for _, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Kty {
		case "RSA":
			n, err1 := b64(k.N)
			e, err2 := b64(k.E)
			if err1 != nil || err2 != nil || len(e) > 4 {
				continue
			}
			set.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		case "EC":
			if k.Crv != "P-256" {
				continue
			}
			x, err1 := b64(k.X)
			y, err2 := b64(k.Y)
			if err1 != nil || err2 != nil {
				continue
			}
			pk := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
			if !pk.Curve.IsOnCurve(pk.X, pk.Y) { //nolint:staticcheck // validating a JWK's point
				continue
			}
			set.keys[k.Kid] = pk
		}
	}
	return set, nil
}
