package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"
)

// A websocket ticket minted for a session is signed by the server rather
// than stored: "t1." + base64url(payload) + "." + base64url(HMAC-SHA256).
// The payload is the session's store key (32 bytes), the user id, the
// expiry (Unix milliseconds) and 16 random bytes that name the ticket.
// Redeeming it writes nothing to the store: the signature and expiry are
// checked in memory, single use is kept by a TicketLedger (Redis SET NX
// across instances, or memory in one process), and the session is read
// through the session cache. Tickets minted by API tokens are stored as
// before (they are rare).
const signedTicketPrefix = "t1."

// TicketLedger keeps signed tickets single-use.
type TicketLedger interface {
	// Use records that the ticket id is used and reports whether it was
	// the first use. It may forget id once ttl has passed. An error means
	// it could not tell.
	Use(ctx context.Context, id string, ttl time.Duration) (bool, error)
}

// TicketKeys gives the key that signs and checks tickets: the same on every
// instance of a deployment.
type TicketKeys interface {
	TicketKey(ctx context.Context) ([]byte, error)
}

// ticketSigner signs and checks tickets; it is set up from Config.
type ticketSigner struct {
	keys   TicketKeys
	ledger TicketLedger

	mu  sync.Mutex
	key []byte // once TicketKeys gave it
	// downUntil: the ledger or the keys failed; tickets are stored until
	// then, so that sockets still open while Redis is away.
	downUntil time.Time
}

// ledgerRetry is how long tickets are stored rather than signed after the
// ledger or the keys failed.
const ledgerRetry = 5 * time.Second

// signingKey returns the key to sign new tickets with, unless tickets are
// to be stored for now.
func (t *ticketSigner) signingKey(ctx context.Context) ([]byte, bool) {
	if t.keys == nil || t.ledger == nil {
		return nil, false
	}
	t.mu.Lock()
	key, down := t.key, time.Now().Before(t.downUntil)
	t.mu.Unlock()
	if down {
		return nil, false
	}
	if key != nil {
		return key, true
	}
	key, err := t.keys.TicketKey(ctx)
	if err != nil || len(key) < 16 {
		t.failed()
		return nil, false
	}
	t.mu.Lock()
	t.key = key
	t.mu.Unlock()
	return key, true
}

// checkingKey returns the key to check a signed ticket with, whether or
// not tickets are being stored for now.
func (t *ticketSigner) checkingKey(ctx context.Context) ([]byte, error) {
	t.mu.Lock()
	key := t.key
	t.mu.Unlock()
	if key != nil {
		return key, nil
	}
	if t.keys == nil {
		return nil, errBadTicket
	}
	key, err := t.keys.TicketKey(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.key = key
	t.mu.Unlock()
	return key, nil
}

func (t *ticketSigner) failed() {
	t.mu.Lock()
	t.downUntil = time.Now().Add(ledgerRetry)
	t.mu.Unlock()
}

// signedTicket is what a signed ticket says.
type signedTicket struct {
	session string // the session's store key, hex
	userID  int64
	expires time.Time
	id      string // hex of the random bytes
}

const ticketPayloadLen = 32 + 8 + 8 + 16

func (t *ticketSigner) sign(key []byte, tk signedTicket) (string, bool) {
	sess, err := hex.DecodeString(tk.session)
	if err != nil || len(sess) != 32 {
		return "", false
	}
	p := make([]byte, 0, ticketPayloadLen)
	p = append(p, sess...)
	p = binary.BigEndian.AppendUint64(p, uint64(tk.userID))
	p = binary.BigEndian.AppendUint64(p, uint64(tk.expires.UnixMilli()))
	nonce := make([]byte, 16)
	rand.Read(nonce)
	p = append(p, nonce...)
	return signedTicketPrefix + base64.RawURLEncoding.EncodeToString(p) + "." +
		base64.RawURLEncoding.EncodeToString(mac(key, p)), true
}

func mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)
}

var errBadTicket = errors.New("bad ticket")

// verify checks a signed ticket's signature and returns what it says.
func verifyTicket(key []byte, ticket string) (signedTicket, error) {
	body, ok := strings.CutPrefix(ticket, signedTicketPrefix)
	if !ok {
		return signedTicket{}, errBadTicket
	}
	p64, s64, ok := strings.Cut(body, ".")
	if !ok {
		return signedTicket{}, errBadTicket
	}
	p, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || len(p) != ticketPayloadLen || !hmac.Equal(sig, mac(key, p)) {
		return signedTicket{}, errBadTicket
	}
	return signedTicket{
		session: hex.EncodeToString(p[:32]),
		userID:  int64(binary.BigEndian.Uint64(p[32:40])),
		expires: time.UnixMilli(int64(binary.BigEndian.Uint64(p[40:48]))),
		id:      hex.EncodeToString(p[48:]),
	}, nil
}

// MemoryTickets is the TicketLedger of a single process.
type MemoryTickets struct {
	mu    sync.Mutex
	used  map[string]time.Time // id → until
	sweep time.Time            // when expired ids were last forgotten
}

// NewMemoryTickets returns an empty in-process ledger.
func NewMemoryTickets() *MemoryTickets { return &MemoryTickets{used: make(map[string]time.Time)} }

// Use records id; it never fails.
func (m *MemoryTickets) Use(_ context.Context, id string, ttl time.Duration) (bool, error) {
	now := time.Now()
	until := now.Add(ttl)
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.sweep) > time.Minute {
		for k, u := range m.used {
			if now.After(u) {
				delete(m.used, k)
			}
		}
		m.sweep = now
	}
	if _, ok := m.used[id]; ok {
		return false, nil
	}
	m.used[id] = until
	return true, nil
}

// LocalTicketKey is the TicketKeys of a single process: a random key made
// when the process starts. Tickets minted before a restart are refused
// after it (the client asks for a new one).
type LocalTicketKey []byte

// NewLocalTicketKey returns a fresh random key.
func NewLocalTicketKey() LocalTicketKey {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// TicketKey returns the key.
func (k LocalTicketKey) TicketKey(context.Context) ([]byte, error) { return k, nil }
