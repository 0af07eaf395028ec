package plivotest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	plivogo "github.com/plivo/plivo-go/v7"
)

// listClient is plivo-go's own client pointed at the fake.
func listClient(t *testing.T, s *Server, token string) *plivogo.Client {
	t.Helper()
	c, err := plivogo.NewClient(s.AuthID, token, &plivogo.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.BaseUrl, _ = url.Parse(s.URL)
	return c
}

// TestMessageListThroughPlivoGo: the fake answers Messages.List as plivo-go
// calls it — limit and offset, meta.next until the last page, the
// direction and time filters — and plivo-go parses every record.
func TestMessageListThroughPlivoGo(t *testing.T) {
	s := NewServer(t, "MAID", "token")
	base := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	var uuids []string
	for i := range 45 {
		uuids = append(uuids, s.Receive("+1415555"+fmt.Sprintf("%04d", i), "+14155550100", base.Add(time.Duration(i)*time.Second+123456*time.Microsecond)))
	}
	s.AddRecord(Record{UUID: "out-1", From: "+14155550100", To: "+14155550111", Direction: "outbound", State: "failed",
		ErrorCode: "30", At: base.Add(time.Minute)})
	c := listClient(t, s, "token")

	// Newest first, 20 a page, meta.next to the next offset.
	params := plivogo.MessageListParams{Limit: 20, MessageDirection: "inbound"}
	var got []plivogo.Message
	for page := 0; ; page++ {
		list, err := c.Messages.List(params)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		got = append(got, list.Objects...)
		if list.Meta.Next == nil {
			if page != 2 || len(list.Objects) != 5 {
				t.Errorf("the last page is page %d with %d records; want page 2 with 5", page, len(list.Objects))
			}
			break
		}
		next, err := url.Parse(*list.Meta.Next)
		if err != nil || !strings.HasPrefix(next.Path, "/v1/Account/MAID/Message/") || next.Query().Get("message_direction") != "inbound" {
			t.Fatalf("meta.next = %q; want the next page of the same list", *list.Meta.Next)
		}
		fmt.Sscan(next.Query().Get("offset"), &params.Offset)
		if params.Offset != 20*(page+1) {
			t.Fatalf("meta.next offset = %d; want %d", params.Offset, 20*(page+1))
		}
	}
	if len(got) != 45 {
		t.Fatalf("listed %d inbound records; want 45", len(got))
	}
	for i, m := range got {
		want := uuids[44-i]
		if m.MessageUUID != want || m.MessageDirection != "inbound" || m.MessageState != "received" || m.MessageType != "sms" ||
			m.ToNumber != "14155550100" || !strings.HasPrefix(m.FromNumber, "1415555") {
			t.Fatalf("record %d = %+v; want %s, inbound, received, sms, digits without +", i, m, want)
		}
	}
	at := base.Add(44*time.Second + 123456*time.Microsecond)
	if got[0].MessageTime != at.Format("2006-01-02 15:04:05.999999-07:00") {
		t.Errorf("message_time = %q; want %q", got[0].MessageTime, at.Format("2006-01-02 15:04:05.999999-07:00"))
	}

	// message_time__gt is strict, to the microsecond; __lt bounds it.
	list, err := c.Messages.List(plivogo.MessageListParams{Limit: 20, MessageDirection: "inbound",
		MessageTimeGreaterThan: base.Add(40*time.Second + 123456*time.Microsecond).Format("2006-01-02 15:04:05.000000"),
		MessageTimeLessThan:    base.Add(43 * time.Second).Format("2006-01-02 15:04:05")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Objects) != 2 || list.Meta.Next != nil {
		t.Errorf("records after 15:00:40.123456 and before 15:00:43: %d, next %v; want 2 (41, 42) and no next", len(list.Objects), list.Meta.Next)
	}
	// YYYY-MM-DD HH:MM works too.
	if list, err := c.Messages.List(plivogo.MessageListParams{MessageDirection: "inbound", MessageTimeGreaterOrEqual: "2026-03-02 15:01"}); err != nil || len(list.Objects) != 0 {
		t.Errorf("records from 15:01 on: %v, %v; want none", list, err)
	}
	// Outbound: the texts the fake accepted and the records added.
	if _, err := listClient(t, s, "token").Messages.Create(plivogo.MessageCreateParams{Src: "+14155550100", Dst: "+14155550122", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Messages.List(plivogo.MessageListParams{Limit: 20, MessageDirection: "outbound"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Objects) != 2 || out.Objects[0].MessageUUID != s.Creates()[0].MessageUUID || out.Objects[0].MessageState != "sent" ||
		out.Objects[1].ErrorCode != "30" || out.Objects[1].MessageState != "failed" {
		t.Errorf("outbound records = %+v; want the create (sent), then the failed record with error 30", out.Objects)
	}

	// What Plivo refuses.
	if _, err := c.Messages.List(plivogo.MessageListParams{Limit: 21}); err == nil {
		t.Error("limit 21: got no error; want Plivo's refusal")
	}
	if _, err := c.Messages.List(plivogo.MessageListParams{MessageTimeGreaterThan: "yesterday"}); err == nil {
		t.Error("a message_time__gt that is no time: got no error; want Plivo's refusal")
	}
	if _, err := listClient(t, s, "wrong").Messages.List(plivogo.MessageListParams{}); err == nil {
		t.Error("wrong auth token: got no error; want 401")
	}
}

// TestMessageListRateLimit: beyond the limit in a minute, 429 with
// Retry-After, counted.
func TestMessageListRateLimit(t *testing.T) {
	s := NewServer(t, "MAID", "token")
	s.LimitLists(2)
	c := listClient(t, s, "token")
	for i := range 3 {
		_, err := c.Messages.List(plivogo.MessageListParams{})
		if (err != nil) != (i == 2) {
			t.Errorf("request %d: err %v; want an error for the third only", i+1, err)
		}
	}
	if answered, throttled := s.Lists(); answered != 2 || throttled != 1 {
		t.Errorf("Lists() = %d answered, %d throttled; want 2 and 1", answered, throttled)
	}
}
