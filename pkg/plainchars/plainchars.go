// Package plainchars replaces look-alike characters — curly quotes, en and
// em dashes, the ellipsis, non-breaking and other odd spaces — with plain
// ones, so that a text that is UCS-2 only because of them goes as GSM-7 (up
// to 160 characters a segment instead of 70).
//
// The table is plainchars.json, embedded here and served to the web
// composer as /assets/{v}/js/plainchars.json: the server and the composer
// replace the same characters the same way (testdata/cases.json is run by
// both the Go and the JavaScript tests).
package plainchars

import (
	_ "embed"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// JSON is the table: each look-alike character and what replaces it (one
// character, several, or none).
//
//go:embed plainchars.json
var JSON []byte

var table = func() map[rune]string {
	var raw map[string]string
	if err := json.Unmarshal(JSON, &raw); err != nil {
		panic("plainchars: " + err.Error()) // compiled in: a build bug
	}
	t := make(map[rune]string, len(raw))
	for k, v := range raw {
		r, n := utf8.DecodeRuneInString(k)
		if n != len(k) {
			panic("plainchars: key " + k + " is not one character")
		}
		t[r] = v
	}
	return t
}()

// Replace returns s with every character of the table replaced.
func Replace(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { _, ok := table[r]; return ok }) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if v, ok := table[r]; ok {
			b.WriteString(v)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
