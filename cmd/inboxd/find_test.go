package main

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"smsinbox/pkg/inbox"
)

// inboxPage is GET /api/inbox's answer.
type inboxPage struct {
	UnreadTotal int            `json:"unread_total"`
	Threads     []inbox.Thread `json:"threads"`
	NextCursor  *string        `json:"next_cursor"`
}

// pages reads every page of the inbox query as c and returns the threads.
func pages(t *testing.T, c *client, query string) ([]inbox.Thread, int) {
	t.Helper()
	var all []inbox.Thread
	n := 0
	for cursor := ""; ; {
		var p inboxPage
		q := query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		c.call("GET", "/api/inbox?"+q, nil, 200, &p)
		all = append(all, p.Threads...)
		n++
		if p.NextCursor == nil {
			return all, n
		}
		if n > 100 {
			t.Fatalf("%s: more than 100 pages", query)
		}
		cursor = *p.NextCursor
	}
}

// The inbox pages on past 200 threads, unread first then newest first, each
// thread once; each filter keeps what it says; GET /api/inbox with no
// parameters answers the first 200 as before, with a next_cursor.
func TestInboxPagesAndFilters(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		tm := newTeam(t, startServer(t, env))
		const total = 230
		for i := range total {
			phone := fmt.Sprintf("+1650555%04d", i)
			tm.admin.call("POST", "/api/contacts", map[string]any{"name": fmt.Sprintf("Candidate %d", i), "phone": phone, "sms_opt_in": true}, 201, nil)
			if code := tm.s.webhook(t, "/webhooks/plivo/inbound", inboundForm(phone, tm.recruiting.E164, fmt.Sprintf("text %d", i), newUUID()), nil); code != 200 {
				t.Fatalf("inbound %d: got %d", i, code)
			}
		}
		// One text on Warehouse: never in Ana's inbox.
		if code := tm.s.webhook(t, "/webhooks/plivo/inbound", inboundForm("+16505559999", tm.ware.E164, "warehouse", newUUID()), nil); code != 200 {
			t.Fatalf("inbound to Warehouse: got %d", code)
		}

		var first inboxPage
		tm.ana.call("GET", "/api/inbox", nil, 200, &first)
		if len(first.Threads) != 200 || first.NextCursor == nil || first.UnreadTotal != total {
			t.Fatalf("GET /api/inbox: %d threads, next_cursor %v, unread_total %d; want 200, a cursor, %d",
				len(first.Threads), first.NextCursor, first.UnreadTotal, total)
		}
		all, n := pages(t, tm.ana, "limit=50")
		if len(all) != total || n != 5 {
			t.Fatalf("pages of 50: %d threads in %d pages, want %d in 5", len(all), n, total)
		}
		seen := map[int64]bool{}
		for i, th := range all {
			if seen[th.ID] {
				t.Fatalf("thread %d listed twice", th.ID)
			}
			seen[th.ID] = true
			if th.Number.ID != tm.recruiting.ID {
				t.Errorf("thread %d of number %d in Ana's inbox", th.ID, th.Number.ID)
			}
			if i > 0 && th.LastMessageAt.After(*all[i-1].LastMessageAt) {
				t.Errorf("thread %d is newer than the one before it", th.ID)
			}
		}

		// Ana reads ten (claiming them), answers five of those; Ben reads
		// and answers three others.
		answer := func(c *client, th inbox.Thread) {
			c.call("POST", "/api/contacts/"+itoa(th.Contact.ID)+"/messages", map[string]any{"body": "Thanks, we will call you"}, 202, nil)
		}
		for _, th := range all[:10] {
			tm.ana.call("POST", "/api/threads/"+itoa(th.ID)+"/read", nil, 200, nil)
		}
		for _, th := range all[:5] {
			answer(tm.ana, th)
		}
		for _, th := range all[20:23] {
			tm.ben.call("POST", "/api/threads/"+itoa(th.ID)+"/read", nil, 200, nil)
			answer(tm.ben, th)
		}

		unread, _ := pages(t, tm.ana, "filter=unread&limit=40")
		if len(unread) != total-13 {
			t.Errorf("filter=unread: %d threads, want %d", len(unread), total-13)
		}
		for _, th := range unread {
			if th.UnreadCount == 0 {
				t.Errorf("filter=unread lists read thread %d", th.ID)
			}
		}
		awaiting, _ := pages(t, tm.ana, "filter=awaiting&limit=40")
		if len(awaiting) != total-8 {
			t.Errorf("filter=awaiting: %d threads, want %d", len(awaiting), total-8)
		}
		for _, th := range awaiting {
			if th.AwaitingSince == nil {
				t.Errorf("filter=awaiting lists thread %d with no awaiting_since", th.ID)
			}
		}
		mine, _ := pages(t, tm.ana, "filter=mine")
		wantMine := ids2(all[:10])
		if got := ids2(mine); !sameSet(got, wantMine) {
			t.Errorf("Ana's filter=mine: %v, want the ten she read (claimed) %v", got, wantMine)
		}
		bens, _ := pages(t, tm.ben, "filter=mine")
		if got := ids2(bens); !sameSet(got, ids2(all[20:23])) {
			t.Errorf("Ben's filter=mine: %v, want the three he read and answered", got)
		}
		everything, _ := pages(t, tm.ana, "filter=all&number_id="+itoa(tm.recruiting.ID)+"&limit=500")
		if len(everything) != total {
			t.Errorf("filter=all on Recruiting: %d threads, want %d", len(everything), total)
		}
		// Read threads come after every unread one.
		sawRead := false
		for _, th := range everything {
			if th.UnreadCount == 0 {
				sawRead = true
			} else if sawRead {
				t.Errorf("unread thread %d listed after a read one", th.ID)
			}
		}

		for query, code := range map[string]string{
			"filter=starred": "invalid_filter", "cursor=nonsense": "invalid_cursor",
			"filter=unread&cursor=" + url.QueryEscape(*first.NextCursor): "invalid_cursor",
		} {
			if got := tm.ana.call("GET", "/api/inbox?"+query, nil, 400, nil); got != code {
				t.Errorf("%s: got %q, want %s", query, got, code)
			}
		}
		tm.ana.call("GET", "/api/inbox?number_id="+itoa(tm.ware.ID), nil, 404, nil)
		var cys inboxPage
		tm.cy.call("GET", "/api/inbox", nil, 200, &cys)
		if len(cys.Threads) != 1 || cys.UnreadTotal != 1 {
			t.Errorf("Cy's inbox: %d threads, %d unread; want Warehouse's one", len(cys.Threads), cys.UnreadTotal)
		}
	})
}

func ids2(threads []inbox.Thread) []int64 {
	out := make([]int64, len(threads))
	for i, th := range threads {
		out[i] = th.ID
	}
	return out
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// searchAnswer is GET /api/search's answer.
type searchAnswer struct {
	Messages []struct {
		Message    inbox.Message `json:"message"`
		ThreadID   int64         `json:"thread_id"`
		Contact    inbox.Contact `json:"contact"`
		Snippet    string        `json:"snippet"`
		Highlights [][2]int      `json:"highlights"`
	} `json:"messages"`
	Contacts   []inbox.Contact `json:"contacts"`
	NextCursor *string         `json:"next_cursor"`
}

// Search finds only what the caller may see: Cy, on another number, finds
// nothing of Recruiting's, nor does another company; the better match comes
// first with its snippet and highlights; pages follow; contacts are found by
// name and phone.
func TestSearchEndToEnd(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		tm := newTeam(t, startServer(t, env))
		tm.reply(t, "Could we move my interview to Friday afternoon? Thanks, Casey")
		tm.reply(t, "Interview confirmed: the interview panel meets me at 3pm for the interview")
		if code := tm.s.webhook(t, "/webhooks/plivo/inbound", inboundForm("+16505550001", tm.ware.E164, "Warehouse interview shift", newUUID()), nil); code != 200 {
			t.Fatalf("inbound to Warehouse: got %d", code)
		}
		globex := tm.s.bootstrap(t, "Globex", "admin@globex.test")
		var gn inbox.Number
		globex.call("POST", "/api/numbers", map[string]string{"e164": "+14155550300", "label": "Globex"}, 201, &gn)
		var gme struct{ ID int64 }
		globex.call("GET", "/api/me", nil, 200, &gme)
		globex.call("PUT", "/api/numbers/"+itoa(gn.ID)+"/assignees", map[string]any{"user_ids": []int64{gme.ID}}, 200, nil)
		if code := tm.s.webhook(t, "/webhooks/plivo/inbound", inboundForm("+16505550002", gn.E164, "globex interview", newUUID()), nil); code != 200 {
			t.Fatalf("inbound to Globex: got %d", code)
		}

		var res searchAnswer
		tm.ana.call("GET", "/api/search?q=interv", nil, 200, &res)
		if len(res.Messages) != 2 || res.NextCursor != nil {
			t.Fatalf("Ana's search: %d messages (next %v), want Recruiting's 2", len(res.Messages), res.NextCursor)
		}
		best := res.Messages[0]
		if best.Message.Body != "Interview confirmed: the interview panel meets me at 3pm for the interview" {
			t.Errorf("best match = %q, want the text that says interview three times", best.Message.Body)
		}
		if best.ThreadID == 0 || best.ThreadID != best.Message.ThreadID || best.Contact.ID != tm.contact.ID {
			t.Errorf("hit thread %d (message's %d), contact %d; want the thread and Casey", best.ThreadID, best.Message.ThreadID, best.Contact.ID)
		}
		if len(best.Highlights) == 0 {
			t.Fatalf("snippet %q has no highlights", best.Snippet)
		}
		for _, h := range best.Highlights {
			if word := string([]rune(best.Snippet)[h[0]:h[1]]); word != "Interview" && word != "interview" {
				t.Errorf("highlight %v of %q is %q, want interview", h, best.Snippet, word)
			}
		}
		if len(res.Contacts) != 0 {
			t.Errorf("contacts for interv: %v, want none", res.Contacts)
		}

		// Cy (Warehouse) finds Warehouse's text only; Globex finds its own.
		var cys searchAnswer
		tm.cy.call("GET", "/api/search?q=interview", nil, 200, &cys)
		if len(cys.Messages) != 1 || cys.Messages[0].Message.Body != "Warehouse interview shift" {
			t.Errorf("Cy's search: %+v, want Warehouse's text only", cys.Messages)
		}
		var gs searchAnswer
		globex.call("GET", "/api/search?q=interview", nil, 200, &gs)
		if len(gs.Messages) != 1 || gs.Messages[0].Message.Body != "globex interview" {
			t.Errorf("Globex's search: %+v, want its own text only", gs.Messages)
		}
		// The admin, not assigned to a number, sees no thread; contacts yes.
		var as searchAnswer
		tm.admin.call("GET", "/api/search?q=casey", nil, 200, &as)
		if len(as.Messages) != 0 || len(as.Contacts) != 1 || as.Contacts[0].ID != tm.contact.ID {
			t.Errorf("the unassigned admin's search for casey: %d messages, contacts %v; want none, Casey", len(as.Messages), as.Contacts)
		}
		var byPhone searchAnswer
		tm.cy.call("GET", "/api/search?q="+url.QueryEscape("(415) 555-0123"), nil, 200, &byPhone)
		if len(byPhone.Contacts) != 1 || byPhone.Contacts[0].ID != tm.contact.ID || len(byPhone.Messages) != 0 {
			t.Errorf("Cy's search by Casey's phone: contacts %v, %d messages; want Casey and no message", byPhone.Contacts, len(byPhone.Messages))
		}

		// Pages of one: both of Ana's matches, best first, then nothing.
		var paged []string
		for cursor := ""; ; {
			var p searchAnswer
			tm.ana.call("GET", "/api/search?q=interview&limit=1&cursor="+url.QueryEscape(cursor), nil, 200, &p)
			for _, m := range p.Messages {
				paged = append(paged, m.Message.Body)
			}
			if cursor != "" && len(p.Contacts) != 0 {
				t.Errorf("a later page repeats the contacts")
			}
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		if len(paged) != 2 || paged[0] != best.Message.Body {
			t.Errorf("paged search: %q, want the two texts, best first", paged)
		}

		tm.ana.call("GET", "/api/search?q=interview&number_id="+itoa(tm.ware.ID), nil, 404, nil)
		for query, code := range map[string]string{"q=": "invalid_query", "q=%20!!": "invalid_query"} {
			if got := tm.ana.call("GET", "/api/search?"+query, nil, 422, nil); got != code {
				t.Errorf("%s: got %q, want %s", query, got, code)
			}
		}
		if got := tm.ana.call("GET", "/api/search?q=interview&cursor=x", nil, 400, nil); got != "invalid_cursor" {
			t.Errorf("a bad cursor: got %q, want invalid_cursor", got)
		}
	})
}
