package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// team is a company with two numbers: Recruiting (Ana and Ben) and
// Warehouse (Cy), and an opted-in contact.
type team struct {
	s                *testServer
	admin, ana, ben  *client
	cy               *client
	anaID, benID     int64
	recruiting, ware inbox.Number
	contact          inbox.Contact
}

func newTeam(t *testing.T, s *testServer) *team {
	t.Helper()
	tm := &team{s: s, admin: s.bootstrap(t, "Acme", "admin@acme.test")}
	tm.ana, tm.anaID = s.createUser(t, tm.admin, "ana@acme.test", "recruiter")
	tm.ben, tm.benID = s.createUser(t, tm.admin, "ben@acme.test", "recruiter")
	var cyID int64
	tm.cy, cyID = s.createUser(t, tm.admin, "cy@acme.test", "recruiter")
	tm.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &tm.recruiting)
	tm.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550111", "label": "Warehouse"}, 201, &tm.ware)
	tm.assign(t, tm.recruiting, tm.anaID, tm.benID)
	tm.assign(t, tm.ware, cyID)
	tm.admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &tm.contact)
	return tm
}

func (tm *team) assign(t *testing.T, n inbox.Number, ids ...int64) {
	t.Helper()
	tm.admin.call("PUT", "/api/numbers/"+itoa(n.ID)+"/assignees", map[string]any{"user_ids": ids}, 200, nil)
}

// reply posts a signed inbound text from the contact to Recruiting.
func (tm *team) reply(t *testing.T, text string) {
	t.Helper()
	if code := tm.s.webhook(t, "/webhooks/plivo/inbound", inboundForm(tm.contact.Phone, tm.recruiting.E164, text, newUUID()), nil); code != 200 {
		t.Fatalf("inbound: got %d, want 200", code)
	}
}

func threadOf(t *testing.T, f frame) inbox.Thread {
	t.Helper()
	var d struct{ Thread inbox.Thread }
	if err := json.Unmarshal(f.Data, &d); err != nil {
		t.Fatalf("decode %s: %v", f.Type, err)
	}
	return d.Thread
}

// A candidate's first text makes its consent implied: only the number
// whose thread it opens may reply, so the change goes to that number's
// assignees, not to every tab of the company. An opt-out goes to everyone.
func TestImpliedConsentStaysOnTheNumber(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		tm := newTeam(t, startServer(t, env))
		var dana inbox.Contact
		tm.admin.call("POST", "/api/contacts", map[string]any{"name": "Dana", "phone": "+14155550124"}, 201, &dana)
		a, c := tm.ana.dial(t, nil), tm.cy.dial(t, nil)
		text := func(body string) {
			t.Helper()
			if code := tm.s.webhook(t, "/webhooks/plivo/inbound", inboundForm(dana.Phone, tm.recruiting.E164, body, newUUID()), nil); code != 200 {
				t.Fatalf("inbound %q: got %d, want 200", body, code)
			}
		}
		consentOf := func(f frame) inbox.Contact {
			t.Helper()
			var d struct{ Contact inbox.Contact }
			if err := json.Unmarshal(f.Data, &d); err != nil {
				t.Fatalf("contact.updated %s: %v", f.Data, err)
			}
			return d.Contact
		}

		text("Hi, is the driver job open?")
		a.expect("message.created", 10*time.Second)
		f := a.expect("contact.updated", 10*time.Second)
		if got := consentOf(f); f.Topic != inbox.NumberTopic(tm.recruiting.ID) || got.ID != dana.ID || got.Consent != inbox.ConsentImplied {
			t.Errorf("Ana's contact.updated on %s: %+v; want Dana implied, on %s", f.Topic, got, inbox.NumberTopic(tm.recruiting.ID))
		}

		// The company topic is in commit order: Cy's first contact.updated
		// is the opt-out, so the implied change never reached him.
		text("STOP")
		for _, s := range []*socket{a, c} {
			f := s.expect("contact.updated", 10*time.Second)
			if got := consentOf(f); !strings.HasPrefix(f.Topic, "company:") || got.ID != dana.ID || got.Consent != inbox.ConsentOptedOut {
				t.Errorf("contact.updated on %s: %+v; want Dana opted out, on the company's topic", f.Topic, got)
			}
		}
	})
}

// A reply reaches every assignee and no one else; one read
// clears the bell for all; mark-unread raises it for all; typing is relayed.
func TestBellAcrossAssignees(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		tm := newTeam(t, startServer(t, env))
		a, b, c := tm.ana.dial(t, nil), tm.ben.dial(t, nil), tm.cy.dial(t, nil)
		a2 := tm.ana.dial(t, nil) // Ana's second tab
		recruiting := inbox.NumberTopic(tm.recruiting.ID)
		if _, ok := c.hello.Topics[recruiting]; ok {
			t.Errorf("Cy's hello lists %s", recruiting)
		}
		if _, ok := a.hello.Topics[recruiting]; !ok {
			t.Errorf("Ana's hello topics = %v; want %s", a.hello.Topics, recruiting)
		}

		tm.reply(t, "Is the job still open?")
		var thread inbox.Thread
		for _, s := range []*socket{a, a2, b} {
			f := s.expect("message.created", 10*time.Second)
			if f.Topic != recruiting || f.Seq < 1 {
				t.Errorf("message.created on %q seq %d; want %s", f.Topic, f.Seq, recruiting)
			}
			thread = threadOf(t, f)
			if s.bell() != 1 {
				t.Errorf("bell after the reply = %d, want 1", s.bell())
			}
		}
		// The first message turns the contact's icon green for the whole company.
		if f := c.expect("contact.updated", 10*time.Second); f.Topic != inbox.CompanyTopic(tm.contact.CompanyID) && f.Topic == "" {
			t.Errorf("contact.updated on %q", f.Topic)
		}
		c.quiet(300*time.Millisecond, "message.created")

		// Ana reads: Ben's bell clears, with attribution.
		var read inbox.Thread
		tm.ana.call("POST", "/api/threads/"+itoa(thread.ID)+"/read", nil, 200, &read)
		if read.UnreadCount != 0 || read.ReadBy == nil || read.ReadBy.ID != tm.anaID || read.ReadAt == nil {
			t.Errorf("read thread = %+v; want 0 unread, read by Ana", read)
		}
		for _, s := range []*socket{a, a2, b} {
			f := s.expect("thread.read", 10*time.Second)
			if th := threadOf(t, f); th.ReadBy == nil || th.ReadBy.Name != "ana" {
				t.Errorf("thread.read = %+v; want read by ana", th)
			}
			if s.bell() != 0 {
				t.Errorf("bell after Ana read = %d, want 0", s.bell())
			}
		}
		// Reading a read thread sends nothing.
		tm.ben.call("POST", "/api/threads/"+itoa(thread.ID)+"/read", nil, 200, nil)
		b.quiet(300*time.Millisecond, "thread.read")

		// Ben marks it unread: the bell is back for everyone.
		var unread inbox.Thread
		tm.ben.call("POST", "/api/threads/"+itoa(thread.ID)+"/unread", nil, 200, &unread)
		if unread.UnreadCount < 1 {
			t.Errorf("unread thread has unread_count %d", unread.UnreadCount)
		}
		for _, s := range []*socket{a, a2, b} {
			s.expect("thread.unread", 10*time.Second)
			if s.bell() != 1 {
				t.Errorf("bell after mark-unread = %d, want 1", s.bell())
			}
		}
		// Cy may not read or see the thread.
		tm.cy.call("POST", "/api/threads/"+itoa(thread.ID)+"/read", nil, 404, nil)
		tm.cy.call("GET", "/api/threads/"+itoa(thread.ID)+"/messages", nil, 404, nil)

		// "Ana is typing…" reaches Ben, not Ana's other tab, not Cy.
		a.send(map[string]any{"type": "typing", "thread_id": thread.ID})
		f := b.expect("typing", 10*time.Second)
		var typing struct {
			ThreadID int64 `json:"thread_id"`
			User     inbox.User
		}
		json.Unmarshal(f.Data, &typing)
		if typing.ThreadID != thread.ID || typing.User.ID != tm.anaID || f.Seq != 0 {
			t.Errorf("typing = %+v seq %d; want Ana on thread %d, no seq", typing, f.Seq, thread.ID)
		}
		a2.quiet(300*time.Millisecond, "typing")
		c.quiet(100*time.Millisecond, "typing")
	})
}

// A socket that was away gets exactly what it missed, in order, then
// live; a point too old is a resync; and the replay checks assignments now.
func TestResume(t *testing.T) {
	s := startServer(t, nil)
	tm := newTeam(t, s)
	topic := inbox.NumberTopic(tm.recruiting.ID)
	tm.reply(t, "first")
	b := tm.ben.dial(t, nil)
	last := b.hello.Topics[topic]
	if last < 1 {
		t.Fatalf("hello seq of %s = %d, want ≥ 1", topic, last)
	}
	b.conn.Close(websocket.StatusNormalClosure, "offline")

	for _, text := range []string{"one", "two", "three"} {
		tm.reply(t, text)
	}
	b = tm.ben.dial(t, map[string]int64{topic: last})
	got := b.events(topic, 3, 10*time.Second)
	for i, f := range got {
		var d struct{ Message inbox.Message }
		json.Unmarshal(f.Data, &d)
		if f.Seq != last+int64(i)+1 || f.Type != "message.created" || d.Message.Body != []string{"one", "two", "three"}[i] {
			t.Errorf("replayed %d = %s seq %d %q; want message.created seq %d %q", i, f.Type, f.Seq, d.Message.Body, last+int64(i)+1, []string{"one", "two", "three"}[i])
		}
	}
	tm.reply(t, "live")
	if f := b.events(topic, 1, 10*time.Second)[0]; f.Seq != last+4 {
		t.Errorf("live after the replay: seq %d, want %d", f.Seq, last+4)
	}
	b.quiet(300*time.Millisecond, "message.created")

	// Events older than the retention window are gone: resync.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.cfg.DataDir, "smsinbox.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM events WHERE topic = ? AND seq <= ?`, topic, last+2); err != nil {
		t.Fatal(err)
	}
	stale := tm.ben.dial(t, map[string]int64{topic: last})
	f := stale.expect("resync", 10*time.Second)
	var rs struct{ Topic string }
	json.Unmarshal(f.Data, &rs)
	if rs.Topic != topic {
		t.Errorf("resync for %q, want %s", rs.Topic, topic)
	}

	// Unassigned while offline: nothing of the number, live or replayed.
	seq := stale.seq(topic)
	stale.conn.Close(websocket.StatusNormalClosure, "offline")
	tm.assign(t, tm.recruiting, tm.anaID)
	tm.reply(t, "for Ana only")
	gone := tm.ben.dial(t, map[string]int64{topic: seq - 3})
	if _, ok := gone.hello.Topics[topic]; ok {
		t.Errorf("an unassigned user's hello lists %s", topic)
	}
	tm.reply(t, "still for Ana only")
	gone.quiet(500*time.Millisecond, "message.created", "resync")
	tm.ben.call("GET", "/api/contacts/"+itoa(tm.contact.ID)+"/messages", nil, 200, nil)
}

// An assignment change applies to open sockets at once.
func TestAssignmentFollowsOpenSockets(t *testing.T) {
	tm := newTeam(t, startServer(t, nil))
	topic := inbox.NumberTopic(tm.recruiting.ID)
	b, c := tm.ben.dial(t, nil), tm.cy.dial(t, nil)

	tm.assign(t, tm.recruiting, tm.anaID) // Ben out
	f := b.expect("topics", 10*time.Second)
	var d struct {
		Added   map[string]int64
		Removed []string
	}
	json.Unmarshal(f.Data, &d)
	if len(d.Removed) != 1 || d.Removed[0] != topic {
		t.Errorf("Ben's topics frame = %s; want %s removed", f.Data, topic)
	}
	tm.reply(t, "Ben should not see this")
	b.quiet(400*time.Millisecond, "message.created")

	tm.assign(t, tm.recruiting, tm.anaID, tm.benID) // Ben back in
	f = b.expect("topics", 10*time.Second)
	d.Added = nil
	json.Unmarshal(f.Data, &d)
	if _, ok := d.Added[topic]; !ok {
		t.Errorf("Ben's topics frame = %s; want %s added", f.Data, topic)
	}
	tm.reply(t, "Ben sees this")
	if f := b.expect("message.created", 10*time.Second); f.Topic != topic {
		t.Errorf("message.created on %s, want %s", f.Topic, topic)
	}
	c.quiet(200*time.Millisecond, "message.created")
}

func TestWebsocketSecurity(t *testing.T) {
	s := startServer(t, nil)
	tm := newTeam(t, s)
	cookies := tm.ana.http.Jar.Cookies(mustURL(t, s.URL))
	cookie := cookies[0].Name + "=" + cookies[0].Value

	if _, code := dialWith(t, s.URL, http.Header{"Cookie": {cookie}, "Origin": {"https://evil.example"}}); code != http.StatusForbidden {
		t.Errorf("cross-origin socket with a valid cookie: got %d, want 403", code)
	}
	if _, code := dialWith(t, s.URL, http.Header{"Cookie": {cookie}, "Origin": {s.URL}}); code != http.StatusSwitchingProtocols {
		t.Errorf("same-origin socket with the cookie: got %d, want 101", code)
	}
	if _, code := dialWith(t, s.URL, nil); code != http.StatusUnauthorized {
		t.Errorf("socket without credentials: got %d, want 401", code)
	}
	// A frame over the read limit closes the socket with 1009.
	a := tm.ana.dial(t, nil)
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = 'x'
	}
	a.send(map[string]string{"type": "typing", "pad": string(big)})
	if code := a.closeStatus(10 * time.Second); code != websocket.StatusMessageTooBig {
		t.Errorf("oversized frame: close %d, want 1009", code)
	}
}

func TestTicketIsSingleUse(t *testing.T) {
	s := startServer(t, nil)
	tm := newTeam(t, s)
	var tk struct{ Ticket string }
	tm.ana.call("POST", "/api/ws-ticket", nil, 201, &tk)
	for i, want := range []int{http.StatusSwitchingProtocols, http.StatusUnauthorized} {
		conn, code := dialTicket(t, s.URL, tk.Ticket)
		if code != want {
			t.Errorf("dial %d with the ticket: got %d, want %d", i+1, code, want)
		}
		if conn != nil {
			conn.CloseNow()
		}
	}
}
