package inbox

import (
	"encoding/json"
	"time"
)

// Auth is an authenticated caller: the user, and the credential they came
// with. A socket keeps it, so that the end of that credential — a sign-out,
// a revoked token, a deactivated user — ends the socket too.
type Auth struct {
	User User
	// Session is the store's key of the session the caller came with (the
	// SHA-256 of its token, never the token), directly by cookie or through
	// a websocket ticket the session minted; empty otherwise.
	Session string
	// TokenID is the API token the caller came with, directly or through a
	// ticket it minted; 0 otherwise.
	TokenID int64
}

// SessionRef names Auth's session where the store's key must not go: in the
// messages between instances. It is empty without a session.
func (a Auth) SessionRef() string { return SessionRef(a.Session) }

// SessionRef is the reference of the session whose store key is key: a
// SHA-256 of the key, so that what travels between instances is neither the
// secret nor the key the store finds the session by.
func SessionRef(key string) string {
	if key == "" {
		return ""
	}
	return hashSecret("session:" + key)[:32]
}

// Account is a user as admins manage them: the User and whether they may
// sign in.
type Account struct {
	User
	Active bool `json:"active" db:"active"`
}

// StoredSession is a live session as the store keeps it.
type StoredSession struct {
	User      User
	CreatedAt time.Time // the absolute lifetime counts from here
	ExpiresAt time.Time // the idle deadline, moved on by requests
}

// APIToken is an API token as admins see it: never its secret.
type APIToken struct {
	ID         int64      `json:"id" db:"id"`
	CompanyID  int64      `json:"-" db:"company_id"`
	Name       string     `json:"name" db:"name"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at" db:"expires_at"` // nil: never (tokens of 0.1.0)
	LastUsedAt *time.Time `json:"last_used_at" db:"last_used_at"`
	User       User       `json:"user" db:"u"` // the admin it acts as
}

// ControlTopic carries what the instances' hubs tell each other that is no
// event of any topic: a credential ended or a user changed. Its messages are
// never stored and never sent to a client.
const ControlTopic = "control"

// EventAuthChanged is the type of the control messages of AuthChange.
const EventAuthChanged = "auth.changed"

// The kinds of AuthChange.
const (
	// AuthSessionEnded: the session Session (a SessionRef) ended.
	AuthSessionEnded = "session_ended"
	// AuthTokenEnded: the API token TokenID was revoked.
	AuthTokenEnded = "token_ended"
	// AuthUserEnded: every credential of the user ended (deactivated).
	AuthUserEnded = "user_ended"
	// AuthOtherSessionsEnded: every session of the user but Session ended
	// (a password change); API tokens stay.
	AuthOtherSessionsEnded = "other_sessions_ended"
	// AuthUserChanged: the user's role changed; their sockets reconnect, so
	// that they see what the new role sees.
	AuthUserChanged = "user_changed"
	// AuthUserUpdated: the user's name changed. It ends nothing and closes
	// no socket; instances drop what they cached of the user.
	AuthUserUpdated = "user_updated"
)

// AuthChange is a control message: which of a user's credentials ended, or
// that the user changed. Every hub closes the sockets it Affects.
type AuthChange struct {
	Kind    string `json:"kind"`
	UserID  int64  `json:"user_id"`
	Session string `json:"session,omitempty"` // a SessionRef
	TokenID int64  `json:"token_id,omitempty"`
}

// Affects reports whether a socket opened with a is concerned by c.
func (c AuthChange) Affects(a Auth) bool {
	if c.UserID != a.User.ID {
		return false
	}
	switch c.Kind {
	case AuthSessionEnded:
		return c.Session != "" && a.SessionRef() == c.Session
	case AuthTokenEnded:
		return c.TokenID != 0 && a.TokenID == c.TokenID
	case AuthOtherSessionsEnded:
		return a.Session != "" && a.SessionRef() != c.Session
	case AuthUserEnded, AuthUserChanged:
		return true
	}
	return false
}

// Ended reports whether c ends the credentials it affects (else the user
// only changed).
func (c AuthChange) Ended() bool { return c.Kind != AuthUserChanged && c.Kind != AuthUserUpdated }

// Event returns c as the control event that carries it on the bus.
func (c AuthChange) Event() (Event, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return Event{}, err
	}
	return Event{Topic: ControlTopic, Type: EventAuthChanged, Data: b}, nil
}

// ParseAuthChange reads a control event; ok is false for anything else.
func ParseAuthChange(e Event) (AuthChange, bool) {
	if e.Topic != ControlTopic || e.Type != EventAuthChanged {
		return AuthChange{}, false
	}
	var c AuthChange
	if err := json.Unmarshal(e.Data, &c); err != nil || c.UserID <= 0 || c.Kind == "" {
		return AuthChange{}, false
	}
	return c, true
}
