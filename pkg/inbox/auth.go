package inbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is the one answer to a wrong email, a wrong password or
// a deactivated user: it never says which.
var ErrBadCredentials = &Error{Kind: KindUnauthenticated, Code: "invalid_credentials", Message: "wrong email or password"}

// Login checks an email and password and opens a session. It returns the
// user, the session token for the cookie, and when the session ends at the
// latest (SessionTTL from now; it ends sooner after SessionIdle without a
// request).
func (s *Service) Login(ctx context.Context, email, password string) (User, string, time.Time, error) {
	a, hash, err := s.store.UserByEmail(ctx, email)
	if ErrorKind(err) == KindNotFound {
		// Spend the time a real check takes, so timing does not tell which
		// emails have accounts.
		bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, "", time.Time{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	// A deactivated user's password is checked all the same: the answer and
	// its timing are those of a wrong password.
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !a.Active {
		return User{}, "", time.Time{}, ErrBadCredentials
	}
	token := newSecret("")
	now := s.now()
	end := now.Add(s.cfg.SessionTTL)
	err = s.write(ctx, func(tx Tx) error { return tx.CreateSession(ctx, hashSecret(token), a.ID, s.idleDeadline(now, now)) })
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	return a.User, token, end, nil
}

// idleDeadline is when a session created at created and used at now ends
// if no request comes: SessionIdle later, but never past SessionTTL after
// it began.
func (s *Service) idleDeadline(created, now time.Time) time.Time {
	idle, end := now.Add(s.cfg.SessionIdle), created.Add(s.cfg.SessionTTL)
	if idle.After(end) {
		return end
	}
	return idle
}

// Logout ends the session of token, and with it every websocket it opened,
// on every instance; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	key := hashSecret(token)
	var userID int64
	if sess, err := s.store.Session(ctx, key, s.now()); err == nil {
		userID = sess.User.ID
	}
	if err := s.write(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, key) }); err != nil {
		return err
	}
	if userID != 0 {
		s.announce(AuthChange{Kind: AuthSessionEnded, UserID: userID, Session: SessionRef(key)})
	} else {
		// Whose it was is unknown: nothing of it may stay cached.
		s.sessions.dropAll()
	}
	return nil
}

// Session authenticates a session token and renews its idle deadline. The
// renewal is written at most once per renewEvery of a session, so a burst
// of requests costs one write, not one each.
func (s *Service) Session(ctx context.Context, token string) (Auth, error) {
	key := hashSecret(token)
	now := s.now()
	sess, err := s.session(ctx, key, now)
	if err != nil {
		return Auth{}, err
	}
	// Renew when the deadline lags a renewal step behind; shorten it when
	// it lies beyond the idle window (a session from before idle timeouts,
	// or a shorter INBOX_SESSION_IDLE since).
	if next := s.idleDeadline(sess.CreatedAt, now); next.Sub(sess.ExpiresAt) >= s.renewEvery() || next.Before(sess.ExpiresAt) {
		if err := s.store.TouchSession(ctx, key, next); err != nil {
			// The request is authenticated all the same; the next one renews.
			s.log.Warn("renew session", "user", sess.User.ID, "err", err)
		} else {
			s.sessions.setExpiry(key, next)
		}
	}
	return Auth{User: sess.User, Session: key}, nil
}

// session returns the live session of key, from the cache when it holds
// it, else from the store (and caches it).
func (s *Service) session(ctx context.Context, key string, now time.Time) (StoredSession, error) {
	if sess, ok := s.sessions.get(key, now); ok {
		return sess, nil
	}
	gen, fetched := s.sessions.generation(), time.Now()
	sess, err := s.store.Session(ctx, key, now)
	if err != nil {
		return StoredSession{}, unauthenticatedIfMissing(err)
	}
	s.sessions.put(key, sess, gen, fetched)
	return sess, nil
}

// renewEvery is how far a session's idle deadline may lag behind the last
// request: a twentieth of SessionIdle, at most a minute.
func (s *Service) renewEvery() time.Duration {
	return min(s.cfg.SessionIdle/20, time.Minute)
}

// SessionUser returns the user of a live session (Session, without the
// credential).
func (s *Service) SessionUser(ctx context.Context, token string) (User, error) {
	a, err := s.Session(ctx, token)
	return a.User, err
}

// CreateTicket issues a single-use ticket that opens one websocket as the
// caller, for clients that cannot send the cookie. The ticket remembers the
// caller's credential: when it ends, so does the socket. A session's ticket
// is signed (nothing is written); an API token's is stored, and so is a
// session's while the ticket ledger is unreachable.
func (s *Service) CreateTicket(ctx context.Context, caller Auth) (string, error) {
	expires := s.now().Add(s.cfg.TicketTTL)
	if caller.Session != "" {
		if key, ok := s.tickets.signingKey(ctx); ok {
			if t, ok := s.tickets.sign(key, signedTicket{session: caller.Session, userID: caller.User.ID, expires: expires}); ok {
				return t, nil
			}
		}
	}
	ticket := newSecret("")
	err := s.store.CreateTicket(ctx, hashSecret(ticket), caller, expires)
	return ticket, err
}

// RedeemTicket uses up a ticket and returns who it is for.
func (s *Service) RedeemTicket(ctx context.Context, ticket string) (Auth, error) {
	if strings.HasPrefix(ticket, signedTicketPrefix) {
		return s.redeemSigned(ctx, ticket)
	}
	a, err := s.store.RedeemTicket(ctx, hashSecret(ticket), s.now())
	return a, unauthenticatedIfMissing(err)
}

// redeemSigned checks a signed ticket, uses it up in the ledger, and reads
// its session (through the cache): its user must still be active and the
// session live.
func (s *Service) redeemSigned(ctx context.Context, ticket string) (Auth, error) {
	if s.tickets.ledger == nil {
		return Auth{}, ErrUnauthenticated // this process signs no tickets
	}
	key, err := s.tickets.checkingKey(ctx)
	if errors.Is(err, errBadTicket) {
		return Auth{}, ErrUnauthenticated
	}
	if err != nil {
		s.tickets.failed()
		return Auth{}, Unavailable("checking websocket tickets", err)
	}
	t, err := verifyTicket(key, ticket)
	now := s.now()
	if err != nil || !now.Before(t.expires) {
		return Auth{}, ErrUnauthenticated
	}
	first, err := s.tickets.ledger.Use(ctx, t.id, t.expires.Sub(now)+time.Minute)
	if err != nil {
		s.tickets.failed()
		return Auth{}, Unavailable("checking websocket tickets", err)
	}
	if !first {
		return Auth{}, ErrUnauthenticated
	}
	sess, err := s.session(ctx, t.session, now)
	if err != nil {
		return Auth{}, err
	}
	if sess.User.ID != t.userID {
		return Auth{}, ErrUnauthenticated
	}
	return Auth{User: sess.User, Session: t.session}, nil
}

// LiveAuths reports, for each of auths, whether it still authenticates: the
// hub's periodic check of its sockets, should a control message have been
// lost with the bus.
func (s *Service) LiveAuths(ctx context.Context, auths []Auth) ([]bool, error) {
	return s.store.LiveAuths(ctx, auths, s.now())
}

// announce tells every instance's hub about c. It is a doorbell like the
// events: when the bus loses it, the hubs' periodic check of their sockets
// ends what it should have ended.
func (s *Service) announce(c AuthChange) {
	// This instance's cache first, at once: the bus brings the change to
	// the others (and back here, which drops nothing more).
	s.sessions.dropUser(c.UserID)
	e, err := c.Event()
	if err != nil {
		s.log.Error("encode auth change", "err", err)
		return
	}
	s.publish([]Event{e})
}

// HashPassword checks a new user's password against the policy and hashes it.
func (s *Service) HashPassword(password string) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", Invalid("invalid_password", "a password must be 8 to 72 bytes long")
	}
	return s.hash(password)
}

func (s *Service) hash(password string) (string, error) {
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
