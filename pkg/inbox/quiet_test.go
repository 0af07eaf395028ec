package inbox_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones, whatever the machine has installed

	"smsinbox/pkg/inbox"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Quiet hours are in the contact's local time; with several zones a time
// is quiet if it is quiet in any, and the hold lasts until it is quiet in
// none. Boundaries: the start is quiet, the end is not.
func TestQuietUntil(t *testing.T) {
	la, boise, honolulu, ny := zone(t, "America/Los_Angeles"), zone(t, "America/Boise"), zone(t, "Pacific/Honolulu"), zone(t, "America/New_York")
	def := &inbox.QuietHours{Start: "21:00", End: "08:00"}
	tests := []struct {
		name     string
		q        *inbox.QuietHours
		at       string
		zones    []*time.Location
		want     string // "" when not held
		wantNote string
	}{
		{"midday in LA", def, "2026-06-15T19:00:00Z", []*time.Location{la}, "", ""},
		{"a minute before 9 PM", def, "2026-06-16T03:59:00Z", []*time.Location{la}, "", ""},
		{"9 PM exactly is quiet", def, "2026-06-16T04:00:00Z", []*time.Location{la}, "2026-06-16T15:00:00Z", "Held until 8:00 AM candidate's time"},
		{"7:59 AM is quiet", def, "2026-06-16T14:59:00Z", []*time.Location{la}, "2026-06-16T15:00:00Z", "Held until 8:00 AM candidate's time"},
		{"8 AM exactly is not", def, "2026-06-16T15:00:00Z", []*time.Location{la}, "", ""},
		{"New York 9 AM is Honolulu 3 AM", def, "2026-06-15T13:00:00Z", []*time.Location{honolulu}, "2026-06-15T18:00:00Z", "Held until 8:00 AM candidate's time"},
		{"the same moment in New York is fine", def, "2026-06-15T13:00:00Z", []*time.Location{ny}, "", ""},
		{"two zones: quiet in both, held until the later end", def, "2026-06-15T13:30:00Z", []*time.Location{boise, la}, "2026-06-15T15:00:00Z", "Held until 8:00 AM candidate's time"},
		{"two zones: quiet in one only", def, "2026-06-15T14:30:00Z", []*time.Location{boise, la}, "2026-06-15T15:00:00Z", "Held until 8:00 AM candidate's time"},
		{"two zones: evening quiet in the eastern one", def, "2026-06-16T03:30:00Z", []*time.Location{boise, la}, "2026-06-16T15:00:00Z", "Held until 8:00 AM candidate's time"},
		{"two zones: daytime in both", def, "2026-06-15T18:00:00Z", []*time.Location{la, boise}, "", ""},
		{"spring forward: 8 AM PDT comes an hour early in UTC", def, "2026-03-08T09:30:00Z", []*time.Location{la}, "2026-03-08T15:00:00Z", "Held until 8:00 AM candidate's time"},
		{"fall back: 8 AM PST", def, "2026-11-01T08:30:00Z", []*time.Location{la}, "2026-11-01T16:00:00Z", "Held until 8:00 AM candidate's time"},
		{"an end inside the spring gap moves past it", &inbox.QuietHours{Start: "01:00", End: "02:30"}, "2026-03-08T09:15:00Z", []*time.Location{la}, "2026-03-08T10:30:00Z", "Held until 3:30 AM candidate's time"},
		{"hours that do not wrap", &inbox.QuietHours{Start: "12:00", End: "13:00"}, "2026-06-15T19:30:00Z", []*time.Location{la}, "2026-06-15T20:00:00Z", "Held until 1:00 PM candidate's time"},
		{"no quiet hours", nil, "2026-06-16T10:00:00Z", []*time.Location{la}, "", ""},
	}
	for _, tt := range tests {
		until, loc, held := inbox.QuietUntil(utc(tt.at), tt.q, tt.zones)
		if tt.want == "" {
			if held {
				t.Errorf("%s: held until %v; want not held", tt.name, until)
			}
			continue
		}
		if !held || !until.Equal(utc(tt.want)) {
			t.Errorf("%s: held %v until %v; want held until %s", tt.name, held, until, tt.want)
			continue
		}
		if note := inbox.HoldNote(until, loc); note != tt.wantNote {
			t.Errorf("%s: note %q; want %q", tt.name, note, tt.wantNote)
		}
	}
}

// Zones whose quiet periods cover the whole day still give an answer.
func TestQuietUntilEndsWhenZonesCoverTheDay(t *testing.T) {
	q := &inbox.QuietHours{Start: "12:00", End: "11:00"} // 23 h a day
	zones := []*time.Location{time.UTC, zone(t, "Asia/Tokyo"), zone(t, "America/New_York")}
	at := utc("2026-06-15T12:30:00Z")
	until, _, held := inbox.QuietUntil(at, q, zones)
	if !held || !until.After(at) || until.Sub(at) > 72*time.Hour {
		t.Errorf("held %v until %v; want held until some time within three days", held, until)
	}
}

func TestContactZones(t *testing.T) {
	tests := []struct {
		phone, tz string
		want      []string
	}{
		{"+18085550100", "", []string{"Pacific/Honolulu"}},
		{"+14155550100", "", []string{"America/Los_Angeles"}},
		{"+12085550100", "", []string{"America/Boise", "America/Los_Angeles"}},
		{"+442071838750", "", []string{"Europe/London"}},
		{"+14155550100", "America/New_York", []string{"America/New_York"}},
		{"not a phone", "", []string{"UTC"}},
	}
	for _, tt := range tests {
		var got []string
		for _, loc := range inbox.ContactZones(inbox.Contact{Phone: tt.phone, TimeZone: tt.tz}) {
			got = append(got, loc.String())
		}
		if len(got) != len(tt.want) {
			t.Errorf("zones of %s (%q) = %v; want %v", tt.phone, tt.tz, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("zones of %s (%q) = %v; want %v", tt.phone, tt.tz, got, tt.want)
				break
			}
		}
	}
}

func TestQuietHoursValidate(t *testing.T) {
	for _, q := range []inbox.QuietHours{{"21:00", "08:00"}, {"00:00", "23:59"}, {"12:00", "13:00"}} {
		if err := q.Validate(); err != nil {
			t.Errorf("%v: %v; want valid", q, err)
		}
	}
	for _, q := range []inbox.QuietHours{{"21:00", "21:00"}, {"24:00", "08:00"}, {"9:00", "08:00"}, {"21:00", ""}, {"21:60", "08:00"}, {"ab:cd", "08:00"}} {
		if err := q.Validate(); inbox.ErrorCode(err) != "invalid_quiet_hours" {
			t.Errorf("%v: %v; want invalid_quiet_hours", q, err)
		}
	}
	if err := inbox.ValidTimeZone("Mars/Olympus"); inbox.ErrorCode(err) != "invalid_time_zone" {
		t.Errorf("Mars/Olympus: %v; want invalid_time_zone", err)
	}
	if err := inbox.ValidTimeZone("Local"); inbox.ErrorCode(err) != "invalid_time_zone" {
		t.Errorf("Local: %v; want invalid_time_zone", err)
	}
}
