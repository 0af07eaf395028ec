package inbox

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// apiTokenPrefix marks API tokens, so that secret scanners can spot them.
const apiTokenPrefix = "sit_"

// The lifetime of an API token, in days: DefaultTokenDays unless the admin
// asks for 1 to MaxTokenDays.
const (
	DefaultTokenDays = 365
	MaxTokenDays     = 3650
)

// tokenUseEvery is how stale an API token's last_used_at may be: a busy
// integration costs one write a minute, not one per request.
const tokenUseEvery = time.Minute

// CreateToken issues an API token that acts as the calling admin, valid
// for days (0: DefaultTokenDays). The secret is returned once; only its
// hash is kept.
func (s *Service) CreateToken(ctx context.Context, caller User, name string, days int) (APIToken, string, error) {
	if err := requireAdmin(caller); err != nil {
		return APIToken{}, "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return APIToken{}, "", Invalid("invalid_name", "give the token a name of 1 to 100 characters")
	}
	if days == 0 {
		days = DefaultTokenDays
	}
	if days < 1 || days > MaxTokenDays {
		return APIToken{}, "", Invalid("invalid_expiry", "expires_in_days must be from 1 to %d", MaxTokenDays)
	}
	expires := s.now().AddDate(0, 0, days)
	t := APIToken{CompanyID: caller.CompanyID, Name: name, ExpiresAt: &expires, User: caller}
	secret := newSecret(apiTokenPrefix)
	err := s.write(ctx, func(tx Tx) error { return tx.CreateAPIToken(ctx, &t, hashSecret(secret)) })
	if err != nil {
		return APIToken{}, "", err
	}
	return t, secret, nil
}

// TokenAuth authenticates an API token: live, not expired, its user active.
func (s *Service) TokenAuth(ctx context.Context, token string) (Auth, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) {
		return Auth{}, ErrUnauthenticated
	}
	now := s.now()
	t, err := s.store.APIToken(ctx, hashSecret(token), now)
	if err != nil {
		return Auth{}, unauthenticatedIfMissing(err)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenUseEvery {
		if err := s.store.TouchToken(ctx, t.ID, now); err != nil {
			s.log.Warn("record api token use", "token", t.ID, "err", err)
		}
	}
	return Auth{User: t.User, TokenID: t.ID}, nil
}

// TokenUser returns the user an API token acts as (TokenAuth, without the
// credential).
func (s *Service) TokenUser(ctx context.Context, token string) (User, error) {
	a, err := s.TokenAuth(ctx, token)
	return a.User, err
}

// Tokens lists the company's API tokens, expired ones too, never a secret.
func (s *Service) Tokens(ctx context.Context, caller User) ([]APIToken, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	return s.store.APITokens(ctx, caller.CompanyID)
}

// RevokeToken ends an API token of the caller's company: its next request
// is refused, and every socket it opened is closed, on every instance.
func (s *Service) RevokeToken(ctx context.Context, caller User, id int64) error {
	if err := requireAdmin(caller); err != nil {
		return err
	}
	var userID int64
	err := s.write(ctx, func(tx Tx) (err error) {
		userID, err = tx.DeleteAPIToken(ctx, caller.CompanyID, id)
		return err
	})
	if err != nil {
		return err
	}
	s.announce(AuthChange{Kind: AuthTokenEnded, UserID: userID, TokenID: id})
	return nil
}
