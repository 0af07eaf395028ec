package main

import (
	"fmt"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
	"smsinbox/pkg/store/storetest"
)

// TestOutboxSurvivesKillNine: 300 texts over two numbers through a real
// inboxd binary on PostgreSQL, killed with SIGKILL twice mid-send and
// started again each time. Each kill leaves texts in flight: some that
// Plivo took without the answer reaching inboxd (the fake hangs them),
// some that Plivo never read (the fake stalls them), and whatever else the
// workers had on the wire. At the end every text was created at Plivo
// exactly once — the ones Plivo took settled with its records, taking
// their uuids; the ones it never got sent again — or failed visibly with a
// reason; none is left unknown, none was created twice.
func TestOutboxSurvivesKillNine(t *testing.T) {
	endToEnd(t)
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "PLIVO_AUTH_ID": testAuthID,
		"PLIVO_AUTH_TOKEN": testAuthToken, "PLIVO_API_URL": fake.URL,
		// A send call ends within 0.5 s, so a send in flight for 6 s was
		// cut short (twelve times the timeout); Plivo's records are read
		// every 5 s.
		"PLIVO_TIMEOUT": "500ms", "INBOX_SEND_INTERVAL": "20ms", "INBOX_PLIVO_BACKFILL": "5s"}
	const stuck = 6 * time.Second
	p := startProcess(t, env)
	p.run(t, "admin", "create", "--company", "Acme", "--email", "admin@acme.test", "--password", "correct horse")
	admin := p.server(t, testAuthToken).login(t, "admin@acme.test", "correct horse")
	admin.call("PUT", "/api/company", map[string]any{"quiet_hours": nil}, 200, nil)
	var me inbox.User
	admin.call("GET", "/api/me", nil, 200, &me)
	var numbers [2]inbox.Number
	for i := range numbers {
		admin.call("POST", "/api/numbers", map[string]string{"e164": fmt.Sprintf("+1415555010%d", i), "label": fmt.Sprint("Line ", i)}, 201, &numbers[i])
		admin.call("PUT", "/api/numbers/"+itoa(numbers[i].ID)+"/assignees", map[string]any{"user_ids": []int64{me.ID}}, 200, nil)
	}
	contacts := make([]inbox.Contact, 150)
	for i := range contacts {
		admin.call("POST", "/api/contacts", map[string]any{"name": fmt.Sprint("Candidate ", i), "phone": fmt.Sprintf("+1415556%04d", i),
			"sms_opt_in": true}, 201, &contacts[i])
	}
	// 300 texts, each to its own (number, contact) route, each body unique.
	for _, n := range numbers {
		for _, c := range contacts {
			body := fmt.Sprintf("Text from %s to %s", n.E164, c.Phone)
			admin.call("POST", "/api/contacts/"+itoa(c.ID)+"/messages", map[string]any{"body": body, "number_id": n.ID}, 202, nil)
		}
	}

	// Kill it twice mid-send, starting it again each time: at once the
	// first time; the second time after it was down for longer than a
	// send can take, so that the sends cut short by both kills are settled
	// together, in one reading of Plivo's records (within its rate limit
	// of 20 list requests a minute: one reading lists up to 15 pages).
	for i, at := range []int{80, 180} {
		eventually(t, 60*time.Second, fmt.Sprint("Plivo has ", at, " texts"), func() bool { return len(fake.Creates()) >= at })
		fake.HangNext(2)
		fake.StallNext(2)
		eventually(t, 10*time.Second, "four sends hang at Plivo", func() bool { return fake.Held() == 4 })
		p.kill9(t)
		if i == 1 {
			time.Sleep(stuck + time.Second) // down for a while
		}
		p = startProcess(t, env)

	}

	db := rawDB(t, Config{DatabaseURL: env["DATABASE_URL"]})
	var left int
	eventually(t, 120*time.Second, "every send is settled", func() bool {
		if err := db.Get(&left, `SELECT count(*) FROM messages WHERE direction = 'outbound' AND send_state IN ('pending', 'sending', 'unknown')`); err != nil {
			t.Fatal(err)
		}
		return left == 0
	})
	var msgs []struct {
		ID       int64   `db:"id"`
		Body     string  `db:"body"`
		Status   string  `db:"status"`
		UUID     *string `db:"plivo_uuid"`
		Reason   string  `db:"error_reason"`
		Attempts int     `db:"send_attempts"`
	}
	if err := db.Select(&msgs, `SELECT id, body, status, plivo_uuid, error_reason, send_attempts FROM messages WHERE direction = 'outbound'`); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 300 {
		t.Fatalf("%d outbound messages; want 300", len(msgs))
	}
	creates := map[string][]plivotest.Create{}
	for _, c := range fake.Creates() {
		creates[c.Text] = append(creates[c.Text], c)
	}
	var sent, failed, adopted, resent int
	for _, m := range msgs {
		got := creates[m.Body]
		switch {
		case len(got) > 1:
			t.Errorf("message %d (%q) was created at Plivo %d times; want once", m.ID, m.Body, len(got))
		case len(got) == 1 && (m.UUID == nil || *m.UUID != got[0].MessageUUID || m.Status == "unknown" || m.Status == "failed"):
			t.Errorf("message %d reached Plivo as %s; it shows status %s, uuid %v", m.ID, got[0].MessageUUID, m.Status, m.UUID)
		case len(got) == 0 && (m.Status != "failed" || m.Reason == ""):
			t.Errorf("message %d never reached Plivo; it shows status %s (%q); want sent, or failed with a reason", m.ID, m.Status, m.Reason)
		case len(got) == 1:
			sent++
			if got[0].Hung {
				adopted++ // only Plivo's records could tell inboxd its uuid
			}
			if m.Attempts > 1 {
				resent++
			}
		default:
			failed++
		}
	}
	t.Logf("300 texts: %d sent once (%d settled from Plivo's records, %d sent again after a kill or a stall), %d failed visibly",
		sent, adopted, resent, failed)
	if adopted < 4 || resent < 4 {
		t.Errorf("%d texts settled from Plivo's records and %d sent again; want at least the 4 hung and the 4 stalled", adopted, resent)
	}
	if len(fake.Creates()) != sent {
		t.Errorf("Plivo has %d texts; want %d, one per text sent", len(fake.Creates()), sent)
	}
}
