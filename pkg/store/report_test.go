package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store"
	"smsinbox/pkg/store/storetest"
)

// reportMsg is a message as a report test inserted it: what the report's
// answers are checked against, computed here without SQL.
type reportMsg struct {
	id       int64
	at       time.Time
	number   int64
	contact  int64
	sender   int64 // 0: none
	dir      inbox.Direction
	status   inbox.Status
	segments int
	body     string
	units    string // Plivo's charge, "" when it has said nothing
	amount   string
}

// matches is the report's filter, restated independently of the store.
func (m reportMsg) matches(f inbox.ReportFilter) bool {
	return !m.at.Before(f.From) && m.at.Before(f.To) &&
		(f.NumberID == 0 || m.number == f.NumberID) &&
		(f.UserID == 0 || m.sender == f.UserID) &&
		(f.ContactID == 0 || m.contact == f.ContactID) &&
		(f.Direction == "" || m.dir == f.Direction) &&
		(f.Status == "" || m.status == f.Status)
}

// reportWorld is two companies with messages over six weeks: acme with two
// numbers, three contacts and two senders; globex with its own messages at
// the very same times.
type reportWorld struct {
	db           *store.DB
	acme, globex fixture
	numbers      []inbox.Number // acme's
	contacts     []inbox.Contact
	senders      []inbox.User
	msgs         []reportMsg // acme's, in insertion order
	end          time.Time   // every message is before end
}

// slot is how far apart the messages' times are: three messages share each
// time, so that ties on created_at fall across page boundaries.
const slot = 55 * time.Hour

func newReportWorld(t *testing.T, db *store.DB) *reportWorld {
	t.Helper()
	ctx := context.Background()
	w := &reportWorld{db: db, acme: newFixture(t, db, "acme"), globex: newFixture(t, db, "globex")}
	// Microseconds, the precision both engines keep, with fractions of
	// varying length: SQLite compares the text of these times.
	w.end = time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)
	mustTx(t, db, func(tx inbox.Tx) (any, error) {
		second := inbox.Number{CompanyID: w.acme.company.ID, E164: "+14155550901", Label: "=Warehouse"}
		if err := tx.CreateNumber(ctx, &second); err != nil {
			return nil, err
		}
		w.numbers = []inbox.Number{w.acme.number, second}
		w.contacts = []inbox.Contact{w.acme.contact}
		for i, name := range []string{"Dana", "Eli"} {
			c := inbox.Contact{CompanyID: w.acme.company.ID, Name: name, Phone: fmt.Sprintf("+1415555080%d", i),
				Kind: inbox.KindCandidate, Consent: inbox.ConsentOptedIn}
			if err := tx.CreateContact(ctx, &c); err != nil {
				return nil, err
			}
			w.contacts = append(w.contacts, c)
		}
		return nil, nil
	})
	w.senders = []inbox.User{w.acme.recruiter, w.acme.admin}
	statuses := []inbox.Status{inbox.StatusQueued, inbox.StatusSent, inbox.StatusDelivered, inbox.StatusFailed, inbox.StatusUndelivered}
	for i := range 48 {
		m := reportMsg{
			at:       w.end.Add(-time.Duration(i/3+1)*slot + time.Duration((i/3)*123457)*time.Microsecond),
			number:   w.numbers[i%2].ID,
			contact:  w.contacts[(i/2)%3].ID,
			dir:      inbox.Outbound,
			status:   statuses[(i/5)%5],
			segments: 1 + i%3,
			body:     fmt.Sprintf("message %d", i),
		}
		if i%5 == 0 || i%5 == 2 {
			m.dir, m.status = inbox.Inbound, inbox.StatusReceived
		} else if i%7 != 0 { // every seventh outbound is an automatic reply
			m.sender = w.senders[i%2].ID
		}
		if m.dir == inbox.Outbound && m.status != inbox.StatusQueued {
			// Amounts a float would not add exactly, at several scales.
			m.units, m.amount = fmt.Sprint(m.segments), []string{"0.1", "0.2", "0.00650", "0.0130", "7"}[i%5]
		}
		w.msgs = append(w.msgs, w.insert(t, w.acme.company.ID, m))
		if i%8 == 0 {
			w.insert(t, w.globex.company.ID, reportMsg{at: m.at, number: w.globex.number.ID, contact: w.globex.contact.ID,
				sender: w.globex.recruiter.ID, dir: inbox.Outbound, status: inbox.StatusFailed, segments: 1, body: "globex"})
		}
	}
	return w
}

func (w *reportWorld) insert(t *testing.T, companyID int64, m reportMsg) reportMsg {
	t.Helper()
	ctx := context.Background()
	msg := inbox.Message{CompanyID: companyID, Direction: m.dir, Body: m.body, Status: m.status, Segments: m.segments,
		Encoding: "GSM-7", CreatedAt: m.at}
	if m.sender != 0 {
		msg.SentBy = &inbox.User{ID: m.sender}
	}
	m.id = mustTx(t, w.db, func(tx inbox.Tx) (int64, error) {
		var err error
		if msg.ThreadID, err = tx.EnsureThread(ctx, companyID, m.number, m.contact); err != nil {
			return 0, err
		}
		if _, err = tx.InsertMessage(ctx, &msg); err != nil || m.amount == "" {
			return msg.ID, err
		}
		return msg.ID, tx.SetBilling(ctx, msg.ID, inbox.Billing{Units: m.units, TotalRate: "0.0065", TotalAmount: m.amount})
	})
	return m
}

// want is what the report must answer for f: acme's matching messages,
// newest first by (created_at, id).
func (w *reportWorld) want(f inbox.ReportFilter) []reportMsg {
	var out []reportMsg
	for _, m := range w.msgs {
		if m.matches(f) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b reportMsg) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return int(b.id - a.id)
	})
	return out
}

func (w *reportWorld) rows(t *testing.T, q inbox.ReportQuery) []inbox.ReportRow {
	t.Helper()
	var rows []inbox.ReportRow
	err := w.db.ReportRows(context.Background(), w.acme.company.ID, q, func(r inbox.ReportRow) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatalf("ReportRows(%+v): %v", q, err)
	}
	return rows
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func rowID(r inbox.ReportRow) int64 { return r.MessageID }
func msgID(m reportMsg) int64       { return m.id }

func TestReportFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newReportWorld(t, db)
		month := inbox.ReportFilter{From: w.end.Add(-30 * 24 * time.Hour), To: w.end}
		all := inbox.ReportFilter{From: w.end.Add(-60 * 24 * time.Hour), To: w.end}
		with := func(f inbox.ReportFilter, edit func(*inbox.ReportFilter)) inbox.ReportFilter {
			edit(&f)
			return f
		}
		recruiter, admin := w.senders[0].ID, w.senders[1].ID
		// Bounds on message times: From is inclusive, To exclusive.
		slot1, slot3 := w.want(all)[0].at, w.want(all)[6].at
		tests := []struct {
			name string
			f    inbox.ReportFilter
		}{
			{"the last 30 days", month},
			{"six weeks", all},
			{"number", with(all, func(f *inbox.ReportFilter) { f.NumberID = w.numbers[1].ID })},
			{"sender", with(all, func(f *inbox.ReportFilter) { f.UserID = recruiter })},
			{"contact", with(all, func(f *inbox.ReportFilter) { f.ContactID = w.contacts[2].ID })},
			{"inbound", with(all, func(f *inbox.ReportFilter) { f.Direction = inbox.Inbound })},
			{"outbound", with(month, func(f *inbox.ReportFilter) { f.Direction = inbox.Outbound })},
			{"failed", with(all, func(f *inbox.ReportFilter) { f.Status = inbox.StatusFailed })},
			{"number, outbound, delivered", with(all, func(f *inbox.ReportFilter) {
				f.NumberID, f.Direction, f.Status = w.numbers[0].ID, inbox.Outbound, inbox.StatusDelivered
			})},
			{"sender and contact", with(month, func(f *inbox.ReportFilter) { f.UserID, f.ContactID = admin, w.contacts[1].ID })},
			{"contact on a number", with(all, func(f *inbox.ReportFilter) { f.ContactID, f.NumberID = w.contacts[0].ID, w.numbers[1].ID })},
			{"sender, inbound: none", with(all, func(f *inbox.ReportFilter) { f.UserID, f.Direction = recruiter, inbox.Inbound })},
			{"from a message's time, to another's", inbox.ReportFilter{From: slot3, To: slot1}},
			{"one microsecond after a time", inbox.ReportFilter{From: slot3.Add(time.Microsecond), To: slot1.Add(time.Microsecond)}},
			{"another company's number", with(all, func(f *inbox.ReportFilter) { f.NumberID = w.globex.number.ID })},
			{"another company's contact", with(all, func(f *inbox.ReportFilter) { f.ContactID = w.globex.contact.ID })},
			{"another company's user", with(all, func(f *inbox.ReportFilter) { f.UserID = w.globex.recruiter.ID })},
		}
		for _, tt := range tests {
			want := ids(w.want(tt.f), msgID)
			got := ids(w.rows(t, inbox.ReportQuery{ReportFilter: tt.f}), rowID)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got ids %v, want %v", tt.name, got, want)
			}
		}
		// The cases above select something where they should.
		for _, f := range []inbox.ReportFilter{tests[2].f, tests[7].f, tests[8].f, tests[9].f, tests[12].f} {
			if len(w.want(f)) == 0 {
				t.Fatalf("filter %+v selects nothing; the test data no longer covers it", f)
			}
		}
	})
}

func TestReportRowContent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newReportWorld(t, db)
		rows := w.rows(t, inbox.ReportQuery{ReportFilter: inbox.ReportFilter{From: w.end.Add(-60 * 24 * time.Hour), To: w.end}})
		byID := map[int64]reportMsg{}
		for _, m := range w.msgs {
			byID[m.id] = m
		}
		numbers := map[int64]inbox.Number{w.numbers[0].ID: w.numbers[0], w.numbers[1].ID: w.numbers[1]}
		contacts := map[int64]inbox.Contact{}
		for _, c := range w.contacts {
			contacts[c.ID] = c
		}
		for i, r := range rows {
			m := byID[r.MessageID]
			n, c := numbers[m.number], contacts[m.contact]
			if !r.At.Equal(m.at) || r.At.Location() != time.UTC || r.Direction != m.dir || r.Status != m.status ||
				r.Segments != m.segments || r.Body != m.body {
				t.Errorf("row %d = %+v; want %+v at %s UTC", i, r, m, m.at)
			}
			if r.Number.ID != n.ID || r.Number.E164 != n.E164 || r.Number.Label != n.Label {
				t.Errorf("row %d number = %+v, want %+v", i, r.Number, n)
			}
			if r.Contact != (inbox.ReportContact{ID: c.ID, Name: c.Name, Phone: c.Phone}) {
				t.Errorf("row %d contact = %+v, want %d %s %s", i, r.Contact, c.ID, c.Name, c.Phone)
			}
			if deref(r.Units) != m.units || deref(r.Amount) != m.amount {
				t.Errorf("row %d charge = %q units, %q; want %q, %q", i, deref(r.Units), deref(r.Amount), m.units, m.amount)
			}
			switch {
			case m.sender == 0 && r.User != nil:
				t.Errorf("row %d user = %+v, want none", i, r.User)
			case m.sender != 0 && (r.User == nil || r.User.ID != m.sender || r.User.Email == "" || r.User.Role == ""):
				t.Errorf("row %d user = %+v, want user %d with email and role", i, r.User, m.sender)
			}
		}
		if len(rows) != len(w.msgs) {
			t.Errorf("got %d rows, want %d", len(rows), len(w.msgs))
		}
		// A read of the whole range goes in batches by position; with
		// batches of 4 and three messages to a time, batch boundaries fall
		// between messages of the same time, and the rows are the same.
		store.SetReportBatch(t, 4)
		if got := ids(w.rows(t, inbox.ReportQuery{ReportFilter: inbox.ReportFilter{From: w.end.Add(-60 * 24 * time.Hour), To: w.end}}), rowID); !slices.Equal(got, ids(rows, rowID)) {
			t.Errorf("read in batches of 4: got ids %v, want %v", got, ids(rows, rowID))
		}
		// fn's error stops the reading and comes back as it is.
		stop := errors.New("client went away")
		n := 0
		err := db.ReportRows(context.Background(), w.acme.company.ID, inbox.ReportQuery{ReportFilter: inbox.ReportFilter{
			From: w.end.Add(-60 * 24 * time.Hour), To: w.end}}, func(inbox.ReportRow) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("ReportRows with a failing fn = %v after %d rows; want the fn's error after 1", err, n)
		}
	})
}

// Paging by position returns every message exactly once, in order, while
// messages keep arriving between pages: newer ones (above the position) and
// late ones with older times (below it).
func TestReportPagingUnderInserts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		w := newReportWorld(t, db)
		f := inbox.ReportFilter{From: w.end.Add(-60 * 24 * time.Hour), To: w.end.Add(time.Hour)}
		before := w.want(f)
		seen := map[int64]int{}
		var got []inbox.ReportRow
		var after *inbox.ReportPosition
		late := map[int64]bool{}
		for page := 0; ; page++ {
			if page > 100 {
				t.Fatal("paging does not end")
			}
			rows := w.rows(t, inbox.ReportQuery{ReportFilter: f, After: after, Limit: 5})
			got = append(got, rows...)
			for _, r := range rows {
				seen[r.MessageID]++
			}
			// Between pages: one newer message, and one that arrives late
			// with an old time (a slow transaction's).
			w.insert(t, w.acme.company.ID, reportMsg{at: w.end.Add(time.Duration(page) * time.Second), number: w.numbers[0].ID,
				contact: w.contacts[0].ID, dir: inbox.Inbound, status: inbox.StatusReceived, segments: 1, body: "newer"})
			m := w.insert(t, w.acme.company.ID, reportMsg{at: w.end.Add(-50*24*time.Hour + time.Duration(page)*time.Minute),
				number: w.numbers[1].ID, contact: w.contacts[1].ID, dir: inbox.Inbound, status: inbox.StatusReceived, segments: 1, body: "late"})
			late[m.id] = true
			if len(rows) < 5 {
				break
			}
			last := rows[len(rows)-1]
			after = &inbox.ReportPosition{At: last.At, ID: last.MessageID}
		}
		for _, m := range before {
			if seen[m.id] != 1 {
				t.Errorf("message %d at %s: seen %d times, want once", m.id, m.at, seen[m.id])
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("message %d seen %d times", id, n)
			}
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if !(b.At.Before(a.At) || b.At.Equal(a.At) && b.MessageID < a.MessageID) {
				t.Errorf("rows %d and %d out of order: (%s, %d) then (%s, %d)", i-1, i, a.At, a.MessageID, b.At, b.MessageID)
			}
		}
		lateSeen := 0
		for id := range late {
			lateSeen += seen[id]
		}
		if lateSeen == 0 {
			t.Errorf("none of the %d late messages (older than every position) was paged to", len(late))
		}
	})
}

type groupKey struct {
	number, sender int64
	dir            inbox.Direction
	status         inbox.Status
}

type groupCount struct {
	messages, segments, units int64
	amount                    string
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ReportGroups counts and charges each group as the messages say, whether
// it reads the rollups (whole days), the messages (the partial days, a
// contact's) or both, before and after the rollups' deltas are folded.
func TestReportGroups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newReportWorld(t, db)
		all := inbox.ReportFilter{From: w.end.Add(-60 * 24 * time.Hour), To: w.end}
		month := inbox.ReportFilter{From: w.end.Add(-30 * 24 * time.Hour), To: w.end}
		number := all
		number.NumberID = w.numbers[1].ID
		outbound := month
		outbound.Direction, outbound.UserID = inbox.Outbound, w.senders[0].ID
		contact := all
		contact.ContactID = w.contacts[1].ID
		none := all
		none.NumberID = w.globex.number.ID
		filters := map[string]inbox.ReportFilter{"all": all, "month": month, "number": number,
			"outbound by the recruiter": outbound, "a contact": contact, "another company's number": none}
		for _, stage := range []string{"before folding", "after folding"} {
			if stage == "after folding" {
				if _, err := db.FoldRollups(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for name, f := range filters {
				name = stage + ", " + name
				want := map[groupKey]groupCount{}
				for _, m := range w.want(f) {
					k := groupKey{m.number, m.sender, m.dir, m.status}
					c := want[k]
					if c.amount == "" {
						c.amount = "0" // nothing charged
					}
					c.messages++
					c.segments += int64(m.segments)
					if m.amount != "" {
						units, _ := strconv.ParseInt(m.units, 10, 64)
						c.units += units
						c.amount = inbox.AddDecimals(c.amount, m.amount)
					}
					want[k] = c
				}
				groups, err := db.ReportGroups(ctx, w.acme.company.ID, f)
				if err != nil {
					t.Fatalf("%s: ReportGroups: %v", name, err)
				}
				got := map[groupKey]groupCount{}
				for _, g := range groups {
					k := groupKey{number: g.Number.ID, dir: g.Direction, status: g.Status}
					if g.User != nil {
						k.sender = g.User.ID
						if g.User.Email == "" {
							t.Errorf("%s: group of user %d has no email", name, g.User.ID)
						}
					}
					if g.Number.E164 == "" || g.Number.Label == "" {
						t.Errorf("%s: group number = %+v, want its e164 and label", name, g.Number)
					}
					if _, dup := got[k]; dup {
						t.Errorf("%s: group %+v twice", name, k)
					}
					got[k] = groupCount{g.Messages, g.Segments, g.Units, g.Amount}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: got groups %v, want %v", name, got, want)
				}
			}
		}
	})
}

func TestReportAudit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acme, globex := newFixture(t, db, "acme"), newFixture(t, db, "globex")
		at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
		record := func(f fixture, filters string, format inbox.ReportFormat) int64 {
			a := inbox.ReportAudit{CompanyID: f.company.ID, User: f.admin, Filters: json.RawMessage(filters), Format: format, At: at}
			mustTx(t, db, func(tx inbox.Tx) (any, error) { return nil, tx.RecordReport(ctx, &a) })
			if a.ID == 0 {
				t.Fatal("RecordReport set no id")
			}
			return a.ID
		}
		first := record(acme, `{"number_id":1}`, inbox.ReportJSON)
		record(globex, `{}`, inbox.ReportCSV)
		second := record(acme, `{"status":"failed"}`, inbox.ReportCSV)

		entries, err := db.ReportAudits(ctx, acme.company.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(entries, func(a inbox.ReportAudit) int64 { return a.ID }); !slices.Equal(got, []int64{second, first}) {
			t.Fatalf("acme's audit ids = %v, want %v (newest first, acme's only)", got, []int64{second, first})
		}
		e := entries[0]
		if string(e.Filters) != `{"status":"failed"}` || e.Format != inbox.ReportCSV || !e.At.Equal(at) ||
			e.User.ID != acme.admin.ID || e.User.Email != acme.admin.Email {
			t.Errorf("entry = %+v; want the admin's csv query of failed messages at %s", e, at)
		}
		if older, err := db.ReportAudits(ctx, acme.company.ID, second, 10); err != nil || len(older) != 1 || older[0].ID != first {
			t.Errorf("ReportAudits before %d = %+v, %v; want only %d", second, older, err, first)
		}
		if g, err := db.ReportAudits(ctx, globex.company.ID, 0, 10); err != nil || len(g) != 1 || g[0].Format != inbox.ReportCSV {
			t.Errorf("globex's audit = %+v, %v; want its one csv query", g, err)
		}
	})
}
