package inbox

import (
	"strings"
	"unicode"
)

// Keyword is the consent category of an inbound text that is nothing but a
// carrier keyword (S6, S13).
type Keyword int

// The keyword categories.
const (
	KeywordNone   Keyword = iota // an ordinary message
	KeywordOptOut                // STOP and its synonyms: the contact opts out
	KeywordOptIn                 // START and its synonyms: the contact opts back in
	KeywordHelp                  // HELP, INFO: the contact gets the help reply
)

// String returns the canonical keyword of the category ("STOP", "START",
// "HELP"), or "NONE".
func (k Keyword) String() string {
	switch k {
	case KeywordOptOut:
		return "STOP"
	case KeywordOptIn:
		return "START"
	case KeywordHelp:
		return "HELP"
	default:
		return "NONE"
	}
}

// keywords maps every recognised keyword, upper case, to its category. The
// opt-out words are the CTIA set plus OPTOUT and REVOKE (S13); UNSTOP and YES
// opt back in (S6).
var keywords = map[string]Keyword{
	"STOP":        KeywordOptOut,
	"STOPALL":     KeywordOptOut,
	"UNSUBSCRIBE": KeywordOptOut,
	"CANCEL":      KeywordOptOut,
	"END":         KeywordOptOut,
	"QUIT":        KeywordOptOut,
	"OPTOUT":      KeywordOptOut,
	"REVOKE":      KeywordOptOut,
	"START":       KeywordOptIn,
	"YES":         KeywordOptIn,
	"UNSTOP":      KeywordOptIn,
	"HELP":        KeywordHelp,
	"INFO":        KeywordHelp,
}

// maxKeywordLen bounds the work done on long messages: no keyword is longer.
const maxKeywordLen = len("UNSUBSCRIBE")

// ParseKeyword returns the category of text when the whole message is a
// keyword; see MatchKeyword for the rule.
func ParseKeyword(text string) Keyword {
	k, _ := MatchKeyword(text)
	return k
}

// MatchKeyword reports whether the whole of text is a keyword, and which: it
// returns the category and the keyword itself in upper case ("UNSUBSCRIBE"),
// so the consent ledger can record what the contact actually typed.
//
// The rule: strip everything before the first and after the last letter or
// digit (spaces, punctuation, symbols, emoji: "Stop.", " STOP!! ", "'stop'"
// and "stop 🛑" all count), then the rest must equal a keyword, ignoring ASCII
// case. Only ASCII letters match, so look-alikes such as "ſtart" (long s) or
// full-width letters do not opt anyone in or out by accident. A longer message
// that merely contains a keyword ("please stop") is not a keyword; see
// MentionsOptOut.
func MatchKeyword(text string) (Keyword, string) {
	core := strings.TrimFunc(text, func(r rune) bool { return !isWordRune(r) })
	if core == "" || len(core) > maxKeywordLen {
		return KeywordNone, ""
	}
	word, ok := asciiUpper(core)
	if !ok {
		return KeywordNone, ""
	}
	if k, found := keywords[word]; found {
		return k, word
	}
	return KeywordNone, ""
}

// mentionWords are the opt-out words that flag a longer message for a human.
// CANCEL, END and QUIT are left out on purpose: in a recruiting conversation
// they are everyday words ("can we cancel Tuesday's interview", "by the end
// of the day", "I quit my old job"), and a flag on every such message would
// teach recruiters to ignore it.
var mentionWords = map[string]bool{
	"STOP":        true,
	"STOPALL":     true,
	"UNSUBSCRIBE": true,
	"OPTOUT":      true,
	"REVOKE":      true,
}

// MentionsOptOut reports whether text, without being a keyword itself, holds
// an opt-out word as a whole word ("please stop texting me", "how do I opt
// out?"), so that a human can be alerted: the contact may want to opt out but
// did not use the keyword. Words inside other words ("stopwatch") do not
// count, and neither do CANCEL, END and QUIT (see mentionWords).
func MentionsOptOut(text string) bool {
	if ParseKeyword(text) != KeywordNone {
		return false
	}
	prev := ""
	for _, w := range words(text) {
		if mentionWords[w] || (prev == "OPT" && w == "OUT") {
			return true
		}
		prev = w
	}
	return false
}

// words splits text into its runs of letters and digits, upper-cased; a run
// that cannot be a keyword (non-ASCII, or too long) is kept as "", so it
// matches nothing but still separates its neighbours.
func words(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) }) {
		w := ""
		if len(f) <= maxKeywordLen {
			if up, ok := asciiUpper(f); ok {
				w = up
			}
		}
		out = append(out, w)
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// asciiUpper upper-cases s if it is all ASCII letters and digits.
func asciiUpper(s string) (string, bool) {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			b[i] = c
		default:
			return "", false
		}
	}
	return string(b), true
}
