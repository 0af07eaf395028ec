package inbox

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestResponseBucket(t *testing.T) {
	for _, tt := range []struct {
		seconds, bucket, lo, hi int64
	}{
		{-5, 0, 0, 1},
		{0, 0, 0, 1},
		{59, 59, 59, 60},
		{119, 119, 119, 120},
		{120, 120, 120, 125},
		{124, 120, 120, 125},
		{125, 121, 125, 130},
		{599, 215, 595, 600},
		{600, 216, 600, 630},
		{3599, 315, 3570, 3600},
		{3600, 316, 3600, 3900},
		{86399, 591, 86100, 86400},
		{86400, 592, 86400, 90000},
		{10 * 86400, 592 + 9*24, 10 * 86400, 10*86400 + 3600},
	} {
		b := ResponseBucket(tt.seconds)
		lo, hi := ResponseBucketRange(b)
		if b != tt.bucket || lo != tt.lo || hi != tt.hi {
			t.Errorf("%d s: bucket %d [%d, %d), want %d [%d, %d)", tt.seconds, b, lo, hi, tt.bucket, tt.lo, tt.hi)
		}
	}
	// Every second lands in the bucket whose range holds it, and buckets
	// follow one another with no gap.
	prevHi := int64(0)
	for b := int64(0); b < 700; b++ {
		lo, hi := ResponseBucketRange(b)
		if lo != prevHi || hi <= lo {
			t.Fatalf("bucket %d = [%d, %d), want it to start at %d", b, lo, hi, prevHi)
		}
		for _, s := range []int64{lo, hi - 1} {
			if got := ResponseBucket(s); got != b {
				t.Fatalf("%d s: bucket %d, want %d", s, got, b)
			}
		}
		prevHi = hi
	}
}

func TestResponsePercentiles(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name     string
		seconds  []int64
		p50, p90 *int64
	}{
		{"none", nil, nil, nil},
		{"one", []int64{42}, p(42), p(42)},
		{"ten", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, p(5), p(9)},
		{"eleven", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, p(6), p(10)},
		// 200 s is in [200, 205): the middle second stands for it.
		{"bucketed", []int64{30, 30, 200}, p(30), p(202)},
		{"a day", []int64{88000}, p(86400 + 1799), p(86400 + 1799)},
	} {
		h := responseHistogram{}
		for _, s := range tt.seconds {
			h[ResponseBucket(s)]++
		}
		got := h.times()
		if got.Responses != int64(len(tt.seconds)) || !reflect.DeepEqual(got.ResponseP50, tt.p50) || !reflect.DeepEqual(got.ResponseP90, tt.p90) {
			t.Errorf("%s: got %d, p50 %v, p90 %v; want %d, %v, %v", tt.name, got.Responses, deref(got.ResponseP50), deref(got.ResponseP90),
				len(tt.seconds), deref(tt.p50), deref(tt.p90))
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestSearchTerms(t *testing.T) {
	for q, want := range map[string][]string{
		"":                      nil,
		"  ,.;  ":               nil,
		"Interview":             {"interview"},
		"ana's interview!":      {"ana", "s", "interview"},
		"(415) 555-0100":        {"415", "555", "0100"},
		"José  JOSÉ café":       {"josé", "café"},
		`"quoted" & | ! : * ()`: {"quoted"},
		"a b c d e f g h i j":   {"a", "b", "c", "d", "e", "f", "g", "h"},
	} {
		if got := SearchTerms(q); !slices.Equal(got, want) {
			t.Errorf("SearchTerms(%q) = %q, want %q", q, got, want)
		}
	}
	long := SearchTerms("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	if len(long) != 1 || len(long[0]) != maxTermLen {
		t.Errorf("a long word: got %q, want it cut to %d characters", long, maxTermLen)
	}
	for q, want := range map[string]string{
		"+1 (415) 555-0100": "14155550100",
		"0100":              "0100",
		"55":                "",
		"ana 555":           "",
	} {
		if got := phoneDigits(q); got != want {
			t.Errorf("phoneDigits(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestHighlights(t *testing.T) {
	for marked, want := range map[string]struct {
		text  string
		spans [][2]int
	}{
		"no match":                   {"no match", [][2]int{}},
		"an \x02interview\x03 today": {"an interview today", [][2]int{{3, 12}}},
		"\x02café\x03 and \x02crème\x03 brûlée": {"café and crème brûlée", [][2]int{{0, 4}, {9, 14}}},
		"\x02\x03empty mark":                    {"empty mark", [][2]int{}},
		"stray \x03 end":                        {"stray  end", [][2]int{}},
	} {
		text, spans := highlights(marked)
		if text != want.text || !reflect.DeepEqual(spans, want.spans) {
			t.Errorf("highlights(%q) = %q %v, want %q %v", marked, text, spans, want.text, want.spans)
		}
	}
}

func TestInboxPlan(t *testing.T) {
	ana := User{ID: 7, CompanyID: 1}
	mine := []int64{3, 4}
	p, err := InboxRequest{}.plan(ana, mine)
	if err != nil || p.filter != FilterAll || p.limit != 200 || !slices.Equal(p.query.NumberIDs, mine) || !reflect.DeepEqual(p.states(), []bool{true, false}) {
		t.Errorf("the default plan = %+v (%v); want all, 200, both numbers, unread then read", p, err)
	}
	if p, _ := (InboxRequest{Filter: FilterUnread, Limit: 10_000}).plan(ana, mine); p.limit != 500 || !reflect.DeepEqual(p.states(), []bool{true}) {
		t.Errorf("unread with a huge limit = %+v; want 500, unread only", p)
	}
	if p, _ := (InboxRequest{Filter: FilterMine}).plan(ana, mine); p.query.Mine != ana.ID {
		t.Errorf("mine = %+v; want the caller's threads", p.query)
	}
	if p, _ := (InboxRequest{Filter: FilterAwaiting, NumberID: 4}).plan(ana, mine); !p.query.Awaiting || !slices.Equal(p.query.NumberIDs, []int64{4}) {
		t.Errorf("awaiting on number 4 = %+v", p.query)
	}
	if _, err := (InboxRequest{NumberID: 9}).plan(ana, mine); ErrorKind(err) != KindNotFound {
		t.Errorf("a number not the caller's: %v, want not_found", err)
	}
	if _, err := (InboxRequest{Filter: "starred"}).plan(ana, mine); ErrorCode(err) != "invalid_filter" {
		t.Errorf("an unknown filter: %v, want invalid_filter", err)
	}
	at := time.Date(2026, 5, 1, 9, 0, 0, 123000, time.UTC)
	read := inboxCursor{Filter: FilterAll, At: at, ID: 42}.encode()
	p, err = InboxRequest{Cursor: read}.plan(ana, mine)
	if err != nil || p.after == nil || p.after.ID != 42 || !p.after.At.Equal(at) || !reflect.DeepEqual(p.states(), []bool{false}) {
		t.Errorf("a cursor among the read threads = %+v (%v); want to go on with the read ones after 42", p.after, err)
	}
	for name, req := range map[string]InboxRequest{
		"garbage":        {Cursor: "%%%"},
		"no thread":      {Cursor: inboxCursor{Filter: FilterAll, At: at}.encode()},
		"another filter": {Cursor: read, Filter: FilterUnread},
		"another number": {Cursor: read, NumberID: 3},
	} {
		if _, err := req.plan(ana, mine); ErrorCode(err) != "invalid_cursor" || ErrorKind(err) != KindMalformed {
			t.Errorf("%s: got %v, want a 400 invalid_cursor", name, err)
		}
	}
}

func TestSearchCursor(t *testing.T) {
	c := searchCursor{Q: "interview", NumberID: 3, Before: 900, Offset: 20}
	got, err := decodeSearchCursor(c.encode())
	if err != nil || got != c {
		t.Errorf("round trip = %+v (%v), want %+v", got, err, c)
	}
	for _, bad := range []string{"", "%%%", searchCursor{}.encode(), searchCursor{Q: "x", Offset: -1}.encode()} {
		if _, err := decodeSearchCursor(bad); ErrorCode(err) != "invalid_cursor" {
			t.Errorf("decode %q: %v, want invalid_cursor", bad, err)
		}
	}
}
