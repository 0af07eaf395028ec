package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// fixture is a company with an admin, a recruiter, a number and a contact.
type fixture struct {
	company   inbox.Company
	admin     inbox.User
	recruiter inbox.User
	number    inbox.Number
	contact   inbox.Contact
}

func newFixture(t *testing.T, db *store.DB, name string) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{company: inbox.Company{Name: name, SMSEnabled: true}}
	_, err := db.Tx(ctx, func(tx inbox.Tx) error {
		if err := tx.CreateCompany(ctx, &f.company); err != nil {
			return err
		}
		f.admin = inbox.User{CompanyID: f.company.ID, Email: "admin@" + name + ".test", Name: "Admin", Role: inbox.RoleAdmin}
		if err := tx.CreateUser(ctx, &f.admin, "hash"); err != nil {
			return err
		}
		f.recruiter = inbox.User{CompanyID: f.company.ID, Email: "ana@" + name + ".test", Name: "Ana", Role: inbox.RoleRecruiter}
		if err := tx.CreateUser(ctx, &f.recruiter, "hash"); err != nil {
			return err
		}
		f.number = inbox.Number{CompanyID: f.company.ID, E164: fmt.Sprintf("+1415555%04d", f.company.ID%10000), Label: "Recruiting"}
		if err := tx.CreateNumber(ctx, &f.number); err != nil {
			return err
		}
		if err := tx.SetAssignees(ctx, f.number.ID, []int64{f.recruiter.ID}); err != nil {
			return err
		}
		ext := "cand-1"
		f.contact = inbox.Contact{CompanyID: f.company.ID, ExternalID: &ext, Name: "Casey", Phone: "+14155550199",
			Kind: inbox.KindCandidate, Consent: inbox.ConsentOptedIn, ConsentSource: inbox.SourceApplication}
		return tx.CreateContact(ctx, &f.contact)
	})
	if err != nil {
		t.Fatalf("create fixture %s: %v", name, err)
	}
	return f
}

func TestCompanyIsolation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newFixture(t, db, "acme"), newFixture(t, db, "globex")

		users, err := db.Users(ctx, b.company.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.CompanyID != b.company.ID {
				t.Errorf("Users(globex) returned %s of company %d", u.Email, u.CompanyID)
			}
		}
		if len(users) != 2 {
			t.Errorf("Users(globex): got %d users, want 2", len(users))
		}
		if _, err := db.User(ctx, b.company.ID, a.admin.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("User(globex, acme's admin): got %v, want not_found", err)
		}
		if _, err := db.Number(ctx, b.company.ID, a.number.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("Number(globex, acme's number): got %v, want not_found", err)
		}
		if _, err := db.Contact(ctx, b.company.ID, a.contact.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("Contact(globex, acme's contact): got %v, want not_found", err)
		}
		numbers, err := db.Numbers(ctx, b.company.ID)
		if err != nil || len(numbers) != 1 || numbers[0].ID != b.number.ID {
			t.Errorf("Numbers(globex) = %+v, %v; want only globex's number", numbers, err)
		}
		contacts, err := db.Contacts(ctx, b.company.ID, inbox.ContactFilter{Limit: 50})
		if err != nil || len(contacts) != 1 || contacts[0].ID != b.contact.ID {
			t.Errorf("Contacts(globex) = %+v, %v; want only globex's contact", contacts, err)
		}
		threadID := mustTx(t, db, func(tx inbox.Tx) (int64, error) {
			return tx.EnsureThread(ctx, a.company.ID, a.number.ID, a.contact.ID)
		})
		if _, err := db.Thread(ctx, b.company.ID, threadID); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("Thread(globex, acme's thread): got %v, want not_found", err)
		}
	})
}

func TestUniqueConstraints(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		tests := []struct {
			name string
			fn   func(tx inbox.Tx) error
			code string
		}{
			{"email, other case", func(tx inbox.Tx) error {
				return tx.CreateUser(ctx, &inbox.User{CompanyID: f.company.ID, Email: "ANA@acme.test", Name: "x", Role: inbox.RoleRecruiter}, "h")
			}, "email_taken"},
			{"number", func(tx inbox.Tx) error {
				return tx.CreateNumber(ctx, &inbox.Number{CompanyID: f.company.ID, E164: f.number.E164, Label: "again"})
			}, "number_taken"},
			{"contact phone", func(tx inbox.Tx) error {
				return tx.CreateContact(ctx, &inbox.Contact{CompanyID: f.company.ID, Name: "x", Phone: f.contact.Phone,
					Kind: inbox.KindCandidate, Consent: inbox.ConsentUnknown})
			}, "phone_taken"},
			{"contact external id", func(tx inbox.Tx) error {
				return tx.CreateContact(ctx, &inbox.Contact{CompanyID: f.company.ID, Name: "x", Phone: "+14155550177",
					ExternalID: f.contact.ExternalID, Kind: inbox.KindCandidate, Consent: inbox.ConsentUnknown})
			}, "external_id_taken"},
		}
		for _, tt := range tests {
			_, err := db.Tx(ctx, tt.fn)
			if got := inbox.ErrorCode(err); got != tt.code || inbox.ErrorKind(err) != inbox.KindConflict {
				t.Errorf("%s: got %v, want conflict %s", tt.name, err, tt.code)
			}
		}
	})
}

// EnsureContact finds the contact a phone has, or creates it, and never
// fails on the phone, even when two transactions create it at once.
func TestEnsureContact(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		ensure := func(phone string) int64 {
			t.Helper()
			c := inbox.Contact{CompanyID: f.company.ID, Name: phone, Phone: phone, Kind: inbox.KindCandidate, Consent: inbox.ConsentUnknown}
			if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.EnsureContact(ctx, &c) }); err != nil {
				t.Fatalf("ensure contact %s: %v", phone, err)
			}
			return c.ID
		}
		if got := ensure(f.contact.Phone); got != f.contact.ID {
			t.Errorf("the fixture's phone gave contact %d; want %d", got, f.contact.ID)
		}
		ids := make([]int64, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() { ids[i] = ensure("+14155550123") })
		}
		wg.Wait()
		for _, id := range ids {
			if id == 0 || id != ids[0] {
				t.Fatalf("eight transactions at once created contacts %v; want one", ids)
			}
		}
		c, err := db.ContactByPhone(ctx, f.company.ID, "+14155550123")
		if err != nil || c.ID != ids[0] || c.Consent != inbox.ConsentUnknown {
			t.Errorf("stored contact %+v, %v; want id %d, consent unknown", c, err, ids[0])
		}
	})
}

// A transaction that fails part-way leaves nothing behind: no rows, no
// events, no seq used up.
func TestTxRollsBackEverything(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		crash := errors.New("crash after the writes")
		events, err := db.Tx(ctx, func(tx inbox.Tx) error {
			u := inbox.User{CompanyID: f.company.ID, Email: "half@acme.test", Name: "Half", Role: inbox.RoleRecruiter}
			if err := tx.CreateUser(ctx, &u, "h"); err != nil {
				return err
			}
			if err := tx.Emit("company:1", "test", map[string]int{"n": 1}); err != nil {
				return err
			}
			return crash
		})
		if !errors.Is(err, crash) || events != nil {
			t.Fatalf("Tx = %v, %v; want the crash and no events", events, err)
		}
		if _, _, err := db.UserByEmail(ctx, "half@acme.test"); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("user of the rolled-back transaction: got %v, want not_found", err)
		}
		seqs, err := db.TopicSeqs(ctx, []string{"company:1"})
		if err != nil || seqs["company:1"] != 0 {
			t.Errorf("seq after rollback = %v, %v; want 0", seqs, err)
		}
		// A cancelled context mid-transaction rolls back too.
		cctx, cancel := context.WithCancel(ctx)
		_, err = db.Tx(cctx, func(tx inbox.Tx) error {
			u := inbox.User{CompanyID: f.company.ID, Email: "cancel@acme.test", Name: "C", Role: inbox.RoleRecruiter}
			if err := tx.CreateUser(cctx, &u, "h"); err != nil {
				return err
			}
			cancel()
			return tx.CreateNumber(cctx, &inbox.Number{CompanyID: f.company.ID, E164: "+14155550142", Label: "x"})
		})
		if err == nil {
			t.Fatal("Tx with a cancelled context succeeded")
		}
		if _, _, err := db.UserByEmail(ctx, "cancel@acme.test"); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("user of the cancelled transaction: got %v, want not_found", err)
		}
	})
}

// Events of one topic written by concurrent transactions get seq 1..N, with
// no gap and no duplicate, and EventsAfter reads them back in order.
func TestEventSeqsAreGapless(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const workers, perWorker = 8, 25
		var mu sync.Mutex
		got := map[string][]int64{}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					events, err := db.Tx(ctx, func(tx inbox.Tx) error {
						// Two topics per transaction, emitted in varying
						// order; two events on one of them.
						if (w+i)%2 == 0 {
							tx.Emit("number:1", "e", map[string]int{"w": w, "i": i})
							tx.Emit("company:1", "e", map[string]int{"k": 1})
							return tx.Emit("company:1", "e", map[string]int{"k": 2})
						}
						tx.Emit("company:1", "e", map[string]int{"k": 1})
						tx.Emit("number:1", "e", map[string]int{"w": w, "i": i})
						return tx.Emit("company:1", "e", map[string]int{"k": 2})
					})
					if err != nil {
						errs <- err
						return
					}
					// A transaction's events on one topic are consecutive,
					// in the order it emitted them.
					var own []inbox.Event
					for _, e := range events {
						if e.Topic == "company:1" {
							own = append(own, e)
						}
					}
					if len(own) != 2 || own[1].Seq != own[0].Seq+1 || string(own[0].Data) != `{"k":1}` || string(own[1].Data) != `{"k":2}` {
						errs <- fmt.Errorf("a transaction's two company events came back as %+v", own)
						return
					}
					mu.Lock()
					for _, e := range events {
						got[e.Topic] = append(got[e.Topic], e.Seq)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent Tx: %v", err)
		}
		const n = workers * perWorker
		for topic, n := range map[string]int{"number:1": n, "company:1": 2 * n} {
			seqs := got[topic]
			sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
			for i, s := range seqs {
				if s != int64(i+1) {
					t.Fatalf("%s: sorted seqs[%d] = %d, want %d (gap or duplicate)", topic, i, s, i+1)
				}
			}
			if len(seqs) != n {
				t.Fatalf("%s: got %d seqs, want %d", topic, len(seqs), n)
			}
			var read []inbox.Event
			for after := int64(0); ; {
				page, err := db.EventsAfter(ctx, topic, after, 64)
				if err != nil {
					t.Fatalf("EventsAfter(%s, %d): %v", topic, after, err)
				}
				if len(page) == 0 {
					break
				}
				read = append(read, page...)
				after = page[len(page)-1].Seq
			}
			if len(read) != n {
				t.Fatalf("EventsAfter read %d events of %s, want %d", len(read), topic, n)
			}
			for i, e := range read {
				if e.Seq != int64(i+1) || e.Topic != topic || e.Type != "e" {
					t.Fatalf("event %d = %s/%d/%s, want %s/%d/e", i, e.Topic, e.Seq, e.Type, topic, i+1)
				}
			}
		}
		seqs, err := db.TopicSeqs(ctx, []string{"number:1", "company:1", "number:2"})
		if err != nil || seqs["number:1"] != n || seqs["company:1"] != 2*n || seqs["number:2"] != 0 {
			t.Errorf("TopicSeqs = %v, %v; want %d, %d, 0", seqs, err, n, 2*n)
		}
		if _, err := db.EventsAfter(ctx, "number:1", n+5, 10); !errors.Is(err, inbox.ErrEventsPruned) {
			t.Errorf("EventsAfter beyond the current seq: got %v, want ErrEventsPruned", err)
		}
		if evs, err := db.EventsAfter(ctx, "number:1", n, 10); err != nil || len(evs) != 0 {
			t.Errorf("EventsAfter at the current seq = %d events, %v; want none", len(evs), err)
		}
	})
}

func TestSessionsTokensTickets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		now := time.Now().UTC()
		tok := inbox.APIToken{CompanyID: f.company.ID, Name: "ats", User: f.admin}
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			if err := tx.CreateSession(ctx, "live", f.recruiter.ID, now.Add(time.Hour)); err != nil {
				return err
			}
			if err := tx.CreateSession(ctx, "old", f.recruiter.ID, now.Add(-time.Second)); err != nil {
				return err
			}
			return tx.CreateAPIToken(ctx, &tok, "tok")
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateTicket(ctx, "ticket", inbox.Auth{User: f.recruiter, Session: "live"}, now.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateTicket(ctx, "stale", inbox.Auth{User: f.recruiter}, now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateTicket(ctx, "by-token", inbox.Auth{User: f.admin, TokenID: tok.ID}, now.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if s, err := db.Session(ctx, "live", now); err != nil || s.User.ID != f.recruiter.ID || !s.ExpiresAt.After(now) {
			t.Errorf("Session(live) = %+v, %v; want the recruiter's", s, err)
		}
		if _, err := db.Session(ctx, "old", now); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("Session(expired): got %v, want not_found", err)
		}
		if got, err := db.APIToken(ctx, "tok", now); err != nil || got.ID != tok.ID || got.User.ID != f.admin.ID || got.ExpiresAt != nil {
			t.Errorf("APIToken = %+v, %v; want the admin's, never expiring", got, err)
		}
		if a, err := db.RedeemTicket(ctx, "ticket", now); err != nil || a.User != f.recruiter || a.Session != "live" || a.TokenID != 0 {
			t.Errorf("first RedeemTicket = %+v, %v; want the recruiter with the live session", a, err)
		}
		if _, err := db.RedeemTicket(ctx, "ticket", now); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("second RedeemTicket: got %v, want not_found (single use)", err)
		}
		if _, err := db.RedeemTicket(ctx, "stale", now); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("expired RedeemTicket: got %v, want not_found", err)
		}
		if a, err := db.RedeemTicket(ctx, "by-token", now); err != nil || a.User.ID != f.admin.ID || a.TokenID != tok.ID || a.Session != "" {
			t.Errorf("RedeemTicket(by a token) = %+v, %v; want the admin with the token", a, err)
		}
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.DeleteExpired(ctx, now) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, "live", now); err != nil {
			t.Errorf("DeleteExpired removed a live session: %v", err)
		}
		if err := db.TouchSession(ctx, "live", now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.Session(ctx, "live", now.Add(90*time.Minute)); s.User.ID != f.recruiter.ID {
			t.Errorf("a renewed session 90 minutes on: %+v; want live", s)
		}
		if err := db.TouchToken(ctx, tok.ID, now); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.APITokens(ctx, f.company.ID); len(got) != 1 || got[0].LastUsedAt == nil || got[0].Name != "ats" {
			t.Errorf("APITokens = %+v; want ats, used", got)
		}
	})
}

// What ends credentials: a session with its tickets, all of a user's but
// one, a token with its tickets, and everything of a deactivated user.
// LiveAuths tells the hub which sockets still stand.
func TestEndingCredentials(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		other := newFixture(t, db, "other")
		now := time.Now().UTC()
		later := now.Add(24 * time.Hour)
		expiring := inbox.APIToken{CompanyID: f.company.ID, Name: "short", User: f.admin, ExpiresAt: &later}
		forever := inbox.APIToken{CompanyID: f.company.ID, Name: "long", User: f.admin}
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			for _, s := range []string{"a1", "a2", "a3"} {
				if err := tx.CreateSession(ctx, s, f.recruiter.ID, now.Add(time.Hour)); err != nil {
					return err
				}
			}
			if err := tx.CreateSession(ctx, "admin", f.admin.ID, now.Add(time.Hour)); err != nil {
				return err
			}
			if err := tx.CreateAPIToken(ctx, &expiring, "t1"); err != nil {
				return err
			}
			return tx.CreateAPIToken(ctx, &forever, "t2")
		})
		if err != nil {
			t.Fatal(err)
		}
		ra := inbox.Auth{User: f.recruiter}
		auths := []inbox.Auth{
			{User: f.recruiter, Session: "a1"}, {User: f.recruiter, Session: "a2"}, {User: f.recruiter, Session: "a3"},
			{User: f.admin, TokenID: expiring.ID}, {User: f.admin, TokenID: forever.ID}, ra, {User: f.admin, Session: "admin"},
			{User: f.recruiter, Session: "made-up"},
		}
		live := func(at time.Time) []bool {
			t.Helper()
			got, err := db.LiveAuths(ctx, auths, at)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := live(now); !slices.Equal(got, []bool{true, true, true, true, true, true, true, false}) {
			t.Errorf("LiveAuths at first = %v", got)
		}
		if got := live(now.Add(25 * time.Hour)); !slices.Equal(got, []bool{false, false, false, false, true, true, false, false}) {
			t.Errorf("LiveAuths a day on = %v; want the sessions and the day-long token gone", got)
		}
		db.CreateTicket(ctx, "k1", inbox.Auth{User: f.recruiter, Session: "a1"}, now.Add(time.Minute))
		db.CreateTicket(ctx, "k2", inbox.Auth{User: f.recruiter, Session: "a2"}, now.Add(time.Minute))
		db.CreateTicket(ctx, "k3", inbox.Auth{User: f.admin, TokenID: forever.ID}, now.Add(time.Minute))
		_, err = db.Tx(ctx, func(tx inbox.Tx) error {
			if err := tx.DeleteSession(ctx, "a1"); err != nil {
				return err
			}
			if err := tx.DeleteUserSessions(ctx, f.recruiter.ID, "a3"); err != nil {
				return err
			}
			if _, err := tx.DeleteAPIToken(ctx, other.company.ID, forever.ID); inbox.ErrorKind(err) != inbox.KindNotFound {
				return fmt.Errorf("another company's delete: got %v, want not_found", err)
			}
			userID, err := tx.DeleteAPIToken(ctx, f.company.ID, forever.ID)
			if err == nil && userID != f.admin.ID {
				err = fmt.Errorf("DeleteAPIToken returned user %d, want the admin", userID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := live(now); !slices.Equal(got, []bool{false, false, true, true, false, true, true, false}) {
			t.Errorf("LiveAuths after the ends = %v; want a3, the expiring token, the user and the admin's session", got)
		}
		for _, k := range []string{"k1", "k2", "k3"} {
			if _, err := db.RedeemTicket(ctx, k, now); inbox.ErrorKind(err) != inbox.KindNotFound {
				t.Errorf("ticket %s of an ended credential: got %v, want not_found", k, err)
			}
		}

		db.CreateTicket(ctx, "k4", inbox.Auth{User: f.recruiter, Session: "a3"}, now.Add(time.Minute))
		_, err = db.Tx(ctx, func(tx inbox.Tx) error {
			a, err := tx.Account(ctx, f.company.ID, f.recruiter.ID)
			if err != nil {
				return err
			}
			a.Active = false
			if err := tx.UpdateUser(ctx, a); err != nil {
				return err
			}
			return tx.EndUserAccess(ctx, f.recruiter.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := live(now); got[2] || got[5] {
			t.Errorf("LiveAuths after deactivation = %v; want the recruiter's session and user gone", got)
		}
		if _, err := db.RedeemTicket(ctx, "k4", now); inbox.ErrorKind(err) != inbox.KindNotFound {
			t.Errorf("a deactivated user's ticket: got %v, want not_found", err)
		}
		a, hash, err := db.UserByEmail(ctx, f.recruiter.Email)
		if err != nil || a.Active || hash != "hash" {
			t.Errorf("UserByEmail(deactivated) = %+v, %q, %v; want the account, inactive, with its hash", a, hash, err)
		}
		if n, err := db.ActiveAdmins(ctx, f.company.ID); err != nil || n != 1 {
			t.Errorf("ActiveAdmins = %d, %v; want 1", n, err)
		}
	})
}

// LiveAuths checks any number of credentials, in batches.
func TestLiveAuthsMany(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		now := time.Now().UTC()
		var auths []inbox.Auth
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			for i := range 1200 {
				key := fmt.Sprintf("s%d", i)
				auths = append(auths, inbox.Auth{User: f.recruiter, Session: key})
				if i%3 == 0 {
					continue // never created
				}
				if err := tx.CreateSession(ctx, key, f.recruiter.ID, now.Add(time.Hour)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		live, err := db.LiveAuths(ctx, auths, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range live {
			if l != (i%3 != 0) {
				t.Fatalf("LiveAuths[%d] = %v, want %v", i, l, i%3 != 0)
			}
		}
	})
}

// A V2 nonce stands for the first digest it came with, and is forgotten
// after the retention.
func TestWebhookNonces(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, step := range []struct {
			nonce, digest string
			want          bool
		}{
			{"n1", "d1", true}, {"n1", "d1", true}, {"n1", "d2", false}, {"n2", "d2", true}, {"n1", "d1", true},
		} {
			if got, err := db.ClaimNonce(ctx, step.nonce, step.digest); err != nil || got != step.want {
				t.Errorf("ClaimNonce(%s, %s) = %v, %v; want %v", step.nonce, step.digest, got, err, step.want)
			}
		}
		if _, err := db.Tx(ctx, func(tx inbox.Tx) error {
			return tx.DeleteWebhookNonces(ctx, time.Now().Add(time.Minute))
		}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ClaimNonce(ctx, "n1", "d2"); !got {
			t.Error("a forgotten nonce with another digest: refused; want a new nonce")
		}
	})
}

func TestThreadsAndMessages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		uuid := "3a5e2b8c-0000-4000-8000-000000000001"
		insert := func(m inbox.Message) (inbox.Message, bool) {
			t.Helper()
			var dup bool
			_, err := db.Tx(ctx, func(tx inbox.Tx) error {
				id, err := tx.EnsureThread(ctx, f.company.ID, f.number.ID, f.contact.ID)
				if err != nil {
					return err
				}
				m.ThreadID, m.CompanyID = id, f.company.ID
				dup, err = tx.InsertMessage(ctx, &m)
				return err
			})
			if err != nil {
				t.Fatalf("insert message: %v", err)
			}
			return m, dup
		}
		in, dup := insert(inbox.Message{Direction: inbox.Inbound, Body: "Hi, is the job open?", Status: inbox.StatusReceived,
			Segments: 1, Encoding: "GSM-7", PlivoUUID: &uuid, MediaURLs: []string{"https://media.example/1.jpg"}})
		if dup || in.ID == 0 {
			t.Fatalf("first inbound: dup=%v id=%d; want stored", dup, in.ID)
		}
		if _, dup := insert(inbox.Message{Direction: inbox.Inbound, Body: "again", Status: inbox.StatusReceived,
			Segments: 1, Encoding: "GSM-7", PlivoUUID: &uuid}); !dup {
			t.Errorf("repeated MessageUUID was stored twice")
		}
		out, dup := insert(inbox.Message{Direction: inbox.Outbound, Body: "Yes!", Status: inbox.StatusQueued,
			Segments: 1, Encoding: "GSM-7", SentBy: &f.recruiter, IdempotencyKey: "k1", RequestHash: "h1"})
		if dup {
			t.Fatal("first outbound reported duplicate")
		}
		if _, dup := insert(inbox.Message{Direction: inbox.Outbound, Body: "Yes!", Status: inbox.StatusQueued,
			Segments: 1, Encoding: "GSM-7", SentBy: &f.recruiter, IdempotencyKey: "k1", RequestHash: "h1"}); !dup {
			t.Errorf("repeated Idempotency-Key was stored twice")
		}
		if m, hash, err := db.MessageByIdempotencyKey(ctx, f.recruiter.ID, "k1"); err != nil || m.ID != out.ID || hash != "h1" {
			t.Errorf("MessageByIdempotencyKey = %d, %q, %v; want %d, h1", m.ID, hash, err, out.ID)
		}

		th, err := db.Thread(ctx, f.company.ID, in.ThreadID)
		if err != nil {
			t.Fatal(err)
		}
		if th.UnreadCount != 1 || th.LastMessage == nil || th.LastMessage.ID != out.ID || th.RepliedBy == nil ||
			th.RepliedBy.ID != f.recruiter.ID || th.Number.ID != f.number.ID || th.Contact.ID != f.contact.ID {
			t.Errorf("thread = %+v; want 1 unread, last message %d replied by the recruiter", th, out.ID)
		}
		if th.Contact.Icon() != inbox.IconGreen {
			t.Errorf("contact icon after messages = %s, want green", th.Contact.Icon())
		}
		msgs, err := db.Messages(ctx, f.company.ID, []int64{th.ID}, 0, 10)
		if err != nil || len(msgs) != 2 || msgs[0].ID != in.ID || msgs[1].ID != out.ID {
			t.Fatalf("Messages = %+v, %v; want inbound then outbound", msgs, err)
		}
		if len(msgs[0].MediaURLs) != 1 || msgs[1].SentBy == nil || msgs[1].SentBy.Name != "Ana" {
			t.Errorf("messages lost media or sender: %+v", msgs)
		}
		if older, err := db.Messages(ctx, f.company.ID, []int64{th.ID}, out.ID, 10); err != nil || len(older) != 1 || older[0].ID != in.ID {
			t.Errorf("Messages before %d = %+v, %v; want the inbound only", out.ID, older, err)
		}

		read := func() bool {
			var changed bool
			_, err := db.Tx(ctx, func(tx inbox.Tx) (err error) {
				changed, err = tx.MarkRead(ctx, th.ID, f.recruiter.ID, time.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return changed
		}
		if !read() {
			t.Error("first MarkRead changed nothing")
		}
		if read() {
			t.Error("second MarkRead changed something; want no-op")
		}
		th, _ = db.Thread(ctx, f.company.ID, th.ID)
		if th.UnreadCount != 0 || th.ReadBy == nil || th.ReadBy.ID != f.recruiter.ID || th.ReadAt == nil {
			t.Errorf("thread after read = %+v; want 0 unread, read by the recruiter", th)
		}
		threads, err := db.Threads(ctx, f.company.ID, inbox.ThreadFilter{NumberIDs: []int64{f.number.ID}, Limit: 10})
		if err != nil || len(threads) != 1 || threads[0].ID != th.ID {
			t.Errorf("Threads(number) = %+v, %v", threads, err)
		}
		if threads, err := db.Threads(ctx, f.company.ID, inbox.ThreadFilter{NumberIDs: []int64{}, Limit: 10}); err != nil || len(threads) != 0 {
			t.Errorf("Threads(no numbers) = %+v, %v; want none", threads, err)
		}
	})
}

func mustTx[T any](t *testing.T, db *store.DB, fn func(tx inbox.Tx) (T, error)) T {
	t.Helper()
	var v T
	_, err := db.Tx(context.Background(), func(tx inbox.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatalf("Tx: %v", err)
	}
	return v
}

// EnsureThreads finds or creates many threads at once, repeats and existing
// ones included, with the ids EnsureThread gives.
func TestEnsureThreads(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		var other inbox.Number
		var contacts []inbox.Contact
		var existing int64
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			other = inbox.Number{CompanyID: f.company.ID, E164: "+14155550177", Label: "Other"}
			if err := tx.CreateNumber(ctx, &other); err != nil {
				return err
			}
			for i := range 3 {
				c := inbox.Contact{CompanyID: f.company.ID, Name: fmt.Sprint("c", i), Phone: fmt.Sprintf("+1415555030%d", i),
					Kind: inbox.KindCandidate, Consent: inbox.ConsentUnknown}
				if err := tx.EnsureContact(ctx, &c); err != nil {
					return err
				}
				contacts = append(contacts, c)
			}
			var err error
			existing, err = tx.EnsureThread(ctx, f.company.ID, other.ID, contacts[1].ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		key := func(n inbox.Number, c inbox.Contact) inbox.ThreadKey {
			return inbox.ThreadKey{CompanyID: f.company.ID, NumberID: n.ID, ContactID: c.ID}
		}
		keys := []inbox.ThreadKey{key(other, contacts[2]), key(f.number, contacts[0]), key(other, contacts[1]),
			key(f.number, contacts[0]), key(f.number, f.contact), key(other, contacts[0])}
		var got map[inbox.ThreadKey]int64
		_, err = db.Tx(ctx, func(tx inbox.Tx) error {
			var err error
			got, err = tx.EnsureThreads(ctx, keys)
			return err
		})
		if err != nil {
			t.Fatalf("EnsureThreads: %v", err)
		}
		if len(got) != 5 || got[key(other, contacts[1])] != existing {
			t.Errorf("EnsureThreads: got %v, want 5 threads, the existing one with id %d", got, existing)
		}
		seen := map[int64]bool{}
		_, err = db.Tx(ctx, func(tx inbox.Tx) error {
			for k, id := range got {
				again, err := tx.EnsureThread(ctx, k.CompanyID, k.NumberID, k.ContactID)
				if err != nil {
					return err
				}
				if again != id || id == 0 || seen[id] {
					t.Errorf("thread %+v: EnsureThreads gave %d, EnsureThread %d; want the same distinct id", k, id, again)
				}
				seen[id] = true
			}
			empty, err := tx.EnsureThreads(ctx, nil)
			if err != nil || len(empty) != 0 {
				t.Errorf("EnsureThreads of none: %v, %v; want nothing", empty, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestInsertMessages: messages on threads of their own go in together as
// InsertMessage would put them one by one — each thread's last message,
// unread count and wait, and the contact's last message — and a repeated
// PlivoUUID is reported and changes nothing.
func TestInsertMessages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, "acme")
		other := inbox.Number{CompanyID: f.company.ID, E164: "+14155550177", Label: "Other"}
		newcomer := inbox.Contact{CompanyID: f.company.ID, Name: "New", Phone: "+14155550300",
			Kind: inbox.KindCandidate, Consent: inbox.ConsentUnknown}
		at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		uuid := func(s string) *string { return &s }
		var threads [3]int64
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			if err := tx.CreateNumber(ctx, &other); err != nil {
				return err
			}
			if err := tx.EnsureContact(ctx, &newcomer); err != nil {
				return err
			}
			for i, k := range [][2]int64{{f.number.ID, f.contact.ID}, {other.ID, f.contact.ID}, {f.number.ID, newcomer.ID}} {
				id, err := tx.EnsureThread(ctx, f.company.ID, k[0], k[1])
				if err != nil {
					return err
				}
				threads[i] = id
			}
			// Stored before: the third message below repeats it.
			_, err := tx.InsertMessage(ctx, &inbox.Message{CompanyID: f.company.ID, ThreadID: threads[2],
				Direction: inbox.Inbound, Body: "hello", Status: inbox.StatusReceived, PlivoUUID: uuid("u-before"), CreatedAt: at})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ms := []*inbox.Message{
			{ThreadID: threads[0], NumberID: f.number.ID, ContactID: f.contact.ID, Body: "one", PlivoUUID: uuid("u-1"), CreatedAt: at.Add(time.Minute)},
			{ThreadID: threads[1], NumberID: other.ID, ContactID: f.contact.ID, Body: "two", PlivoUUID: uuid("u-2"), CreatedAt: at.Add(2 * time.Minute)},
			{ThreadID: threads[2], NumberID: f.number.ID, ContactID: newcomer.ID, Body: "again", PlivoUUID: uuid("u-before"), CreatedAt: at.Add(3 * time.Minute)},
		}
		for _, m := range ms {
			m.CompanyID, m.Direction, m.Status, m.Segments, m.Encoding = f.company.ID, inbox.Inbound, inbox.StatusReceived, 1, "GSM-7"
		}
		_, err = db.Tx(ctx, func(tx inbox.Tx) error { return tx.InsertMessages(ctx, ms) })
		if err != nil {
			t.Fatalf("InsertMessages: %v", err)
		}
		if ms[0].ID == 0 || ms[1].ID == 0 || ms[0].ID == ms[1].ID || ms[2].ID != 0 {
			t.Fatalf("InsertMessages: ids %d, %d and %d; want two new ids and none for the repeated text", ms[0].ID, ms[1].ID, ms[2].ID)
		}
		for i, m := range ms[:2] {
			th, err := db.Thread(ctx, f.company.ID, threads[i])
			if err != nil {
				t.Fatal(err)
			}
			if th.LastMessage == nil || th.LastMessage.ID != m.ID || th.LastMessage.Body != m.Body || th.UnreadCount != 1 ||
				th.AwaitingSince == nil || !th.AwaitingSince.Equal(m.CreatedAt) || th.LastMessageAt == nil || !th.LastMessageAt.Equal(m.CreatedAt) {
				t.Errorf("thread %d after InsertMessages: %+v; want message %d as its last, one unread, awaiting since %v", i, th, m.ID, m.CreatedAt)
			}
		}
		th, err := db.Thread(ctx, f.company.ID, threads[2])
		if err != nil {
			t.Fatal(err)
		}
		if th.UnreadCount != 1 || th.LastMessage == nil || th.LastMessage.Body != "hello" {
			t.Errorf("thread of the repeated text: %+v; want it unchanged (one unread, last message hello)", th)
		}
		c, err := db.Contact(ctx, f.company.ID, f.contact.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastMessageAt == nil || !c.LastMessageAt.Equal(ms[1].CreatedAt) {
			t.Errorf("contact's last message at %v; want %v, the later of its two", c.LastMessageAt, ms[1].CreatedAt)
		}

		_, err = db.Tx(ctx, func(tx inbox.Tx) error {
			same := []*inbox.Message{
				{CompanyID: f.company.ID, ThreadID: threads[0], NumberID: f.number.ID, ContactID: f.contact.ID, Direction: inbox.Inbound,
					Status: inbox.StatusReceived, Body: "a", PlivoUUID: uuid("u-a")},
				{CompanyID: f.company.ID, ThreadID: threads[0], NumberID: f.number.ID, ContactID: f.contact.ID, Direction: inbox.Inbound,
					Status: inbox.StatusReceived, Body: "b", PlivoUUID: uuid("u-b")},
			}
			return tx.InsertMessages(ctx, same)
		})
		if err == nil {
			t.Error("InsertMessages of two messages on one thread: no error")
		}
		if _, err = db.Tx(ctx, func(tx inbox.Tx) error { return tx.InsertMessages(ctx, nil) }); err != nil {
			t.Errorf("InsertMessages of none: %v", err)
		}
	})
}

// TestEventsAfterWhileWritten: reading a topic's events after its current
// seq while other transactions add events to it is never taken for pruned
// events. Such a read finds no rows, then the topic's seq; an event
// committed between the two statements used to make the seq run ahead of
// what the read saw, and the replay answered resync (a client lost its
// place for nothing).
func TestEventsAfterWhileWritten(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		const topic = "number:1"
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel() // first: the writer stops, then it is waited for
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := db.Tx(ctx, func(tx inbox.Tx) error { return tx.Emit(topic, "e", map[string]int{}) }); err != nil && ctx.Err() == nil {
					t.Errorf("emit: %v", err)
					return
				}
			}
		})
		deadline := time.Now().Add(time.Second) // the old read failed within 0.1 s on both engines
		for reads := 0; time.Now().Before(deadline); reads++ {
			seqs, err := db.TopicSeqs(ctx, []string{topic})
			if err != nil {
				t.Fatal(err)
			}
			after := seqs[topic]
			events, err := db.EventsAfter(ctx, topic, after, 64)
			if err != nil {
				t.Fatalf("read %d: EventsAfter(%s, %d) while events are added: %v", reads, topic, after, err)
			}
			for i, e := range events {
				if e.Seq != after+int64(i)+1 {
					t.Fatalf("read %d: event %d after %d has seq %d", reads, i, after, e.Seq)
				}
			}
		}
	})
}
