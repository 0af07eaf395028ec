package plivotest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is a message as Plivo's Message list shows it: metadata, never the
// words.
type Record struct {
	UUID      string
	From, To  string // E.164 ("+1415…") or Plivo's digits; listed as digits
	Direction string // "inbound" or "outbound"
	State     string // "received", "queued", "sent", "delivered", "undelivered", "failed", …
	Type      string // "sms" (the default) or "mms"
	ErrorCode string
	At        time.Time // message_time
}

// Receive makes the fake hold the record of an inbound text from one phone
// to one of the account's numbers at at — a text Plivo took while its
// webhook reached nobody: it shows in the Message list only. It returns the
// text's MessageUUID (so that a test can deliver its webhook late).
func (s *Server) Receive(from, to string, at time.Time) string {
	uuid := newUUID()
	s.AddRecord(Record{UUID: uuid, From: from, To: to, Direction: "inbound", State: "received", At: at})
	return uuid
}

// AddRecord adds a record to the Message list.
func (s *Server) AddRecord(r Record) {
	if r.Type == "" {
		r.Type = "sms"
	}
	r.At = r.At.UTC().Truncate(time.Microsecond) // Plivo keeps microseconds
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r)
}

// LimitLists makes the fake answer 429, with Retry-After, to a Message list
// request beyond perMinute in any minute of its clock, as Plivo does.
func (s *Server) LimitLists(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists.perMinute = perMinute
}

// DelayLists makes the fake wait d (of the wall clock) before answering each
// Message list request: a listing of several pages then takes a while.
func (s *Server) DelayLists(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists.delay = d
}

// Lists returns how many Message list requests the fake answered with
// records, and how many it refused with 429.
func (s *Server) Lists() (answered, throttled int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists.answered, s.lists.throttled
}

// listLimit is the fake's rate limit on Message list requests.
type listLimit struct {
	perMinute int           // 0: none
	delay     time.Duration // before each answer
	starts    []time.Time   // answered requests in the last minute
	answered  int
	throttled int
}

// allow counts a request at now, or says how long until one is allowed.
func (l *listLimit) allow(now time.Time) (time.Duration, bool) {
	for len(l.starts) > 0 && !l.starts[0].After(now.Add(-time.Minute)) {
		l.starts = l.starts[1:]
	}
	if l.perMinute > 0 && len(l.starts) >= l.perMinute {
		l.throttled++
		return l.starts[0].Add(time.Minute).Sub(now), false
	}
	l.starts = append(l.starts, now)
	l.answered++
	return 0, true
}

// maxListLimit is the most records Plivo answers per page.
const maxListLimit = 20

// listTimeLayouts are the forms Plivo's message_time filters take:
// YYYY-MM-DD HH:MM[:ss[.uuuuuu]], in UTC.
var listTimeLayouts = []string{"2006-01-02 15:04:05.999999", "2006-01-02 15:04"}

// list answers GET /v1/Account/{auth_id}/Message/ as Plivo does, with the
// query plivo-go's Messages.List sends: limit (at most 20) and offset,
// message_direction, message_state, message_type, and message_time__gt,
// __gte, __lt and __lte. Records come newest first; meta.next is the next
// page's path and query, or null after the last.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	delay := s.lists.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		}
	}
	q := r.URL.Query()
	limit, offset := maxListLimit, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			writeJSON(w, http.StatusBadRequest, map[string]any{"api_id": newUUID(), "error": "limit must be from 1 to 20"})
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"api_id": newUUID(), "error": "offset must be 0 or more"})
			return
		}
		offset = n
	}
	keep, err := listFilter(q)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"api_id": newUUID(), "error": err.Error()})
		return
	}
	now := s.now()
	s.mu.Lock()
	wait, ok := s.lists.allow(now)
	var all []Record
	if ok {
		all = append(all, s.records...)
		for _, c := range s.creates {
			all = append(all, Record{UUID: c.MessageUUID, From: c.Src, To: c.Dst, Direction: "outbound", State: "sent",
				Type: "sms", At: c.At})
		}
	}
	s.mu.Unlock()
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"api_id": newUUID(), "error": "too many requests"})
		return
	}
	var matched []Record
	for _, rec := range all {
		if keep(rec) {
			matched = append(matched, rec)
		}
	}
	slices.SortStableFunc(matched, func(a, b Record) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.UUID, b.UUID))
	})
	page := matched[min(offset, len(matched)):min(offset+limit, len(matched))]
	objects := make([]map[string]any, len(page))
	for i, rec := range page {
		objects[i] = s.listObject(rec)
	}
	path := "/v1/Account/" + s.AuthID + "/Message/"
	meta := map[string]any{"limit": limit, "offset": offset, "total_count": len(matched), "next": nil, "previous": nil}
	if offset+limit < len(matched) {
		meta["next"] = path + "?" + pageQuery(q, limit, offset+limit)
	}
	if offset > 0 {
		meta["previous"] = path + "?" + pageQuery(q, limit, max(offset-limit, 0))
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_id": newUUID(), "meta": meta, "objects": objects})
}

// listFilter reads the list's filters into a predicate.
func listFilter(q url.Values) (func(Record) bool, error) {
	var checks []func(Record) bool
	for _, f := range []struct{ key, field string }{
		{"message_direction", "direction"}, {"message_state", "state"}, {"message_type", "type"},
	} {
		v := strings.ToLower(q.Get(f.key))
		if v == "" {
			continue
		}
		checks = append(checks, func(r Record) bool {
			switch f.field {
			case "direction":
				return r.Direction == v
			case "state":
				return r.State == v
			default:
				return r.Type == v
			}
		})
	}
	for _, f := range []struct {
		key string
		ok  func(c int) bool
	}{
		{"message_time__gt", func(c int) bool { return c > 0 }},
		{"message_time__gte", func(c int) bool { return c >= 0 }},
		{"message_time__lt", func(c int) bool { return c < 0 }},
		{"message_time__lte", func(c int) bool { return c <= 0 }},
	} {
		v := q.Get(f.key)
		if v == "" {
			continue
		}
		t, err := parseListTime(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		checks = append(checks, func(r Record) bool { return f.ok(r.At.Compare(t)) })
	}
	return func(r Record) bool {
		for _, c := range checks {
			if !c(r) {
				return false
			}
		}
		return true
	}, nil
}

func parseListTime(v string) (time.Time, error) {
	for _, layout := range listTimeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD HH:MM[:ss[.uuuuuu]]", v)
}

// pageQuery is q with limit and offset set: the query of meta.next.
func pageQuery(q url.Values, limit, offset int) string {
	next := url.Values{}
	for k, vs := range q {
		next[k] = vs
	}
	next.Set("limit", strconv.Itoa(limit))
	next.Set("offset", strconv.Itoa(offset))
	return next.Encode()
}

// listObject is a record as Plivo's Message list writes it: numbers as
// digits without "+", message_time as "2006-01-02 15:04:05.999999+00:00",
// error_code a string or null.
func (s *Server) listObject(r Record) map[string]any {
	var code any
	if r.ErrorCode != "" {
		code = r.ErrorCode
	}
	amount := "0.00000"
	if r.Direction == "outbound" {
		amount = "0.00650"
	}
	return map[string]any{
		"error_code":        code,
		"from_number":       strings.TrimPrefix(r.From, "+"),
		"to_number":         strings.TrimPrefix(r.To, "+"),
		"message_direction": r.Direction,
		"message_state":     r.State,
		"message_time":      r.At.UTC().Format("2006-01-02 15:04:05.999999-07:00"),
		"message_type":      r.Type,
		"message_uuid":      r.UUID,
		"resource_uri":      "/v1/Account/" + s.AuthID + "/Message/" + r.UUID + "/",
		"total_amount":      amount,
		"total_rate":        amount,
		"units":             1,
		"error_message":     "",
	}
}
