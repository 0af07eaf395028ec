package inbox

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// S13, S6: matching is on the whole trimmed message, case-insensitive.
func TestMatchKeyword(t *testing.T) {
	tests := []struct {
		in      string
		want    Keyword
		wantKey string
	}{
		{"STOP", KeywordOptOut, "STOP"},
		{"stop", KeywordOptOut, "STOP"},
		{"  Stop \n", KeywordOptOut, "STOP"},
		{"Stop.", KeywordOptOut, "STOP"},
		{"STOP!!", KeywordOptOut, "STOP"},
		{"'stop'", KeywordOptOut, "STOP"},
		{"stop 🛑", KeywordOptOut, "STOP"},
		{"StopAll", KeywordOptOut, "STOPALL"},
		{"unsubscribe", KeywordOptOut, "UNSUBSCRIBE"},
		{"Cancel", KeywordOptOut, "CANCEL"},
		{"end", KeywordOptOut, "END"},
		{"QUIT", KeywordOptOut, "QUIT"},
		{"optout", KeywordOptOut, "OPTOUT"},
		{"Revoke", KeywordOptOut, "REVOKE"},
		{"START", KeywordOptIn, "START"},
		{"yes", KeywordYes, "YES"},
		{"Yes!", KeywordYes, "YES"},
		{"UNSUB", KeywordOptOut, "UNSUB"},
		{"stop all", KeywordOptOut, "STOPALL"},
		{"Stop All.", KeywordOptOut, "STOPALL"},
		{"opt out", KeywordOptOut, "OPTOUT"},
		{"Opt-Out!", KeywordOptOut, "OPTOUT"},
		{"OPT OUT", KeywordOptOut, "OPTOUT"},
		{"revoke.", KeywordOptOut, "REVOKE"},
		{"Un-subscribe", KeywordOptOut, "UNSUBSCRIBE"},
		{"S.T.O.P.", KeywordOptOut, "STOP"},
		{"s t o p", KeywordOptOut, "STOP"},
		{"Unstop", KeywordOptIn, "UNSTOP"},
		{"start!", KeywordOptIn, "START"},
		{"INFO", KeywordHelp, "INFO"},
		{"unstop", KeywordOptIn, "UNSTOP"},
		{"help", KeywordHelp, "HELP"},
		{"Info?", KeywordHelp, "INFO"},
		{"", KeywordNone, ""},
		{"   ", KeywordNone, ""},
		{"...", KeywordNone, ""},
		{"please stop", KeywordNone, ""},
		{"stop texting me", KeywordNone, ""},
		{"STOP STOP", KeywordNone, ""},
		{"stopwatch", KeywordNone, ""},
		{"yes please", KeywordNone, ""},
		{"opt out now", KeywordNone, ""},
		{"stop it", KeywordNone, ""},
		{"unsubscribed", KeywordNone, ""},
		{"yes!!! sounds good", KeywordNone, ""},
		{"cancel my interview", KeywordNone, ""},
		{"the end", KeywordNone, ""},
		{"helpful", KeywordNone, ""},
		{"stop2", KeywordNone, ""},
		{"ſtart", KeywordNone, ""},            // long s is not an ASCII letter
		{"ＳＴＯＰ", KeywordNone, ""},             // full-width letters
		{"STOP\u200b", KeywordOptOut, "STOP"}, // a zero-width space around it is trimmed
	}
	for _, tt := range tests {
		got, key := MatchKeyword(tt.in)
		if got != tt.want || key != tt.wantKey {
			t.Errorf("MatchKeyword(%q) = %v, %q; want %v, %q", tt.in, got, key, tt.want, tt.wantKey)
		}
		if p := ParseKeyword(tt.in); p != tt.want {
			t.Errorf("ParseKeyword(%q) = %v; want %v", tt.in, p, tt.want)
		}
	}
}

func TestKeywordString(t *testing.T) {
	tests := []struct {
		k    Keyword
		want string
	}{
		{KeywordNone, "NONE"},
		{KeywordOptOut, "STOP"},
		{KeywordOptIn, "START"},
		{KeywordHelp, "HELP"},
		{KeywordYes, "YES"},
		{Keyword(99), "NONE"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Keyword(%d).String() = %q; want %q", int(tt.k), got, tt.want)
		}
	}
}

func TestMentionsOptOut(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"please stop texting me", true},
		{"Stop. Don't text me again", true},
		{"How do I unsubscribe?", true},
		{"I want to opt out", true},
		{"opt-out please", true},
		{"I revoke my consent", true},
		{"STOP", false},  // an exact keyword is handled, not flagged
		{"stop!", false}, // likewise
		{"my stopwatch broke", false},
		{"non-stop work", true}, // "stop" as its own word, by design
		{"can we cancel Tuesday's interview?", false},
		{"by the end of the day", false},
		{"I quit my old job", false},
		{"optional outing", false},
		{"", false},
		{"ſtop texting", false},
	}
	for _, tt := range tests {
		if got := MentionsOptOut(tt.in); got != tt.want {
			t.Errorf("MentionsOptOut(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{"STOP", " stop. ", "Stop!", "please stop", "stopwatch", "YES", "info",
		"ſtart", "\u212aeep", "END", "", "🛑", "opt out", "UNSUBSCRIBE!!!", "\xff\xfestop"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		k, key := MatchKeyword(text)
		if k == KeywordNone {
			if key != "" {
				t.Fatalf("MatchKeyword(%q) = NONE with keyword %q; want none", text, key)
			}
		} else {
			if keywords[key] != k {
				t.Fatalf("MatchKeyword(%q) = %v, %q; the keyword's category is %v", text, k, key, keywords[key])
			}
			if MentionsOptOut(text) {
				t.Fatalf("MentionsOptOut(%q) = true for the keyword %q; want false", text, key)
			}
		}
		// Padding with spaces and punctuation never changes the result.
		if k2, key2 := MatchKeyword(" \t\"" + text + "!. "); k2 != k || key2 != key {
			t.Fatalf("MatchKeyword of padded %q = %v, %q; want %v, %q", text, k2, key2, k, key)
		}
		// Nor does changing ASCII case.
		if k3, _ := MatchKeyword(swapASCIICase(text)); k3 != k {
			t.Fatalf("MatchKeyword(%q) = %v; with case swapped %v", text, k, k3)
		}
		// A keyword followed by another word is never a keyword.
		if k != KeywordNone && utf8.ValidString(text) {
			if k4 := ParseKeyword(text + " thanks"); k4 != KeywordNone {
				t.Fatalf("ParseKeyword(%q) = %v; want NONE", text+" thanks", k4)
			}
		}
	})
}

func swapASCIICase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}
