package plivo

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
)

func newTestRecords(t *testing.T, fake *plivotest.Server, opts RecordsOptions) *Records {
	t.Helper()
	opts.APIURL = fake.URL
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	r, err := NewRecords(testAuthID, testToken, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// listAll collects every page of a listing, and the page sizes.
func listAll(t *testing.T, r *Records, dir inbox.Direction, after time.Time) ([]inbox.MessageRecord, []int) {
	t.Helper()
	var all []inbox.MessageRecord
	var sizes []int
	err := r.ListRecords(context.Background(), dir, after, func(page []inbox.MessageRecord) error {
		all = append(all, page...)
		sizes = append(sizes, len(page))
		return nil
	})
	if err != nil {
		t.Fatalf("ListRecords: %v", err)
	}
	return all, sizes
}

// TestRecordsListPages: every record after the time, page by page through
// plivo-go, in the inbox's terms; nothing before it, nothing of the other
// direction.
func TestRecordsListPages(t *testing.T) {
	fake := plivotest.NewServer(t, testAuthID, testToken)
	base := time.Date(2026, 3, 2, 15, 2, 0, 0, time.UTC)
	want := map[string]time.Time{}
	for i := range 45 {
		at := base.Add(time.Duration(i) * time.Minute)
		want[fake.Receive(fmt.Sprintf("+1415555%04d", i), "+14155550100", at)] = at
	}
	fake.Receive("+14155559999", "+14155550100", base.Add(-time.Second)) // before: not listed
	// From an alphanumeric sender: no phone we can store, left out.
	fake.AddRecord(plivotest.Record{UUID: "alpha", From: "ACMEJOBS", To: "+14155550100", Direction: "inbound", State: "received", At: base})
	fake.AddRecord(plivotest.Record{UUID: "out-1", From: "+14155550100", To: "+14155550111", Direction: "outbound",
		State: "undelivered", ErrorCode: "200", At: base.Add(time.Hour)})
	r := newTestRecords(t, fake, RecordsOptions{})

	got, sizes := listAll(t, r, inbox.Inbound, base.Add(-time.Millisecond))
	if fmt.Sprint(sizes) != "[20 20 5]" {
		t.Errorf("pages of %v; want [20 20 5]", sizes)
	}
	if len(got) != 45 {
		t.Fatalf("listed %d inbound records; want 45", len(got))
	}
	for i, rec := range got {
		at, ok := want[rec.UUID]
		if !ok || !rec.At.Equal(at) || rec.To != "+14155550100" || rec.From[:2] != "+1" || rec.Direction != inbox.Inbound ||
			rec.Status != inbox.StatusReceived || rec.Type != "sms" {
			t.Fatalf("record %d = %+v; want one of those received, at its time, in E.164", i, rec)
		}
		if i > 0 && rec.At.After(got[i-1].At) {
			t.Fatalf("record %d is newer than the one before; want newest first", i)
		}
	}
	out, _ := listAll(t, r, inbox.Outbound, base)
	if len(out) != 1 || out[0].Status != inbox.StatusUndelivered || out[0].ErrorCode != "200" || !out[0].OptedOut ||
		out[0].ErrorReason == "" || out[0].From != "+14155550100" {
		t.Errorf("outbound = %+v; want the undelivered record, error 200 read as an opt-out", out)
	}
}

// TestRecordsPace: never more than 20 list requests in a minute of the
// clock, however many pages; the fake, counting by the same clock, never
// has to refuse one.
func TestRecordsPace(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	fake := plivotest.NewServer(t, testAuthID, testToken)
	fake.SetClock(clk)
	fake.LimitLists(RecordsPerMinute)
	for i := range 30 * RecordsPageSize { // 30 pages
		fake.Receive(fmt.Sprintf("+1415556%04d", i), "+14155550100", clk.Now().Add(-time.Hour))
	}
	r := newTestRecords(t, fake, RecordsOptions{Clock: clk})
	done := make(chan int)
	go func() {
		n := 0
		r.ListRecords(context.Background(), inbox.Inbound, clk.Now().Add(-2*time.Hour), func(p []inbox.MessageRecord) error {
			n += len(p)
			return nil
		})
		done <- n
	}()
	// The first minute's 20 go at once; the 21st waits for the clock.
	waitUntil(t, "20 pages are listed", func() bool { answered, _ := fake.Lists(); return answered == RecordsPerMinute })
	time.Sleep(100 * time.Millisecond)
	if answered, _ := fake.Lists(); answered != RecordsPerMinute {
		t.Fatalf("%d requests in the first minute; want %d, then a wait", answered, RecordsPerMinute)
	}
	var n int
	for n == 0 {
		clk.Advance(10 * time.Second)
		select {
		case n = <-done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n != 30*RecordsPageSize {
		t.Errorf("listed %d records; want %d", n, 30*RecordsPageSize)
	}
	if answered, throttled := fake.Lists(); answered != 30 || throttled != 0 {
		t.Errorf("Plivo answered %d list requests and refused %d; want 30 and none refused", answered, throttled)
	}
}

// TestRecordsWaitOut429: a 429 pauses the listing for Retry-After, then it
// goes on where it was.
func TestRecordsWaitOut429(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	fake := plivotest.NewServer(t, testAuthID, testToken)
	fake.SetClock(clk)
	fake.LimitLists(1) // stricter than our pace
	for i := range 3 * RecordsPageSize {
		fake.Receive(fmt.Sprintf("+1415557%04d", i), "+14155550100", clk.Now().Add(-time.Minute))
	}
	r := newTestRecords(t, fake, RecordsOptions{Clock: clk})
	done := make(chan int)
	go func() {
		n := 0
		err := r.ListRecords(context.Background(), inbox.Inbound, clk.Now().Add(-time.Hour), func(p []inbox.MessageRecord) error {
			n += len(p)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	var n int
	for n == 0 {
		clk.Advance(15 * time.Second)
		select {
		case n = <-done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if answered, throttled := fake.Lists(); n != 3*RecordsPageSize || answered != 3 || throttled == 0 {
		t.Errorf("listed %d records in %d answered requests after %d refusals; want %d in 3, after some", n, answered, throttled, 3*RecordsPageSize)
	}
}

// TestRecordsStopAtPageError: the first page's error ends the listing.
func TestRecordsStopAtPageError(t *testing.T) {
	fake := plivotest.NewServer(t, testAuthID, testToken)
	for i := range 50 {
		fake.Receive(fmt.Sprintf("+1415558%04d", i), "+14155550100", time.Now().Add(-time.Minute))
	}
	r := newTestRecords(t, fake, RecordsOptions{})
	stop := fmt.Errorf("stop")
	err := r.ListRecords(context.Background(), inbox.Inbound, time.Now().Add(-time.Hour), func([]inbox.MessageRecord) error { return stop })
	if err != stop {
		t.Errorf("ListRecords = %v; want the page's error", err)
	}
	if answered, _ := fake.Lists(); answered != 1 {
		t.Errorf("%d list requests; want 1", answered)
	}
	bad, err := NewRecords(testAuthID, "wrong", RecordsOptions{APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.ListRecords(context.Background(), inbox.Inbound, time.Now(), func([]inbox.MessageRecord) error { return nil }); err == nil {
		t.Error("wrong credentials: got no error")
	}
}

func TestParseRecordTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2017-05-22 21:36:14+05:30", time.Date(2017, 5, 22, 16, 6, 14, 0, time.UTC)},
		{"2024-08-21 18:28:49.244057+05:30", time.Date(2024, 8, 21, 12, 58, 49, 244057000, time.UTC)},
		{"2026-03-02 15:02:00+00:00", time.Date(2026, 3, 2, 15, 2, 0, 0, time.UTC)},
		{"2026-03-02 15:02:00.5", time.Date(2026, 3, 2, 15, 2, 0, 500000000, time.UTC)},
		{"2026-03-02T15:02:00Z", time.Date(2026, 3, 2, 15, 2, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseRecordTime(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseRecordTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-13-02 15:02:00"} {
		if _, err := ParseRecordTime(bad); err == nil {
			t.Errorf("ParseRecordTime(%q): got no error", bad)
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
