package main

// Erasure of a contact's personal data, and the company's retention_days.

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/inbox"
)

// storedText is every value of every row of every table of the server's
// database, as text: what an erasure must leave no trace in.
func storedText(t *testing.T, db *sqlx.DB, postgres bool) string {
	t.Helper()
	var tables []string
	var err error
	if postgres {
		err = db.Select(&tables, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	} else {
		err = db.Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	}
	if err != nil || len(tables) < 20 {
		t.Fatalf("list tables: %v (%d)", err, len(tables))
	}
	var b strings.Builder
	for _, table := range tables {
		if postgres {
			var rows []string
			if err := db.Select(&rows, `SELECT t::text FROM "`+table+`" t`); err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			b.WriteString(strings.Join(rows, "\n"))
			continue
		}
		rows, err := db.Queryx(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			for _, v := range vals {
				fmt.Fprintf(&b, "%s\t", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

// DELETE /api/contacts/{id} leaves no trace of the contact's personal data
// in any table, the search index or the stored events, keeps the report's
// counts, and the consent ledger still verifies.
func TestEraseContact(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, time.Now().UTC(), false)
		ats := tokenClient(t, c.s, c.admin)
		casey := c.contact(t, "Casey Quixote", "+14155550123", true)
		c.admin.call("PATCH", "/api/contacts/"+itoa(casey.ID), map[string]any{"email": "casey.quixote@example.com", "external_id": "ats-77"}, 200, nil)
		drew := c.contact(t, "Drew", "+14155550124", true)
		c.text(t, casey.Phone, "Is the xylophonist opening still available?", nil)
		c.send(t, casey.ID, "Yes, the xylophonist role is open", 202)
		c.text(t, casey.Phone, "STOP", nil)
		c.text(t, casey.Phone, "START", nil)
		c.text(t, drew.Phone, "Drew keeps his words", nil)
		eventually(t, 10*time.Second, "the replies are sent", func() bool { return len(c.fake.Creates()) >= 3 })

		var found searchAnswer
		c.ana.call("GET", "/api/search?q=xylophonist", nil, 200, &found)
		if len(found.Messages) != 2 {
			t.Fatalf("search before: %d messages; want 2", len(found.Messages))
		}
		var before reportJSON
		c.admin.call("GET", "/api/reports/sms-activity", nil, 200, &before)
		entriesBefore := len(c.proof(t, casey.ID).Entries)

		c.ana.call("DELETE", "/api/contacts/"+itoa(casey.ID), nil, 403, nil)
		ats.call("DELETE", "/api/contacts/"+itoa(casey.ID), nil, 204, nil)
		ats.call("DELETE", "/api/contacts/"+itoa(casey.ID), nil, 204, nil) // again: nothing more to do
		ats.call("DELETE", "/api/contacts/999999", nil, 404, nil)

		var erased inbox.Contact
		c.admin.call("GET", "/api/contacts/"+itoa(casey.ID), nil, 200, &erased)
		if erased.Name != "[erased]" || erased.Email != "[erased]" || erased.Phone != "[erased:"+itoa(casey.ID)+"]" || erased.ExternalID != nil {
			t.Errorf("erased contact %+v; want its name, email, phone and external id gone", erased)
		}
		var msgs struct{ Threads []inbox.Thread }
		c.admin.call("GET", "/api/contacts/"+itoa(casey.ID)+"/messages", nil, 200, &msgs)
		for _, th := range msgs.Threads {
			var page struct{ Messages []inbox.Message }
			c.ana.call("GET", "/api/threads/"+itoa(th.ID)+"/messages", nil, 200, &page)
			for _, m := range page.Messages {
				if m.Body != "[erased]" {
					t.Errorf("message %d still says %q", m.ID, m.Body)
				}
			}
		}
		found = searchAnswer{}
		c.ana.call("GET", "/api/search?q=xylophonist", nil, 200, &found)
		if len(found.Messages) != 0 {
			t.Errorf("search after: %d messages; want none", len(found.Messages))
		}
		c.ana.call("GET", "/api/search?q=Quixote", nil, 200, &found)
		if len(found.Contacts) != 0 {
			t.Errorf("search by name after: %d contacts; want none", len(found.Contacts))
		}
		var after reportJSON
		c.admin.call("GET", "/api/reports/sms-activity", nil, 200, &after)
		if counts(after.Totals) != counts(before.Totals) {
			t.Errorf("report totals %+v after; want %+v as before", counts(after.Totals), counts(before.Totals))
		}
		proof := c.proof(t, casey.ID)
		last := proof.Entries[len(proof.Entries)-1]
		if len(proof.Entries) != entriesBefore+1 || last.Source != "erasure" || last.State != proof.Entries[len(proof.Entries)-2].State {
			t.Errorf("ledger after: %d entries, last %+v; want one more, source erasure, the state unchanged", len(proof.Entries), last)
		}
		cliEnv := map[string]string{"INBOX_DATA_DIR": c.s.cfg.DataDir, "DATABASE_URL": c.s.cfg.DatabaseURL, "INBOX_LOG_LEVEL": "error"}
		if out, _, err := testCLI(t, cliEnv, "", "consent", "verify"); err != nil || !strings.Contains(out, "verified") {
			t.Errorf("consent verify after the erasure: %q, %v", out, err)
		}
		// The feed says so, and its earlier events no longer hold the data.
		all := feed(t, ats, 0)
		if all[len(all)-2].Type != "contact.erased" && all[len(all)-1].Type != "contact.erased" {
			t.Errorf("feed ends with %v; want contact.erased", typesOf(all[len(all)-2:]))
		}
		db := rawDB(t, c.s.cfg)
		text := storedText(t, db, c.s.cfg.DatabaseURL != "")
		for _, secret := range []string{"xylophonist", "Quixote", "casey.quixote", "4155550123", "ats-77"} {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%q is still stored: …%s…", secret, text[max(0, i-120):min(len(text), i+60)])
			}
		}
		if !strings.Contains(text, "Drew keeps his words") {
			t.Error("another contact's words were erased too")
		}
		// The erased contact gets no text: its phone is no phone.
		if _, code := c.send(t, casey.ID, "hello?", 409); code != "contact_erased" {
			t.Errorf("send to an erased contact: %s; want contact_erased", code)
		}
	})
}

// Message words older than the company's retention_days are erased by the
// janitor; newer ones and the counts stay.
func TestRetentionDays(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, merge(env, map[string]string{"PLIVO_TIMEOUT": "100ms"}), time.Now().UTC(), false)
		casey := c.contact(t, "Casey", "+14155550123", true)
		c.text(t, casey.Phone, "an old zeppelin story", nil)
		var before reportJSON
		c.admin.call("GET", "/api/reports/sms-activity", nil, 200, &before)
		c.admin.call("PUT", "/api/company", map[string]any{"retention_days": 0}, 422, nil)
		var co inbox.Company
		c.admin.call("PUT", "/api/company", map[string]any{"retention_days": 2}, 200, &co)
		if co.RetentionDays == nil || *co.RetentionDays != 2 {
			t.Fatalf("retention_days %v; want 2", co.RetentionDays)
		}
		c.clk.Advance(49 * time.Hour)
		c.text(t, casey.Phone, "a fresh zeppelin story", nil)
		eventually(t, 15*time.Second, "the old words are erased", func() bool {
			var found searchAnswer
			c.ana.call("GET", "/api/search?q=zeppelin", nil, 200, &found)
			return len(found.Messages) == 1 && strings.Contains(found.Messages[0].Message.Body, "fresh")
		})
		var after reportJSON
		c.admin.call("GET", "/api/reports/sms-activity?"+url.Values{"from": {c.clk.Now().Add(-60 * time.Hour).Format(time.RFC3339)}}.Encode(), nil, 200, &after)
		if after.Totals.Inbound != before.Totals.Inbound+1 {
			t.Errorf("inbound count %d after; want %d (the erased text still counts)", after.Totals.Inbound, before.Totals.Inbound+1)
		}
		var erased inbox.Contact
		c.admin.call("GET", "/api/contacts/"+itoa(casey.ID), nil, 200, &erased)
		if erased.Name != "Casey" {
			t.Errorf("retention erased the contact's name: %q", erased.Name)
		}
		c.admin.call("PUT", "/api/company", map[string]any{"retention_days": nil}, 200, &co)
		if co.RetentionDays != nil {
			t.Errorf("retention_days %v after null; want null", *co.RetentionDays)
		}
	})
}
