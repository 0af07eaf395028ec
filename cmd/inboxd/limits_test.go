package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request body trickled a byte at a time is cut after INBOX_READ_TIMEOUT,
// while an idle websocket, which is not a request body, stays open.
func TestSlowBodyIsCut(t *testing.T) {
	s := startServer(t, map[string]string{"INBOX_READ_TIMEOUT": "500ms"})
	tm := newTeam(t, s)
	sock := tm.ana.dial(t, nil)

	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
		strings.TrimPrefix(s.URL, "http://"))
	sent := make(chan int, 1)
	go func() {
		// A JSON string that never ends, a byte at a time: the decoder
		// waits for more rather than failing.
		body := `{"email":"` + strings.Repeat("a", 90)
		n := 0
		for ; n < 100 && n < len(body); n++ {
			if _, err := conn.Write([]byte{body[n]}); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		sent <- n
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	answer, err := bufio.NewReader(conn).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a body trickled a byte every 100 ms was still open after 10 s")
	}
	if answer != "" {
		t.Errorf("a cut request was answered %q; want the connection closed", answer)
	}
	conn.Close()
	if n := <-sent; n >= 100 {
		t.Errorf("the whole trickled body (%d bytes) was read; want it cut first", n)
	}

	// The socket has been open longer than the read timeout, and lives.
	time.Sleep(time.Second)
	tm.reply(t, "still here")
	sock.expect("message.created", 10*time.Second)
	tm.ana.call("GET", "/api/me", nil, 200, nil)
}

// One user may open INBOX_WS_PER_USER sockets on an instance; the next
// upgrade is 429 too_many_sockets.
func TestSocketsPerUser(t *testing.T) {
	s := startServer(t, map[string]string{"INBOX_WS_PER_USER": "2"})
	tm := newTeam(t, s)
	tm.ana.dial(t, nil)
	tm.ana.dial(t, nil)
	var tk struct{ Ticket string }
	tm.ana.call("POST", "/api/ws-ticket", nil, 201, &tk)
	if conn, code := dialTicket(t, s.URL, tk.Ticket); code != http.StatusTooManyRequests {
		if conn != nil {
			conn.CloseNow()
		}
		t.Errorf("a third socket: got %d, want 429", code)
	}
	tm.ben.dial(t, nil) // another user has places of their own
}

// Every answer says nosniff; an https deployment adds HSTS.
func TestSecurityHeaders(t *testing.T) {
	s := startServer(t, nil)
	for _, path := range []string{"/healthz", "/api/me", "/login", "/nope"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s (%d): X-Content-Type-Options %q, want nosniff", path, resp.StatusCode, got)
		}
		if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "" {
			t.Errorf("GET %s over http: Strict-Transport-Security %q, want none", path, hsts)
		}
	}
	ln := freeAddr(t)
	tls := startServer(t, map[string]string{"INBOX_ADDR": ln, "INBOX_PUBLIC_URL": "https://inbox.example.com"})
	resp, err := http.Get(tls.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("an https deployment: Strict-Transport-Security %q, want max-age", hsts)
	}
}

// /readyz names the failing part and nothing of the error: no address, no
// driver message. With only Redis down the instance stays ready (200,
// degraded): the bus is a doorbell, not a reason to leave the load balancer.
func TestReadyzHidesErrors(t *testing.T) {
	s := startServer(t, map[string]string{"REDIS_URL": "redis://" + freeAddr(t) + "/0"})
	code, body := s.client(t).raw("GET", "/readyz", nil, nil)
	var ready map[string]any
	if err := json.Unmarshal(body, &ready); err != nil {
		t.Fatal(err)
	}
	if code != 200 || ready["status"] != "degraded" || ready["bus"] != "down" || ready["store"] != "ok" {
		t.Errorf("readyz with Redis down: got %d %s, want 200 degraded with the bus down", code, body)
	}
	for _, leak := range []string{"127.0.0.1", "dial", "refused", "redis:"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("readyz says %q: %s", leak, body)
		}
	}
}

// A recruiter's number.updated carries what GET /api/numbers shows them:
// their own numbers without assignees, nothing about others' but the id.
func TestNumberUpdatedForRecruiters(t *testing.T) {
	s := startServer(t, nil)
	tm := newTeam(t, s)
	ana, cy, admin := tm.ana.dial(t, nil), tm.cy.dial(t, nil), tm.admin.dial(t, nil)
	tm.assign(t, tm.recruiting, tm.anaID)

	type number struct {
		ID        int64
		E164      string
		Label     string
		Assignees []map[string]any
	}
	read := func(name string, s *socket) number {
		t.Helper()
		f := s.expect("number.updated", 10*time.Second)
		var d struct{ Number number }
		if err := json.Unmarshal(f.Data, &d); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(f.Data), "@acme.test") && name != "admin" {
			t.Errorf("%s's number.updated names a user: %s", name, f.Data)
		}
		return d.Number
	}
	if n := read("admin", admin); len(n.Assignees) != 1 {
		t.Errorf("the admin's frame: %+v, want the assignee", n)
	}
	if n := read("Ana", ana); n.ID != tm.recruiting.ID || n.E164 != tm.recruiting.E164 || n.Assignees != nil {
		t.Errorf("Ana's frame: %+v, want Recruiting without assignees", n)
	}
	if n := read("Cy", cy); n.ID != tm.recruiting.ID || n.E164 != "" || n.Label != "" {
		t.Errorf("Cy's frame about a number not his: %+v, want its id alone", n)
	}
	var mine struct{ Numbers []map[string]any }
	tm.ana.call("GET", "/api/numbers", nil, 200, &mine)
	if len(mine.Numbers) != 1 || mine.Numbers[0]["assignees"] != nil {
		t.Errorf("GET /api/numbers as Ana: %+v, want Recruiting without assignees", mine.Numbers)
	}
}
