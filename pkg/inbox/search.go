package inbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search finds messages and contacts by their words: full text on both
// engines; a text must hold every word of the query, the last of which may
// be unfinished ("call interv" finds "call … interview"; the stemmer also
// finds "calls", "interviews").

// SearchRequest is a search by the caller.
type SearchRequest struct {
	Q        string
	NumberID int64 // only this number's messages (one the caller is assigned to)
	Limit    int   // messages per page: default 20, at most 100
	Cursor   string
}

// SearchHit is one message found: the message, its thread and contact, and
// a snippet of its text around the matches. Highlights are the matches in
// Snippet, as [start, end) offsets in characters (Unicode code points), so
// that a client marks them without parsing markup.
type SearchHit struct {
	Message    Message  `json:"message"`
	ThreadID   int64    `json:"thread_id"`
	Contact    Contact  `json:"contact"`
	Snippet    string   `json:"snippet"`
	Highlights [][2]int `json:"highlights"`
}

// SearchResults are a page of messages, best match first, and on the first
// page the contacts found.
type SearchResults struct {
	Messages   []SearchHit `json:"messages"`
	Contacts   []Contact   `json:"contacts"`
	NextCursor *string     `json:"next_cursor"`
}

const (
	searchDefaultLimit = 20
	searchMaxLimit     = 100
	searchContacts     = 10 // contacts on the first page
	// searchWindow is how many of the newest matches are ranked together:
	// a word in every message ranks the most recent 200, not a million;
	// rarer words rank all their matches. Finding a window costs the rows
	// read to gather it, so a wider one is slower for common words.
	searchWindow = 200
	maxTerms     = 8
	maxTermLen   = 64
)

// SearchTerms splits a query into the words a search matches: runs of
// letters and digits, lower-cased, at most 8 of 64 characters each.
func SearchTerms(q string) []string {
	var terms []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if utf8.RuneCountInString(w) > maxTermLen {
			w = string([]rune(w)[:maxTermLen])
		}
		if !slices.Contains(terms, w) {
			terms = append(terms, w)
		}
		if len(terms) == maxTerms {
			break
		}
	}
	return terms
}

// phoneDigits is the query's digits when it reads as (part of) a phone
// number, at least three of them: "(415) 555-01" → "41555501".
func phoneDigits(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" +-().", r):
		default:
			return ""
		}
	}
	if b.Len() < 3 {
		return ""
	}
	return b.String()
}

// Search finds what the caller may see: messages of the caller's numbers
// (threads are their assignees' only), ranked best first within windows of
// the newest matches; and, on the first page, the company's contacts (every
// user of a company sees its contacts) whose name or email words, or phone
// digits, match. With NumberID, both keep to that number.
func (s *Service) Search(ctx context.Context, caller User, req SearchRequest) (SearchResults, error) {
	terms := SearchTerms(req.Q)
	if len(terms) == 0 {
		return SearchResults{}, Invalid("invalid_query", "type at least one letter or digit to search for")
	}
	numbers, err := s.store.UserNumbers(ctx, caller.ID)
	if err != nil {
		return SearchResults{}, err
	}
	ids := numberIDs(numbers)
	if req.NumberID != 0 {
		if !slices.Contains(ids, req.NumberID) {
			return SearchResults{}, NotFound("number")
		}
		ids = []int64{req.NumberID}
	}
	limit := req.Limit
	switch {
	case limit <= 0:
		limit = searchDefaultLimit
	case limit > searchMaxLimit:
		limit = searchMaxLimit
	}
	cur := searchCursor{Q: strings.Join(terms, " "), NumberID: req.NumberID}
	if req.Cursor != "" {
		c, err := decodeSearchCursor(req.Cursor)
		if err != nil {
			return SearchResults{}, err
		}
		if c.Q != cur.Q || c.NumberID != cur.NumberID {
			return SearchResults{}, Errorf(KindMalformed, "invalid_cursor", "the cursor belongs to another search; start again without it")
		}
		cur = c
	}
	res := SearchResults{Messages: []SearchHit{}, Contacts: []Contact{}}
	if len(ids) > 0 {
		hits, err := s.store.SearchMessages(ctx, caller.CompanyID, MessageSearch{
			Terms: terms, NumberIDs: ids, Before: cur.Before, Window: searchWindow, Offset: cur.Offset, Limit: limit,
		})
		if err != nil {
			return SearchResults{}, err
		}
		for _, h := range hits.Hits {
			h.Snippet, h.Highlights = highlights(h.Snippet)
			res.Messages = append(res.Messages, h)
		}
		next := cur
		switch {
		case cur.Offset+limit < hits.Window:
			next.Offset += limit
		case hits.Window == searchWindow:
			next.Before, next.Offset = hits.WindowMinID, 0 // the next, older window
		default:
			next.Before = -1
		}
		if next.Before >= 0 {
			c := next.encode()
			res.NextCursor = &c
		}
	}
	if req.Cursor == "" {
		if res.Contacts, err = s.store.SearchContacts(ctx, caller.CompanyID, terms, phoneDigits(req.Q), req.NumberID, searchContacts); err != nil {
			return SearchResults{}, err
		}
	}
	return res, nil
}

// highlights takes the store's match marks out of a snippet and returns the
// plain text with the matches' offsets in characters.
func highlights(marked string) (string, [][2]int) {
	var b strings.Builder
	spans := [][2]int{}
	n, start := 0, -1
	for _, r := range marked {
		switch string(r) {
		case HighlightStart:
			start = n
		case HighlightEnd:
			if start >= 0 && n > start {
				spans = append(spans, [2]int{start, n})
			}
			start = -1
		default:
			b.WriteRune(r)
			n++
		}
	}
	return b.String(), spans
}

// searchCursor is what a search next_cursor carries: the search it belongs
// to, the window (matches below Before; 0: the newest) and the offset in it.
type searchCursor struct {
	Q        string `json:"q"`
	NumberID int64  `json:"n,omitempty"`
	Before   int64  `json:"b,omitempty"`
	Offset   int    `json:"o,omitempty"`
}

func (c searchCursor) encode() string {
	b, _ := json.Marshal(c) // strings and ints always encode
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSearchCursor(s string) (searchCursor, error) {
	var c searchCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Q == "" || c.Before < 0 || c.Offset < 0 {
		return searchCursor{}, Errorf(KindMalformed, "invalid_cursor", "the cursor is not one this search gave out; start again without it")
	}
	return c, nil
}
