package inbox

import (
	"reflect"
	"testing"
	"time"
)

func TestReportFilterResolve(t *testing.T) {
	now := time.Date(2025, 3, 31, 12, 0, 0, 123456789, time.UTC)
	nowUS := now.Truncate(time.Microsecond)
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name     string
		in       ReportFilter
		from, to time.Time
		code     string
	}{
		{"defaults: the last 30 days", ReportFilter{}, nowUS.Add(-30 * 24 * time.Hour), nowUS, ""},
		{"from only: up to now", ReportFilter{From: day(1)}, day(1), nowUS, ""},
		{"to only: the 30 days before", ReportFilter{To: day(31)}, day(1), day(31), ""},
		{"both, in another zone: UTC", ReportFilter{From: time.Date(2025, 3, 1, 1, 0, 0, 0, paris), To: day(2)}, day(1), day(2), ""},
		{"from after to", ReportFilter{From: day(5), To: day(4)}, time.Time{}, time.Time{}, "invalid_range"},
		{"empty window", ReportFilter{From: day(5), To: day(5)}, time.Time{}, time.Time{}, "invalid_range"},
		{"from in the future", ReportFilter{From: now.Add(time.Hour)}, time.Time{}, time.Time{}, "invalid_range"},
		{"direction", ReportFilter{Direction: "sideways"}, time.Time{}, time.Time{}, "invalid_direction"},
		{"status", ReportFilter{Status: "lost"}, time.Time{}, time.Time{}, "invalid_status"},
	}
	for _, tt := range tests {
		got, err := tt.in.resolve(now)
		if tt.code != "" {
			if ErrorCode(err) != tt.code || ErrorKind(err) != KindMalformed {
				t.Errorf("%s: got %v, want a 400 %s", tt.name, err, tt.code)
			}
			continue
		}
		if err != nil || !got.From.Equal(tt.from) || !got.To.Equal(tt.to) || got.From.Location() != time.UTC || got.To.Location() != time.UTC {
			t.Errorf("%s: got [%s, %s), %v; want [%s, %s) in UTC", tt.name, got.From, got.To, err, tt.from, tt.to)
		}
	}
}

func TestReportPageQuery(t *testing.T) {
	now := time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)
	later := now.Add(2 * time.Hour)
	first, err := ReportFilter{NumberID: 3}.pageQuery(ReportPaging{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if first.Limit != 100 || first.After != nil || first.NumberID != 3 {
		t.Errorf("first page query = %+v; want limit 100, no position, number 3", first)
	}
	last := ReportRow{MessageID: 42, At: now.Add(-time.Hour).Add(789 * time.Nanosecond)}
	cursor := first.nextCursor(last)

	// The next page keeps the first page's window, even though now moved on.
	next, err := ReportFilter{NumberID: 3}.pageQuery(ReportPaging{Cursor: cursor, Limit: 5000}, later)
	if err != nil {
		t.Fatal(err)
	}
	want := ReportQuery{ReportFilter: first.ReportFilter, After: &ReportPosition{At: last.At, ID: 42}, Limit: 1000}
	if !reflect.DeepEqual(next, want) {
		t.Errorf("next page query = %+v (after %+v); want %+v (after %+v)", next, next.After, want, want.After)
	}
	// Bounds given again with the cursor must be its own.
	if _, err := (ReportFilter{From: first.From, To: first.To}).pageQuery(ReportPaging{Cursor: cursor}, later); err != nil {
		t.Errorf("the cursor's own bounds again: %v", err)
	}
	for name, p := range map[string]struct {
		f      ReportFilter
		cursor string
	}{
		"another from":       {ReportFilter{From: first.From.Add(time.Second)}, cursor},
		"another to":         {ReportFilter{To: later}, cursor},
		"not base64":         {ReportFilter{}, "%%%"},
		"not json":           {ReportFilter{}, "bm90IGpzb24"},
		"no position":        {ReportFilter{}, reportCursor{From: now.Add(-time.Hour), To: now}.encode()},
		"window turned over": {ReportFilter{}, reportCursor{At: now, ID: 1, From: now, To: now.Add(-time.Hour)}.encode()},
	} {
		if _, err := p.f.pageQuery(ReportPaging{Cursor: p.cursor}, later); ErrorCode(err) != "invalid_cursor" || ErrorKind(err) != KindMalformed {
			t.Errorf("%s: got %v, want a 400 invalid_cursor", name, err)
		}
	}
}

func TestReportSummarize(t *testing.T) {
	ana, ben := &User{ID: 7, Email: "ana@x.test"}, &User{ID: 3, Email: "ben@x.test"}
	n1, n2 := Number{ID: 1, E164: "+14155550100"}, Number{ID: 2, E164: "+14155550101"}
	got := summarize([]ReportGroup{
		{Number: n2, Direction: Inbound, Status: StatusReceived, Messages: 5, Segments: 6},
		{Number: n1, User: ana, Direction: Outbound, Status: StatusDelivered, Messages: 10, Segments: 12, Units: 12, Amount: "0.07800"},
		{Number: n1, User: ana, Direction: Outbound, Status: StatusFailed, Messages: 2, Segments: 2, Units: 2, Amount: "0.0130"},
		{Number: n2, User: ben, Direction: Outbound, Status: StatusUndelivered, Messages: 1, Segments: 3, Units: 3, Amount: "0.0195"},
		{Number: n2, Direction: Outbound, Status: StatusQueued, Messages: 4, Segments: 4}, // automatic replies, not charged yet
		{Number: n1, Direction: Inbound, Status: StatusReceived, Messages: 8, Segments: 8},
	}, []ResponseGroup{
		// Ana answered four texts on n1: three in 30 s, one in 200 s; an
		// automatic reply answered one on n2 in 5 s.
		{Number: n1, User: ana, Bucket: ResponseBucket(30), Count: 3},
		{Number: n1, User: ana, Bucket: ResponseBucket(200), Count: 1},
		{Number: n2, Bucket: ResponseBucket(5), Count: 1},
	})
	s := func(v int64) *int64 { return &v }
	// 5, 30, 30, 30, 200: the median is the 3rd, the 90th percentile the
	// 5th (the middle of 200's five-second bucket).
	all := ResponseTimes{Responses: 5, ResponseP50: s(30), ResponseP90: s(202)}
	anas := ResponseTimes{Responses: 4, ResponseP50: s(30), ResponseP90: s(202)}
	auto := ResponseTimes{Responses: 1, ResponseP50: s(5), ResponseP90: s(5)}
	want := ReportSummary{
		Totals: ReportTotals{Inbound: 13, Outbound: 17, Failed: 3, Segments: 35, Units: "17", Amount: "0.11050", ResponseTimes: all},
		ByNumber: []NumberActivity{
			{Number: n1, Inbound: 8, Outbound: 12, Failed: 2, Segments: 22, Units: "14", Amount: "0.09100", ResponseTimes: anas},
			{Number: n2, Inbound: 5, Outbound: 5, Failed: 1, Segments: 13, Units: "3", Amount: "0.0195", ResponseTimes: auto},
		},
		ByUser: []UserActivity{
			{User: ben, Outbound: 1, Failed: 1, Segments: 3, Units: "3", Amount: "0.0195"},
			{User: ana, Outbound: 12, Failed: 2, Segments: 14, Units: "14", Amount: "0.09100", ResponseTimes: anas},
			{User: nil, Outbound: 4, Segments: 4, Units: "0", Amount: "0", ResponseTimes: auto},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summarize:\n got %+v\nwant %+v", got, want)
	}
	if empty := summarize(nil, nil); empty.ByNumber == nil || empty.ByUser == nil ||
		empty.Totals != (ReportTotals{Units: "0", Amount: "0"}) {
		t.Errorf("summarize(nil) = %+v; want zero totals and empty (not null) lists", empty)
	}
}
