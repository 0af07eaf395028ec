package static

// A small in-memory fake of the smsinbox API (API.md) and /ws, just enough
// for the browser tests of this package to drive the UI without the real
// server. It is not the server: the end-to-end tests of the whole binary
// check the real thing. Keep it to what the UI calls.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

type fUser struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

type fNumber struct {
	ID        int64   `json:"id"`
	E164      string  `json:"e164"`
	Label     string  `json:"label"`
	Assignees []fUser `json:"assignees,omitempty"`
}

type fSMS struct {
	Consent   string `json:"consent"`
	Icon      string `json:"icon"`
	Source    string `json:"source,omitempty"`
	ChangedAt string `json:"changed_at,omitempty"`
}

type fContact struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	Kind  string `json:"kind"`
	SMS   fSMS   `json:"sms"`
}

type fMessage struct {
	ID        int64  `json:"id"`
	ThreadID  int64  `json:"thread_id"`
	Direction string `json:"direction"`
	Body      string `json:"body"`
	Status    string `json:"status"`
	ErrorCode string `json:"error_code"`
	Segments  int    `json:"segments"`
	Encoding  string `json:"encoding"`
	SentBy    *fUser `json:"sent_by"`
	CreatedAt string `json:"created_at"`
}

type fThread struct {
	ID            int64     `json:"id"`
	Number        fNumber   `json:"number"`
	Contact       fContact  `json:"contact"`
	UnreadCount   int       `json:"unread_count"`
	LastMessage   *fMessage `json:"last_message"`
	LastMessageAt string    `json:"last_message_at"`
	ReadBy        *fUser    `json:"read_by"`
	ReadAt        *string   `json:"read_at"`
	RepliedBy     *fUser    `json:"replied_by"`
}

type fFrame struct {
	Type  string `json:"type"`
	Topic string `json:"topic"`
	Seq   int64  `json:"seq"`
	Data  any    `json:"data"`
}

type fClient struct {
	user int64
	send chan fFrame
}

// fakeAPI is the fake server's state; every handler holds mu.
type fakeAPI struct {
	mu        sync.Mutex
	users     []fUser
	numbers   []fNumber
	assignees map[int64][]int64
	contacts  []*fContact
	threads   map[int64]*fThread
	messages  []*fMessage
	sessions  map[string]int64
	tickets   map[string]int64
	clients   map[*fClient]bool
	seqs      map[string]int64
	history   map[string][]fFrame
	idem      map[string]*fMessage
	sim       []map[string]any
	company   map[string]any
	nextID    int64
	// statusDelay is how long each outbound status step (sent, delivered) takes.
	statusDelay time.Duration
}

// The demo logins of the fake: password "demo".
const (
	fakeAdmin     = "ana@demo.test"
	fakeRecruiter = "ben@demo.test"
)

func newFakeAPI() *fakeAPI {
	return &fakeAPI{
		users:     []fUser{{1, fakeAdmin, "Ana Admin", "admin"}, {2, fakeRecruiter, "Ben Recruiter", "recruiter"}},
		numbers:   []fNumber{{ID: 1, E164: "+14155550100", Label: "Recruiting"}, {ID: 2, E164: "+14155550101", Label: "Campus"}},
		assignees: map[int64][]int64{1: {1, 2}, 2: {1}},
		contacts: []*fContact{
			{1, "Ana Ruiz", "+14155551001", "ana@example.com", "candidate", fSMS{"opted_in", "blue", "application", "2025-03-01T10:00:00Z"}},
			{2, "Carl <b>Bold</b>", "+14155551002", "", "hire", fSMS{"opted_in", "blue", "application", "2025-03-01T10:00:00Z"}},
			{3, "Dee Out", "+14155551003", "", "candidate", fSMS{"opted_out", "hidden", "keyword", "2025-03-02T10:00:00Z"}},
		},
		threads:     map[int64]*fThread{},
		sessions:    map[string]int64{},
		tickets:     map[string]int64{},
		clients:     map[*fClient]bool{},
		seqs:        map[string]int64{},
		history:     map[string][]fFrame{},
		idem:        map[string]*fMessage{},
		sim:         []map[string]any{},
		company:     map[string]any{"sms_enabled": true, "optout_reply": "You are unsubscribed.", "help_reply": "Reply STOP to stop."},
		nextID:      100,
		statusDelay: 300 * time.Millisecond,
	}
}

func (f *fakeAPI) id() int64 { f.nextID++; return f.nextID }

func fNow() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func fJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func fFail(w http.ResponseWriter, code int, c, msg string) {
	fJSON(w, code, map[string]any{"error": map[string]string{"code": c, "message": msg}})
}

func (f *fakeAPI) user(id int64) *fUser {
	for i := range f.users {
		if f.users[i].ID == id {
			return &f.users[i]
		}
	}
	return nil
}

func (f *fakeAPI) assigned(uid, nid int64) bool {
	for _, a := range f.assignees[nid] {
		if a == uid {
			return true
		}
	}
	return false
}

func (f *fakeAPI) myNumbers(uid int64) []fNumber {
	out := []fNumber{}
	for _, n := range f.numbers {
		if f.assigned(uid, n.ID) {
			out = append(out, n)
		}
	}
	return out
}

func (f *fakeAPI) topics(uid int64) []string {
	t := []string{"company:1"}
	for _, n := range f.myNumbers(uid) {
		t = append(t, fmt.Sprintf("number:%d", n.ID))
	}
	return t
}

func (f *fakeAPI) contact(id int64) *fContact {
	for _, c := range f.contacts {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (f *fakeAPI) number(id int64) *fNumber {
	for i := range f.numbers {
		if f.numbers[i].ID == id {
			return &f.numbers[i]
		}
	}
	return nil
}

// publish stores the event with the topic's next seq and sends it to the
// subscribed sockets.
func (f *fakeAPI) publish(topic, typ string, data any) {
	f.seqs[topic]++
	// Marshal now, under the lock: the records change later.
	raw, _ := json.Marshal(data)
	fr := fFrame{typ, topic, f.seqs[topic], json.RawMessage(raw)}
	f.history[topic] = append(f.history[topic], fr)
	for c := range f.clients {
		for _, t := range f.topics(c.user) {
			if t == topic {
				select {
				case c.send <- fr:
				default:
				}
			}
		}
	}
}

func (f *fakeAPI) inbox(uid int64) map[string]any {
	ts := []*fThread{}
	n := 0
	for _, t := range f.threads {
		if f.assigned(uid, t.Number.ID) {
			t.Contact = *f.contact(t.Contact.ID)
			ts = append(ts, t)
			if t.UnreadCount > 0 {
				n++
			}
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].LastMessageAt > ts[j].LastMessageAt })
	return map[string]any{"unread_total": n, "threads": ts}
}

func (f *fakeAPI) threadFor(nid, cid int64) *fThread {
	for _, t := range f.threads {
		if t.Number.ID == nid && t.Contact.ID == cid {
			return t
		}
	}
	t := &fThread{ID: f.id(), Number: *f.number(nid), Contact: *f.contact(cid)}
	f.threads[t.ID] = t
	return t
}

func (f *fakeAPI) addMessage(t *fThread, m *fMessage) {
	m.ID = f.id()
	m.ThreadID = t.ID
	m.CreatedAt = fNow()
	m.Segments = 1
	m.Encoding = "GSM-7"
	f.messages = append(f.messages, m)
	t.LastMessage = m
	t.LastMessageAt = m.CreatedAt
	c := f.contact(t.Contact.ID)
	if c.SMS.Icon == "blue" {
		c.SMS.Icon = "green"
		defer f.publish("company:1", "contact.updated", map[string]any{"contact": *c})
	}
	if m.Direction == "inbound" {
		t.UnreadCount++
	} else if m.SentBy != nil {
		t.RepliedBy = m.SentBy
	}
	t.Contact = *c
	f.publish(fmt.Sprintf("number:%d", t.Number.ID), "message.created", map[string]any{"thread": *t, "message": *m})
}

// handler serves the UI (static.Handler) and the fake API.
func (f *fakeAPI) handler(dev bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", Handler(Options{Dev: dev}))
	plain := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			h(w, r)
		}
	}
	auth := func(h func(http.ResponseWriter, *http.Request, *fUser)) http.HandlerFunc {
		return plain(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("sid")
			var u *fUser
			if err == nil {
				u = f.user(f.sessions[c.Value])
			}
			if u == nil {
				fFail(w, 401, "unauthenticated", "sign in first")
				return
			}
			h(w, r, u)
		})
	}
	pathID := func(r *http.Request) int64 {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		return id
	}

	mux.HandleFunc("POST /api/session", plain(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ Email, Password string }
		json.NewDecoder(r.Body).Decode(&b)
		for _, u := range f.users {
			if u.Email == b.Email && b.Password == "demo" {
				sid := strconv.FormatInt(time.Now().UnixNano(), 36)
				f.sessions[sid] = u.ID
				http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true})
				fJSON(w, 200, map[string]any{"user": u})
				return
			}
		}
		fFail(w, 401, "invalid_credentials", "wrong email or password")
	}))
	mux.HandleFunc("DELETE /api/session", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "", Path: "/", MaxAge: -1})
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /api/me", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		fJSON(w, 200, map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role, "numbers": f.myNumbers(u.ID)})
	}))
	mux.HandleFunc("POST /api/ws-ticket", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		t := "tk" + strconv.FormatInt(time.Now().UnixNano(), 36)
		f.tickets[t] = u.ID
		fJSON(w, 201, map[string]any{"ticket": t})
	}))
	mux.HandleFunc("GET /api/inbox", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		fJSON(w, 200, f.inbox(u.ID))
	}))
	mux.HandleFunc("GET /api/contacts", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		q := strings.ToLower(r.URL.Query().Get("q"))
		out := []*fContact{}
		for _, c := range f.contacts {
			if q == "" || strings.Contains(strings.ToLower(c.Name+" "+c.Phone), q) {
				out = append(out, c)
			}
		}
		fJSON(w, 200, map[string]any{"contacts": out, "next_cursor": nil})
	}))
	mux.HandleFunc("GET /api/contacts/{id}", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		c := f.contact(pathID(r))
		if c == nil {
			fFail(w, 404, "not_found", "contact not found")
			return
		}
		fJSON(w, 200, c)
	}))
	mux.HandleFunc("GET /api/contacts/{id}/messages", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		cid := pathID(r)
		ts := []*fThread{}
		ms := []*fMessage{}
		for _, t := range f.threads {
			if t.Contact.ID == cid && f.assigned(u.ID, t.Number.ID) {
				ts = append(ts, t)
				for _, m := range f.messages {
					if m.ThreadID == t.ID {
						ms = append(ms, m)
					}
				}
			}
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
		fJSON(w, 200, map[string]any{"threads": ts, "messages": ms})
	}))
	mux.HandleFunc("GET /api/threads/{id}/messages", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		t := f.threads[pathID(r)]
		if t == nil || !f.assigned(u.ID, t.Number.ID) {
			fFail(w, 404, "not_found", "thread not found")
			return
		}
		ms := []*fMessage{}
		for _, m := range f.messages {
			if m.ThreadID == t.ID {
				ms = append(ms, m)
			}
		}
		fJSON(w, 200, map[string]any{"thread": t, "messages": ms})
	}))
	mux.HandleFunc("POST /api/contacts/{id}/messages", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		var b struct {
			Body     string `json:"body"`
			NumberID *int64 `json:"number_id"`
		}
		json.NewDecoder(r.Body).Decode(&b)
		key := r.Header.Get("Idempotency-Key")
		if m, ok := f.idem[key]; ok && key != "" {
			fJSON(w, 202, map[string]any{"message": m})
			return
		}
		c := f.contact(pathID(r))
		switch {
		case c == nil:
			fFail(w, 404, "not_found", "contact not found")
			return
		case c.SMS.Consent == "opted_out":
			fFail(w, 409, "opted_out", "the contact opted out")
			return
		case strings.TrimSpace(b.Body) == "":
			fFail(w, 422, "invalid_body", "empty body")
			return
		}
		var nid int64
		if b.NumberID != nil {
			nid = *b.NumberID
			if !f.assigned(u.ID, nid) {
				fFail(w, 403, "not_assigned", "not assigned to this number")
				return
			}
		} else if mine := f.myNumbers(u.ID); len(mine) == 1 {
			nid = mine[0].ID
		} else {
			fFail(w, 422, "number_required", "choose a number")
			return
		}
		t := f.threadFor(nid, c.ID)
		m := &fMessage{Direction: "outbound", Body: b.Body, Status: "queued", SentBy: u}
		f.addMessage(t, m)
		f.idem[key] = m
		f.sim = append(f.sim, map[string]any{"id": m.ID, "from": t.Number.E164, "to": c.Phone, "text": b.Body, "direction": "to_phone", "at": m.CreatedAt})
		topic := fmt.Sprintf("number:%d", nid)
		go func() {
			for _, st := range []string{"sent", "delivered"} {
				time.Sleep(f.statusDelay)
				f.mu.Lock()
				m.Status = st
				f.publish(topic, "message.status", map[string]any{"message": *m})
				f.mu.Unlock()
			}
		}()
		fJSON(w, 202, map[string]any{"message": m})
	}))
	readState := func(read bool) func(http.ResponseWriter, *http.Request, *fUser) {
		return func(w http.ResponseWriter, r *http.Request, u *fUser) {
			t := f.threads[pathID(r)]
			if t == nil || !f.assigned(u.ID, t.Number.ID) {
				fFail(w, 404, "not_found", "thread not found")
				return
			}
			typ := "thread.unread"
			if read {
				t.UnreadCount, t.ReadBy, typ = 0, u, "thread.read"
				at := fNow()
				t.ReadAt = &at
			} else {
				t.UnreadCount = max(t.UnreadCount, 1)
			}
			f.publish(fmt.Sprintf("number:%d", t.Number.ID), typ, map[string]any{"thread": *t})
			fJSON(w, 200, t)
		}
	}
	mux.HandleFunc("POST /api/threads/{id}/read", auth(readState(true)))
	mux.HandleFunc("POST /api/threads/{id}/unread", auth(readState(false)))
	mux.HandleFunc("GET /api/jobs", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		fJSON(w, 200, map[string]any{"jobs": []map[string]any{{"id": 1, "title": "Forklift operator", "applicants": 2, "created_at": "2025-02-01T00:00:00Z"}}})
	}))
	mux.HandleFunc("GET /api/jobs/{id}", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		fJSON(w, 200, map[string]any{"id": 1, "title": "Forklift operator", "applicants": 2})
	}))
	mux.HandleFunc("GET /api/jobs/{id}/applicants", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		fJSON(w, 200, map[string]any{"contacts": f.contacts[:2]})
	}))
	admin := func(h func(http.ResponseWriter, *http.Request, *fUser)) http.HandlerFunc {
		return auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
			if u.Role != "admin" {
				fFail(w, 403, "forbidden", "your role may not do this")
				return
			}
			h(w, r, u)
		})
	}
	mux.HandleFunc("GET /api/users", admin(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		fJSON(w, 200, map[string]any{"users": f.users})
	}))
	mux.HandleFunc("POST /api/users", admin(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		var b fUser
		json.NewDecoder(r.Body).Decode(&b)
		for _, x := range f.users {
			if x.Email == b.Email {
				fFail(w, 409, "email_taken", "email taken")
				return
			}
		}
		b.ID = f.id()
		f.users = append(f.users, b)
		fJSON(w, 201, b)
	}))
	mux.HandleFunc("GET /api/numbers", auth(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		out := []fNumber{}
		for _, n := range f.numbers {
			if u.Role != "admin" && !f.assigned(u.ID, n.ID) {
				continue
			}
			for _, a := range f.assignees[n.ID] {
				n.Assignees = append(n.Assignees, *f.user(a))
			}
			out = append(out, n)
		}
		fJSON(w, 200, map[string]any{"numbers": out})
	}))
	mux.HandleFunc("PUT /api/numbers/{id}/assignees", admin(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		var b struct {
			UserIDs []int64 `json:"user_ids"`
		}
		json.NewDecoder(r.Body).Decode(&b)
		n := *f.number(pathID(r))
		f.assignees[n.ID] = b.UserIDs
		for _, a := range b.UserIDs {
			n.Assignees = append(n.Assignees, *f.user(a))
		}
		f.publish("company:1", "number.updated", map[string]any{"number": n})
		fJSON(w, 200, n)
	}))
	mux.HandleFunc("GET /api/company", admin(func(w http.ResponseWriter, r *http.Request, u *fUser) { fJSON(w, 200, f.company) }))
	mux.HandleFunc("PUT /api/company", admin(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		json.NewDecoder(r.Body).Decode(&f.company)
		fJSON(w, 200, f.company)
	}))
	mux.HandleFunc("GET /api/reports/sms-activity", admin(func(w http.ResponseWriter, r *http.Request, u *fUser) {
		rows := []map[string]any{}
		totals := map[string]int{}
		for _, m := range f.messages {
			t := f.threads[m.ThreadID]
			if d := r.URL.Query().Get("direction"); d != "" && d != m.Direction {
				continue
			}
			rows = append(rows, map[string]any{"message_id": m.ID, "at": m.CreatedAt, "direction": m.Direction, "number": t.Number,
				"contact": map[string]any{"id": t.Contact.ID, "name": t.Contact.Name, "phone": t.Contact.Phone}, "user": m.SentBy,
				"body": m.Body, "status": m.Status, "error_code": m.ErrorCode, "segments": m.Segments})
			totals[m.Direction]++
			totals["segments"] += m.Segments
		}
		fJSON(w, 200, map[string]any{"rows": rows, "next_cursor": nil, "totals": totals})
	}))
	mux.HandleFunc("GET /api/dev/phone", plain(func(w http.ResponseWriter, r *http.Request) {
		cs := []map[string]any{}
		for _, c := range f.contacts {
			cs = append(cs, map[string]any{"id": c.ID, "name": c.Name, "phone": c.Phone})
		}
		fJSON(w, 200, map[string]any{"numbers": f.numbers, "contacts": cs, "messages": f.sim})
	}))
	mux.HandleFunc("POST /api/dev/phone", plain(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ From, To, Text string }
		json.NewDecoder(r.Body).Decode(&b)
		var c *fContact
		for _, x := range f.contacts {
			if x.Phone == b.From {
				c = x
			}
		}
		var n *fNumber
		for i := range f.numbers {
			if f.numbers[i].E164 == b.To {
				n = &f.numbers[i]
			}
		}
		if c == nil || n == nil {
			fFail(w, 422, "invalid_phone", "unknown phone")
			return
		}
		t := f.threadFor(n.ID, c.ID)
		m := &fMessage{Direction: "inbound", Body: b.Text, Status: "received"}
		f.addMessage(t, m)
		f.sim = append(f.sim, map[string]any{"id": m.ID, "from": b.From, "to": b.To, "text": b.Text, "direction": "from_phone", "at": m.CreatedAt})
		w.WriteHeader(202)
	}))
	mux.HandleFunc("GET /ws", f.serveWS)
	return mux
}

func (f *fakeAPI) serveWS(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ticket := r.URL.Query().Get("ticket")
	uid := f.tickets[ticket]
	delete(f.tickets, ticket)
	f.mu.Unlock()
	if uid == 0 {
		fFail(w, 401, "unauthenticated", "bad ticket")
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := r.Context()
	c := &fClient{user: uid, send: make(chan fFrame, 256)}
	f.mu.Lock()
	tops := map[string]int64{}
	for _, t := range f.topics(uid) {
		tops[t] = f.seqs[t]
	}
	hello, _ := json.Marshal(fFrame{Type: "hello", Data: map[string]any{"user": f.user(uid), "topics": tops, "inbox": f.inbox(uid)}})
	f.clients[c] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.clients, c)
		f.mu.Unlock()
	}()
	if conn.Write(ctx, websocket.MessageText, hello) != nil {
		return
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case fr := <-c.send:
				b, _ := json.Marshal(fr)
				if conn.Write(ctx, websocket.MessageText, b) != nil {
					return
				}
			}
		}
	}()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		var in struct {
			Type     string           `json:"type"`
			Topics   map[string]int64 `json:"topics"`
			ThreadID int64            `json:"thread_id"`
		}
		json.Unmarshal(data, &in)
		f.mu.Lock()
		switch in.Type {
		case "resume":
			for t, s := range in.Topics {
				for _, fr := range f.history[t] {
					if fr.Seq > s {
						c.send <- fr
					}
				}
			}
		case "typing":
			if t := f.threads[in.ThreadID]; t != nil && f.assigned(uid, t.Number.ID) {
				fr := fFrame{"typing", fmt.Sprintf("number:%d", t.Number.ID), 0, map[string]any{"thread_id": t.ID, "user": f.user(uid)}}
				for o := range f.clients {
					if o != c && f.assigned(o.user, t.Number.ID) {
						o.send <- fr
					}
				}
			}
		}
		f.mu.Unlock()
	}
}
