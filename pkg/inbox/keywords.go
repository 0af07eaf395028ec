package inbox

import (
	"strings"
	"unicode"
)

// Keyword is the consent category of an inbound text that is nothing but a
// carrier keyword.
type Keyword int

// The keyword categories.
const (
	KeywordNone   Keyword = iota // an ordinary message
	KeywordOptOut                // STOP and its synonyms: the contact opts out
	KeywordOptIn                 // START, UNSTOP: the contact opts (back) in
	KeywordHelp                  // HELP, INFO: the contact gets the help reply
	// KeywordYes is YES: an opt-in only as the answer to a pending consent
	// request; otherwise an ordinary message.
	KeywordYes
)

// String returns the canonical keyword of the category ("STOP", "START",
// "HELP", "YES"), or "NONE".
func (k Keyword) String() string {
	switch k {
	case KeywordOptOut:
		return "STOP"
	case KeywordOptIn:
		return "START"
	case KeywordHelp:
		return "HELP"
	case KeywordYes:
		return "YES"
	default:
		return "NONE"
	}
}

// keywords maps every recognised keyword, upper case and without spaces,
// to its category. The opt-out words are the CTIA set (STOP, STOPALL,
// UNSUBSCRIBE, CANCEL, END, QUIT), Plivo's own opt-out list (which adds
// UNSUB, "STOP ALL"), and the FCC's examples of a revocation in words
// ("revoke", "opt out"); START and UNSTOP opt back in, as carriers do.
var keywords = map[string]Keyword{
	"STOP":        KeywordOptOut,
	"STOPALL":     KeywordOptOut,
	"UNSUBSCRIBE": KeywordOptOut,
	"UNSUB":       KeywordOptOut,
	"CANCEL":      KeywordOptOut,
	"END":         KeywordOptOut,
	"QUIT":        KeywordOptOut,
	"OPTOUT":      KeywordOptOut,
	"REVOKE":      KeywordOptOut,
	"START":       KeywordOptIn,
	"UNSTOP":      KeywordOptIn,
	"YES":         KeywordYes,
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
// returns the category and the keyword itself in upper case without spaces
// ("UNSUBSCRIBE", "OPTOUT" for "Opt-out"), so the consent ledger can record
// what the contact sent.
//
// The rule: the message's letters and digits, with everything else dropped
// (spaces, punctuation, symbols, emoji: "Stop.", " STOP!! ", "'stop'",
// "stop 🛑", "Opt out", "opt-out" and "S.T.O.P." all count), must spell a
// keyword, ignoring ASCII case. Only ASCII letters match, so look-alikes
// such as "ſtart" (long s) or full-width letters do not opt anyone in or
// out by accident. A longer message that merely contains a keyword ("please
// stop") is not a keyword; see MentionsOptOut and AsksToStop.
func MatchKeyword(text string) (Keyword, string) {
	var b [maxKeywordLen]byte
	n := 0
	for _, r := range text {
		if !isWordRune(r) {
			continue
		}
		c, ok := asciiUpperRune(r)
		if !ok || n == maxKeywordLen {
			return KeywordNone, ""
		}
		b[n] = c
		n++
	}
	if n == 0 {
		return KeywordNone, ""
	}
	word := string(b[:n])
	if k, found := keywords[word]; found {
		return k, word
	}
	return KeywordNone, ""
}

// asciiUpperRune upper-cases an ASCII letter or digit; anything else is not
// a keyword character.
func asciiUpperRune(r rune) (byte, bool) {
	switch {
	case 'a' <= r && r <= 'z':
		return byte(r - 'a' + 'A'), true
	case 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return byte(r), true
	}
	return 0, false
}

// IntentKeyword is the category of Plivo's MessageIntent ("optout",
// "optin", "help"), which Plivo sets when the number has opt-out management
// and the text matches its own keyword lists; KeywordNone for anything else.
func IntentKeyword(intent string) Keyword {
	switch strings.ToLower(strings.TrimSpace(intent)) {
	case "optout", "opt-out", "opt_out":
		return KeywordOptOut
	case "optin", "opt-in", "opt_in":
		return KeywordOptIn
	case "help":
		return KeywordHelp
	}
	return KeywordNone
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

// AsksToStop reports whether text, without being a keyword, asks in a
// sentence not to be texted ("please stop texting me", "don't text me
// again", "how do I unsubscribe?", "remove me from your list"): under the
// FCC's rule a revocation by any reasonable means counts, so such a text
// puts the contact under consent review and nothing more is sent until a
// person decides. It is narrower than MentionsOptOut, since a review stops
// every text: "stop" meaning a visit ("I can stop by at 3", "stop in") or
// in "non-stop" does not ask anything, and CANCEL, END and QUIT never count
// ("can we cancel my interview?" is about the interview).
func AsksToStop(text string) bool {
	if ParseKeyword(text) != KeywordNone {
		return false
	}
	ws := words(text)
	at := func(i int) string {
		if i < 0 || i >= len(ws) {
			return ""
		}
		return ws[i]
	}
	for i, w := range ws {
		prev, next := at(i-1), at(i+1)
		switch {
		case w == "STOP":
			if prev != "NON" && !visitWords[next] {
				return true
			}
		case mentionWords[w]:
			return true
		case w == "UNSUB" || w == "OPTOUT":
			return true
		case prev == "OPT" && w == "OUT":
			return true
		case (w == "TEXT" || w == "TEXTING" || w == "MESSAGE" || w == "CONTACT" || w == "SMS") &&
			(prev == "DONT" || (at(i-2) == "DON" && prev == "T") || (at(i-2) == "DO" && prev == "NOT") || prev == "NEVER"):
			return true
		case prev == "NO" && w == "MORE" && (next == "TEXTS" || next == "TEXT" || next == "MESSAGES" || next == "SMS"):
			return true
		case w == "REMOVE" && next == "ME", w == "TAKE" && next == "ME" && at(i+2) == "OFF":
			return true
		case w == "LEAVE" && next == "ME" && at(i+2) == "ALONE":
			return true
		}
	}
	return false
}

// visitWords follow "stop" when it means a visit, not a request.
var visitWords = map[string]bool{"BY": true, "IN": true, "OVER": true, "PAST": true, "AT": true}
