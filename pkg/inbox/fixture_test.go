package inbox_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// fixture is a Service on a fresh SQLite store with one company: its admin,
// two recruiters (Ana, assigned to the main number; Ben, to none) and two
// numbers (main, and second with nobody on it).
type fixture struct {
	t            *testing.T
	ctx          context.Context
	db           *store.DB
	bus          *recordingBus
	svc          *inbox.Service
	admin        inbox.User
	ana, ben     inbox.User
	main, second inbox.Number
}

func newFixture(t *testing.T, sender inbox.Sender, cfg inbox.Config) *fixture {
	t.Helper()
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = 4 // bcrypt's least: the tests check rules, not hashing cost
	}
	f := &fixture{t: t, ctx: context.Background(), db: storetest.SQLite(t), bus: &recordingBus{Bus: pubsub.NewMemory()}}
	if cfg.Clock != nil {
		f.db.SetClock(cfg.Clock) // as inboxd does: one time for the service and the store
	}
	// The service's log shows with a failing test's output.
	f.svc = inbox.New(f.db, f.bus, sender, cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	var err error
	if f.admin, err = f.svc.Bootstrap(f.ctx, "Acme", inbox.NewUser{Email: "admin@acme.test", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	// Quiet hours off: these tests check other rules and must not depend
	// on the time of day they run; quiet_test.go turns them on.
	if _, err := f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{QuietHours: inbox.Optional[*inbox.QuietHours]{Set: true}}); err != nil {
		t.Fatal(err)
	}
	f.ana = f.user("ana@acme.test", "Ana")
	f.ben = f.user("ben@acme.test", "Ben")
	f.main = f.number("+14155550100", "Main")
	f.second = f.number("+14155550101", "Second")
	f.assign(f.main, f.ana)
	return f
}

func (f *fixture) user(email, name string) inbox.User {
	f.t.Helper()
	u, err := f.svc.CreateUser(f.ctx, f.admin, inbox.NewUser{Email: email, Name: name, Role: inbox.RoleRecruiter, Password: "correct horse"})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) number(e164, label string) inbox.Number {
	f.t.Helper()
	n, err := f.svc.CreateNumber(f.ctx, f.admin, e164, label)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) assign(n inbox.Number, users ...inbox.User) {
	f.t.Helper()
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	if _, err := f.svc.SetAssignees(f.ctx, f.admin, n.ID, ids); err != nil {
		f.t.Fatal(err)
	}
}

// contact creates a contact; optIn is the ATS's sms_opt_in (nil: not said).
func (f *fixture) contact(name, phone string, optIn *bool) inbox.Contact {
	f.t.Helper()
	c, created, err := f.svc.UpsertContact(f.ctx, f.admin, inbox.ContactInput{Name: name, Phone: phone, SMSOptIn: optIn})
	if err != nil || !created {
		f.t.Fatalf("create contact %s: created %v, %v", name, created, err)
	}
	return c
}

// receive stores a text from phone to the number n.
func (f *fixture) receive(phone string, n inbox.Number, text, uuid string) inbox.Message {
	f.t.Helper()
	m, err := f.svc.ReceiveSMS(f.ctx, inbox.InboundSMS{From: phone, To: n.E164, Text: text, MessageUUID: uuid})
	if err != nil {
		f.t.Fatalf("receive %q: %v", text, err)
	}
	return m
}

// message reads a message as the store has it.
func (f *fixture) message(id int64) inbox.Message {
	f.t.Helper()
	m, err := f.db.MessageByID(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// seq is the current seq of a topic: how many events it has had.
func (f *fixture) seq(topic string) int64 {
	f.t.Helper()
	seqs, err := f.svc.TopicSeqs(f.ctx, []string{topic})
	if err != nil {
		f.t.Fatal(err)
	}
	return seqs[topic]
}

func ptr[T any](v T) *T { return &v }

// recordingBus is the in-process bus, keeping what was published.
type recordingBus struct {
	inbox.Bus
	mu        sync.Mutex
	published []inbox.Event
}

func (b *recordingBus) Publish(ctx context.Context, events ...inbox.Event) error {
	b.mu.Lock()
	b.published = append(b.published, events...)
	b.mu.Unlock()
	return b.Bus.Publish(ctx, events...)
}

// authChanges returns the control messages published since the last call.
func (b *recordingBus) authChanges() []inbox.AuthChange {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []inbox.AuthChange
	for _, e := range b.published {
		if c, ok := inbox.ParseAuthChange(e); ok {
			out = append(out, c)
		}
	}
	b.published = nil
	return out
}

// wantError fails the test unless err is an *inbox.Error of kind and code.
func wantError(t *testing.T, what string, err error, kind inbox.Kind, code string) {
	t.Helper()
	if inbox.ErrorKind(err) != kind || inbox.ErrorCode(err) != code {
		t.Errorf("%s: got %v (kind %d), want kind %d, code %s", what, err, inbox.ErrorKind(err), kind, code)
	}
}
