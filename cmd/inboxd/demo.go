package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
)

// The demo company: what `make run` shows on a fresh machine.
const (
	demoCompany  = "Demo Staffing"
	demoPassword = "smsinbox-demo"
)

// demoUsers are printed in the start-up banner.
var demoUsers = []inbox.NewUser{
	{Email: "admin@demo.test", Name: "Alex Admin", Role: inbox.RoleAdmin},
	{Email: "ana@demo.test", Name: "Ana Ruiz", Role: inbox.RoleRecruiter},
	{Email: "ben@demo.test", Name: "Ben Okafor", Role: inbox.RoleRecruiter},
	{Email: "cy@demo.test", Name: "Cy Park", Role: inbox.RoleRecruiter},
}

type demoContact struct {
	name, phone, kind string
	consent           inbox.Consent
	job               int // index into the jobs
}

var demoContacts = []demoContact{
	{"Maria Lopez", "+14155550123", inbox.KindCandidate, inbox.ConsentOptedIn, 1},
	{"James Chen", "+14155550124", inbox.KindCandidate, inbox.ConsentOptedIn, 0},
	{"Priya Patel", "+14155550125", inbox.KindCandidate, inbox.ConsentOptedIn, 1},
	{"Tom Becker", "+14155550126", inbox.KindHire, inbox.ConsentOptedIn, 0},
	{"Aisha Khan", "+14155550127", inbox.KindCandidate, inbox.ConsentOptedIn, 1},
	{"Diego Santos", "+14155550128", inbox.KindCandidate, inbox.ConsentOptedIn, 0},
	{"Emma Wilson", "+14155550129", inbox.KindHire, inbox.ConsentOptedIn, 1},
	{"Noah Kim", "+14155550130", inbox.KindCandidate, inbox.ConsentOptedIn, 0},
	{"Olivia Brown", "+14155550131", inbox.KindCandidate, inbox.ConsentOptedOut, 1},
	{"Liam Garcia", "+14155550132", inbox.KindCandidate, inbox.ConsentUnknown, 0},
}

// maybeSeedDemo seeds the demo company when the configuration asks for it
// and the store may have it: INBOX_DEMO=1, or INBOX_DEMO unset with the
// embedded store, the simulator, and no company at all in the store. A
// store holding any other company never gets the demo company, whose
// passwords are printed in every banner and README; INBOX_DEMO=0 never
// seeds. It reports whether it seeded.
func maybeSeedDemo(ctx context.Context, cfg Config, svc *inbox.Service, db *store.DB, log *slog.Logger) (bool, error) {
	if cfg.Demo != nil && !*cfg.Demo {
		return false, nil
	}
	names, err := db.CompanyNames(ctx)
	if err != nil {
		return false, err
	}
	others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == demoCompany })
	switch {
	case len(others) > 0:
		if cfg.Demo != nil {
			log.Warn("INBOX_DEMO=1 ignored: the store holds other companies, and the demo company's passwords are public",
				"companies", len(others))
		}
		return false, nil
	case cfg.Demo == nil && (cfg.DatabaseURL != "" || !cfg.Simulated() || len(names) > 0):
		return false, nil
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real()
	}
	return seedDemo(ctx, svc, db, clk.Now())
}

// seedDemo fills an empty store with the demo company, its conversations
// dated before now. It reports false when the company exists already.
func seedDemo(ctx context.Context, svc *inbox.Service, db *store.DB, now time.Time) (bool, error) {
	if _, err := db.CompanyByName(ctx, demoCompany); err == nil {
		return false, nil
	}
	admin, err := svc.Bootstrap(ctx, demoCompany, inbox.NewUser{Email: demoUsers[0].Email, Name: demoUsers[0].Name, Password: demoPassword})
	if err != nil {
		return false, fmt.Errorf("demo admin: %w", err)
	}
	users := []inbox.User{admin}
	for _, n := range demoUsers[1:] {
		n.Password = demoPassword
		u, err := svc.CreateUser(ctx, admin, n)
		if err != nil {
			return false, fmt.Errorf("demo user %s: %w", n.Email, err)
		}
		users = append(users, u)
	}
	ana, ben, cy := users[1], users[2], users[3]
	recruiting, err := svc.CreateNumber(ctx, admin, "+14155550100", "Recruiting")
	if err != nil {
		return false, fmt.Errorf("demo number: %w", err)
	}
	warehouse, err := svc.CreateNumber(ctx, admin, "+14155550111", "Warehouse")
	if err != nil {
		return false, fmt.Errorf("demo number: %w", err)
	}
	if _, err := svc.SetAssignees(ctx, admin, recruiting.ID, []int64{ana.ID, ben.ID}); err != nil {
		return false, err
	}
	if _, err := svc.SetAssignees(ctx, admin, warehouse.ID, []int64{cy.ID}); err != nil {
		return false, err
	}

	var jobs []inbox.Job
	for i, title := range []string{"Forklift Operator", "Registered Nurse"} {
		ext := fmt.Sprintf("job-%d", 101+i)
		j, _, err := svc.UpsertJob(ctx, admin, inbox.JobInput{ExternalID: &ext, Title: title})
		if err != nil {
			return false, fmt.Errorf("demo job: %w", err)
		}
		jobs = append(jobs, j)
	}
	contacts := map[string]inbox.Contact{}
	for i, dc := range demoContacts {
		ext := fmt.Sprintf("cand-%d", 1001+i)
		optIn := dc.consent != inbox.ConsentUnknown
		c, _, err := svc.UpsertContact(ctx, admin, inbox.ContactInput{ExternalID: &ext, Name: dc.name, Phone: dc.phone,
			Email: fmt.Sprintf("contact%d@example.com", i+1), Kind: dc.kind, SMSOptIn: &optIn})
		if err != nil {
			return false, fmt.Errorf("demo contact %s: %w", dc.name, err)
		}
		if err := svc.AddApplicant(ctx, admin, jobs[dc.job].ID, c.ID); err != nil {
			return false, err
		}
		contacts[dc.name] = c
	}

	// Earlier conversations: one unread reply on Recruiting, one read thread
	// on Warehouse, and Olivia's STOP with its confirmation.
	history := []struct {
		contact string
		number  inbox.Number
		msgs    []inbox.Message
		readBy  *inbox.User
		consent inbox.Consent
	}{
		{"Maria Lopez", recruiting, []inbox.Message{
			{Direction: inbox.Outbound, Body: "Hi Maria, thanks for applying to the Registered Nurse role! Are you free for a call tomorrow?", Status: inbox.StatusDelivered, SentBy: &ana, CreatedAt: now.Add(-3 * time.Hour)},
			{Direction: inbox.Inbound, Body: "Yes, after 2pm works for me.", Status: inbox.StatusReceived, CreatedAt: now.Add(-25 * time.Minute)},
		}, nil, ""},
		{"James Chen", warehouse, []inbox.Message{
			{Direction: inbox.Outbound, Body: "Hi James, your forklift certification check is done. Can you start Monday at 7am?", Status: inbox.StatusDelivered, SentBy: &cy, CreatedAt: now.Add(-26 * time.Hour)},
			{Direction: inbox.Inbound, Body: "Great, see you Monday!", Status: inbox.StatusReceived, CreatedAt: now.Add(-25 * time.Hour)},
		}, &cy, ""},
		{"Olivia Brown", recruiting, []inbox.Message{
			{Direction: inbox.Outbound, Body: "Hi Olivia, are you still interested in the Registered Nurse role?", Status: inbox.StatusDelivered, SentBy: &ben, CreatedAt: now.Add(-50 * time.Hour)},
			{Direction: inbox.Inbound, Body: "STOP", Status: inbox.StatusReceived, CreatedAt: now.Add(-49 * time.Hour)},
			{Direction: inbox.Outbound, Body: inbox.DefaultOptoutReply, Status: inbox.StatusDelivered, CreatedAt: now.Add(-49 * time.Hour)},
		}, &ben, inbox.ConsentOptedOut},
	}
	for i, h := range history {
		c := contacts[h.contact]
		_, err := db.Tx(ctx, func(tx inbox.Tx) error {
			threadID, err := tx.EnsureThread(ctx, c.CompanyID, h.number.ID, c.ID)
			if err != nil {
				return err
			}
			for j, m := range h.msgs {
				m.ThreadID, m.CompanyID = threadID, c.CompanyID
				_, m.Segments, m.Encoding = inbox.CountSegments(m.Body)
				if m.Direction == inbox.Inbound {
					uuid := fmt.Sprintf("demo-%d-%d", i, j)
					m.PlivoUUID = &uuid
				}
				if _, err := tx.InsertMessage(ctx, &m); err != nil {
					return err
				}
				if h.consent != "" && m.Direction == inbox.Inbound {
					_, err := tx.SetConsent(ctx, inbox.ConsentChange{ContactID: c.ID, From: c.Consent, To: h.consent,
						Source: inbox.SourceKeyword, Keyword: m.Body, MessageID: &m.ID, CreatedAt: m.CreatedAt})
					if err != nil {
						return err
					}
				}
			}
			if h.readBy != nil {
				_, err := tx.MarkRead(ctx, threadID, h.readBy.ID, now.Add(-time.Hour))
				return err
			}
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("demo conversation with %s: %w", h.contact, err)
		}
	}
	return true, nil
}
