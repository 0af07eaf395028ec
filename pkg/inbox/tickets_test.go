package inbox_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// countingStore counts the store reads and writes of the connect path.
type countingStore struct {
	inbox.Store
	sessions, ticketWrites, ticketRedeems atomic.Int64
}

func (c *countingStore) Session(ctx context.Context, key string, now time.Time) (inbox.StoredSession, error) {
	c.sessions.Add(1)
	return c.Store.Session(ctx, key, now)
}

func (c *countingStore) CreateTicket(ctx context.Context, hash string, a inbox.Auth, expires time.Time) error {
	c.ticketWrites.Add(1)
	return c.Store.CreateTicket(ctx, hash, a, expires)
}

func (c *countingStore) RedeemTicket(ctx context.Context, hash string, now time.Time) (inbox.Auth, error) {
	c.ticketRedeems.Add(1)
	return c.Store.RedeemTicket(ctx, hash, now)
}

// instance is another Service on the fixture's store, as a second process
// of the deployment would be, with its reads of the connect path counted.
func (f *fixture) instance(cfg inbox.Config) (*inbox.Service, *countingStore) {
	cs := &countingStore{Store: f.db}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = 4
	}
	return inbox.New(cs, f.bus, nil, cfg, slog.New(slog.NewTextHandler(f.t.Output(), nil))), cs
}

func (f *fixture) signIn(svc *inbox.Service) (string, inbox.Auth) {
	f.t.Helper()
	_, token, _, err := f.svc.Login(f.ctx, "ana@acme.test", "correct horse")
	if err != nil {
		f.t.Fatal(err)
	}
	a, err := svc.Session(f.ctx, token)
	if err != nil {
		f.t.Fatal(err)
	}
	return token, a
}

// A session's ticket is signed, not stored: minting and redeeming it write
// nothing. It opens one socket, once, within its life, and only as signed.
func TestSignedTickets(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	f := newFixture(t, nil, inbox.Config{Clock: clk})
	svc, cs := f.instance(inbox.Config{Clock: clk, TicketTTL: 30 * time.Second})
	_, sess := f.signIn(svc)

	ticket, err := svc.CreateTicket(f.ctx, sess)
	if err != nil || !strings.HasPrefix(ticket, "t1.") {
		t.Fatalf("CreateTicket = %q, %v; want a signed ticket", ticket, err)
	}
	clk.Advance(29 * time.Second)
	a, err := svc.RedeemTicket(f.ctx, ticket)
	if err != nil || a.User.ID != f.ana.ID || a.User.Email != "ana@acme.test" || a.Session != sess.Session {
		t.Errorf("RedeemTicket = %+v, %v; want Ana with her session", a, err)
	}
	if w, r := cs.ticketWrites.Load(), cs.ticketRedeems.Load(); w != 0 || r != 0 {
		t.Errorf("store ticket writes, redeems: got %d, %d; want none", w, r)
	}
	_, err = svc.RedeemTicket(f.ctx, ticket)
	wantError(t, "a signed ticket used twice", err, inbox.KindUnauthenticated, "unauthenticated")

	fresh := func() string {
		tk, err := svc.CreateTicket(f.ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	tk := fresh()
	payload, sig, _ := strings.Cut(strings.TrimPrefix(tk, "t1."), ".")
	flip := func(s string) string {
		b := []byte(s)
		b[len(b)/2] ^= 1
		return string(b)
	}
	for name, bad := range map[string]string{
		"a changed payload":   "t1." + flip(payload) + "." + sig,
		"a changed signature": "t1." + payload + "." + flip(sig),
		"no signature":        "t1." + payload,
		"another key's": func() string {
			other, _ := f.instance(inbox.Config{Clock: clk})
			tk, _ := other.CreateTicket(f.ctx, sess)
			return tk
		}(),
	} {
		_, err := svc.RedeemTicket(f.ctx, bad)
		wantError(t, name, err, inbox.KindUnauthenticated, "unauthenticated")
	}
	if _, err := svc.RedeemTicket(f.ctx, tk); err != nil {
		t.Errorf("the untouched ticket after the forgeries: %v; want it to work", err)
	}
	stale := fresh()
	clk.Advance(30 * time.Second)
	_, err = svc.RedeemTicket(f.ctx, stale)
	wantError(t, "a signed ticket at the end of its life", err, inbox.KindUnauthenticated, "unauthenticated")
}

// Two instances that share the key and the ledger (Redis, in a
// deployment): a ticket minted on one opens a socket on the other, once.
func TestSignedTicketsAcrossInstances(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	key, ledger := inbox.NewLocalTicketKey(), inbox.NewMemoryTickets()
	a, _ := f.instance(inbox.Config{TicketKeys: key, TicketLedger: ledger})
	b, _ := f.instance(inbox.Config{TicketKeys: key, TicketLedger: ledger})
	_, sess := f.signIn(a)
	ticket, err := a.CreateTicket(f.ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.RedeemTicket(f.ctx, ticket); err != nil || got.User.ID != f.ana.ID {
		t.Errorf("redeem on the other instance = %+v, %v; want Ana", got, err)
	}
	_, err = a.RedeemTicket(f.ctx, ticket)
	wantError(t, "the same ticket back on the first instance", err, inbox.KindUnauthenticated, "unauthenticated")
}

// failingLedger is a ledger that cannot be reached.
type failingLedger struct{ down atomic.Bool }

func (l *failingLedger) Use(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if l.down.Load() {
		return false, errors.New("ledger unreachable")
	}
	return true, nil
}

// A signed ticket the ledger cannot vouch for is 503, never accepted; the
// next tickets are stored instead, so sockets still open while the ledger
// is away.
func TestTicketLedgerDown(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	ledger := &failingLedger{}
	svc, cs := f.instance(inbox.Config{TicketKeys: inbox.NewLocalTicketKey(), TicketLedger: ledger})
	_, sess := f.signIn(svc)
	signed, err := svc.CreateTicket(f.ctx, sess)
	if err != nil || !strings.HasPrefix(signed, "t1.") {
		t.Fatalf("CreateTicket = %q, %v; want a signed ticket", signed, err)
	}
	ledger.down.Store(true)
	_, err = svc.RedeemTicket(f.ctx, signed)
	wantError(t, "a signed ticket with the ledger down", err, inbox.KindUnavailable, "unavailable")
	stored, err := svc.CreateTicket(f.ctx, sess)
	if err != nil || strings.HasPrefix(stored, "t1.") || cs.ticketWrites.Load() != 1 {
		t.Fatalf("CreateTicket with the ledger down = %q, %v (%d stored); want a stored ticket", stored, err, cs.ticketWrites.Load())
	}
	if a, err := svc.RedeemTicket(f.ctx, stored); err != nil || a.Session != sess.Session {
		t.Errorf("redeem the stored ticket = %+v, %v; want Ana's session", a, err)
	}
}

// While the hub listens for what invalidates it (AuthUnknown(true)),
// sessions are read from the store once and then served from memory; a
// control message about the user (from any instance, through the bus)
// drops them at once, and so does a change made on this instance.
func TestSessionCache(t *testing.T) {
	inbox.ForgetDatabaseDown() // another test's outage must not turn the cache off
	f := newFixture(t, nil, inbox.Config{})
	svc, cs := f.instance(inbox.Config{})
	token, _ := f.signIn(svc) // uncached: the cache is off
	for range 3 {
		if _, err := svc.Session(f.ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if got := cs.sessions.Load(); got != 4 {
		t.Errorf("store reads with the cache off: got %d, want 4", got)
	}

	svc.AuthUnknown(true)
	before := cs.sessions.Load()
	for range 3 {
		if _, err := svc.Session(f.ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if got := cs.sessions.Load() - before; got != 1 {
		t.Errorf("store reads of a cached session: got %d, want 1", got)
	}

	// Another instance signs the session out: this one finds out through
	// the control message the bus brings.
	if err := f.svc.Logout(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	changes := f.bus.authChanges()
	if len(changes) != 1 {
		t.Fatalf("logout announced %+v; want one change", changes)
	}
	e, err := changes[0].Event()
	if err != nil {
		t.Fatal(err)
	}
	svc.AuthChanged(e)
	_, err = svc.Session(f.ctx, token)
	wantError(t, "a session signed out on another instance", err, inbox.KindUnauthenticated, "unauthenticated")

	// A change made here drops the cache here, with no bus round trip.
	token, _ = f.signIn(svc)
	if _, err := svc.Session(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := svc.Logout(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Session(f.ctx, token)
	wantError(t, "a session signed out on this instance", err, inbox.KindUnauthenticated, "unauthenticated")

	// A bus that may have lost messages empties the cache.
	token, _ = f.signIn(svc)
	before = cs.sessions.Load()
	svc.AuthUnknown(true)
	if _, err := svc.Session(f.ctx, token); err != nil {
		t.Fatal(err)
	}
	if got := cs.sessions.Load() - before; got != 1 {
		t.Errorf("store reads after the bus recovered: got %d, want 1", got)
	}
}
