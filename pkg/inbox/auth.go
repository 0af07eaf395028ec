package inbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is the one answer to a wrong email or a wrong password:
// it never says which.
var ErrBadCredentials = &Error{Kind: KindUnauthenticated, Code: "invalid_credentials", Message: "wrong email or password"}

// Login checks an email and password and opens a session. It returns the
// user, the session token for the cookie, and when the session expires.
func (s *Service) Login(ctx context.Context, email, password string) (User, string, time.Time, error) {
	u, hash, err := s.store.UserByEmail(ctx, email)
	if ErrorKind(err) == KindNotFound {
		// Spend the time a real check takes, so timing does not tell which
		// emails have accounts.
		bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, "", time.Time{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, "", time.Time{}, ErrBadCredentials
	}
	token := newSecret("")
	expires := s.now().Add(s.cfg.SessionTTL)
	err = s.write(ctx, func(tx Tx) error { return tx.CreateSession(ctx, hashSecret(token), u.ID, expires) })
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	return u, token, expires, nil
}

// Logout ends the session of token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.write(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, hashSecret(token)) })
}

// SessionUser returns the user of a live session.
func (s *Service) SessionUser(ctx context.Context, token string) (User, error) {
	u, err := s.store.SessionUser(ctx, hashSecret(token), s.now())
	return u, unauthenticatedIfMissing(err)
}

// TokenUser returns the admin an API token acts as.
func (s *Service) TokenUser(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) {
		return User{}, ErrUnauthenticated
	}
	u, err := s.store.TokenUser(ctx, hashSecret(token))
	return u, unauthenticatedIfMissing(err)
}

// apiTokenPrefix marks API tokens, so that secret scanners can spot them.
const apiTokenPrefix = "sit_"

// CreateToken issues an API token that acts as the calling admin. The token
// is returned once; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, caller User, name string) (string, error) {
	if err := requireAdmin(caller); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", Invalid("invalid_name", "give the token a name of 1 to 100 characters")
	}
	token := newSecret(apiTokenPrefix)
	err := s.write(ctx, func(tx Tx) error {
		return tx.CreateAPIToken(ctx, caller.CompanyID, caller.ID, name, hashSecret(token))
	})
	return token, err
}

// CreateTicket issues a single-use ticket that opens one websocket as the
// caller, for clients that cannot send the cookie.
func (s *Service) CreateTicket(ctx context.Context, caller User) (string, error) {
	ticket := newSecret("")
	err := s.store.CreateTicket(ctx, hashSecret(ticket), caller.ID, s.now().Add(s.cfg.TicketTTL))
	return ticket, err
}

// RedeemTicket uses up a ticket and returns its user.
func (s *Service) RedeemTicket(ctx context.Context, ticket string) (User, error) {
	u, err := s.store.RedeemTicket(ctx, hashSecret(ticket), s.now())
	return u, unauthenticatedIfMissing(err)
}

// HashPassword checks a new password against the policy and hashes it.
func (s *Service) HashPassword(password string) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", Invalid("invalid_password", "a password must be 8 to 72 bytes long")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.PasswordCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

var (
	dummyOnce sync.Once
	dummy     []byte
)

func (s *Service) dummyHash() []byte {
	dummyOnce.Do(func() { dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), s.cfg.PasswordCost) })
	return dummy
}

func unauthenticatedIfMissing(err error) error {
	if ErrorKind(err) == KindNotFound {
		return ErrUnauthenticated
	}
	return err
}

// newSecret returns prefix + 256 random bits, URL-safe.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the store keeps of a secret: a leaked table opens nothing.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
