package inbox

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// QuietHours is the time of day no text may reach a contact, in the
// contact's local time: from Start until End ("21:00" to "08:00", which
// wraps past midnight, is the default: the TCPA's 8 AM to 9 PM).
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// DefaultQuietHours are a new company's quiet hours.
var DefaultQuietHours = QuietHours{Start: "21:00", End: "08:00"}

// ParseQuietHours reads the stored form "HH:MM-HH:MM"; nil for "" (none).
func ParseQuietHours(s string) (*QuietHours, error) {
	if s == "" {
		return nil, nil
	}
	start, end, ok := strings.Cut(s, "-")
	q := QuietHours{Start: start, End: end}
	if !ok {
		return nil, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM", s)
	}
	return &q, q.Validate()
}

// String is the stored form, "21:00-08:00".
func (q QuietHours) String() string { return q.Start + "-" + q.End }

// Validate checks both times are HH:MM on a 24-hour clock and differ.
func (q QuietHours) Validate() error {
	s, err1 := clockMinutes(q.Start)
	e, err2 := clockMinutes(q.End)
	if err1 != nil || err2 != nil {
		return Invalid("invalid_quiet_hours", `quiet_hours needs "start" and "end" as HH:MM on a 24-hour clock, like {"start":"21:00","end":"08:00"}`)
	}
	if s == e {
		return Invalid("invalid_quiet_hours", "quiet_hours start and end must differ; use null for no quiet hours")
	}
	return nil
}

// UnmarshalJSON reads {"start","end"} strictly.
func (q *QuietHours) UnmarshalJSON(b []byte) error {
	var v struct {
		Start *string `json:"start"`
		End   *string `json:"end"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Start == nil || v.End == nil {
		return Invalid("invalid_quiet_hours", `quiet_hours is {"start":"21:00","end":"08:00"} or null`)
	}
	q.Start, q.End = *v.Start, *v.End
	return nil
}

// clockMinutes reads "HH:MM" as minutes after midnight.
func clockMinutes(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return h*60 + m, nil
}

// quietIn reports whether t is inside q in loc and, if so, when that quiet
// period ends there. An end that falls in a daylight-saving gap is moved
// forward by the gap, as time.Date does: the first instant after it.
func (q QuietHours) quietIn(t time.Time, loc *time.Location) (bool, time.Time) {
	start, _ := clockMinutes(q.Start)
	end, _ := clockMinutes(q.End)
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	var quiet bool
	if start < end {
		quiet = now >= start && now < end
	} else {
		quiet = now >= start || now < end
	}
	if !quiet {
		return false, time.Time{}
	}
	y, m, d := local.Date()
	if now >= end { // the period began this evening: it ends tomorrow
		d++
	}
	at := time.Date(y, m, d, end/60, end%60, 0, 0, loc)
	// An end inside a daylight-saving gap does not exist; time.Date may
	// then read it with the offset before the gap, an instant still in
	// quiet hours. Move it on by what its clock reading lacks.
	if got := at.In(loc); got.Hour()*60+got.Minute() != end {
		if diff := end - (got.Hour()*60 + got.Minute()); diff > 0 {
			at = at.Add(time.Duration(diff) * time.Minute)
		}
	}
	return true, at
}

// QuietUntil reports whether a text at t falls in quiet hours for a contact
// whose local time is any of zones, and if so the first instant after t
// that is outside them in every zone (with several zones, a time is quiet if
// it is quiet in any). The zone of that last end is returned for the
// notice. With no quiet hours nothing is ever quiet.
func QuietUntil(t time.Time, q *QuietHours, zones []*time.Location) (time.Time, *time.Location, bool) {
	if q == nil || len(zones) == 0 {
		return time.Time{}, nil, false
	}
	at, held := t, false
	var last *time.Location
	// Each round moves past the quiet periods it finds; zones whose quiet
	// periods together cover the whole day would never end, so the search
	// stops two days on and the last end found is used.
	for at.Sub(t) < maxQuietHold {
		moved := false
		for _, loc := range zones {
			if quiet, end := q.quietIn(at, loc); quiet {
				at, last, moved, held = end, loc, true, true
			}
		}
		if !moved {
			break
		}
	}
	if !held {
		return time.Time{}, nil, false
	}
	return at.UTC(), last, true
}

// maxQuietHold bounds how far quiet hours may push a text.
const maxQuietHold = 48 * time.Hour

// ContactZones are the time zones a contact's local time may be in: its own
// time_zone when set, else every zone of its phone number's area
// (nyaruka/phonenumbers), else UTC when the number's zone is unknown.
func ContactZones(c Contact) []*time.Location {
	if c.TimeZone != "" {
		if loc, err := loadZone(c.TimeZone); err == nil {
			return []*time.Location{loc}
		}
	}
	var zones []*time.Location
	if n, err := phonenumbers.Parse(c.Phone, ""); err == nil {
		names, _ := phonenumbers.GetTimezonesForNumber(n)
		for _, name := range names {
			if loc, err := loadZone(name); err == nil && name != "Etc/Unknown" {
				zones = append(zones, loc)
			}
		}
	}
	if len(zones) == 0 {
		zones = []*time.Location{time.UTC}
	}
	return zones
}

// zones caches loaded locations: time.LoadLocation reads the zone database
// each time, and every send asks for its contact's zones.
var zones sync.Map // name → *time.Location

func loadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// ValidTimeZone checks an IANA zone name for a contact; "" clears it.
func ValidTimeZone(name string) error {
	if name == "" {
		return nil
	}
	if name == "Local" || len(name) > 64 {
		return Invalid("invalid_time_zone", "%q is not an IANA time zone such as America/New_York", name)
	}
	if _, err := loadZone(name); err != nil {
		return Invalid("invalid_time_zone", "%q is not an IANA time zone such as America/New_York", name)
	}
	return nil
}

// holdNote is the notice of a text held by quiet hours, in the contact's
// time: "Held until 8:00 AM candidate's time".
func holdNote(until time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return "Held until " + until.In(loc).Format("3:04 PM") + " candidate's time"
}
