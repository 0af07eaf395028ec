package inbox

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Matching is on the whole trimmed message, case-insensitive.
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

// A text that asks to stop in a sentence puts the contact under review;
// one that uses "stop" for a visit, or CANCEL/END/QUIT for the job, does not.
func TestAsksToStop(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"please stop texting me", true},
		{"Please STOP texting me!!", true},
		{"don't text me again", true},
		{"Don’t text me again", true}, // a curly apostrophe
		{"dont text me", true},
		{"Do not text me anymore", true},
		{"do not contact me", true},
		{"never message me again", true},
		{"no more texts please", true},
		{"remove me from your list", true},
		{"take me off this list", true},
		{"leave me alone", true},
		{"how do I unsubscribe?", true},
		{"I want to opt out", true},
		{"I revoke my consent", true},
		{"stop sending these", true},
		{"STOP", false},    // the keyword itself opts out; nothing to review
		{"opt out", false}, // likewise
		{"cancel my interview", false},
		{"can we cancel Tuesday's interview?", false},
		{"by the end of the day", false},
		{"I quit my old job", false},
		{"I can stop by at 3", false},
		{"I'll stop in tomorrow morning", false},
		{"non-stop work lately", false},
		{"my stopwatch broke", false},
		{"text me the address", false},
		{"don't worry, I'll text you", false},
		{"yes", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := AsksToStop(tt.in); got != tt.want {
			t.Errorf("AsksToStop(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// Plivo's MessageIntent counts as the keyword.
func TestIntentKeyword(t *testing.T) {
	for in, want := range map[string]Keyword{"optout": KeywordOptOut, "OptIn": KeywordOptIn, "help": KeywordHelp,
		"": KeywordNone, "stop": KeywordNone, " optout ": KeywordOptOut} {
		if got := IntentKeyword(in); got != want {
			t.Errorf("IntentKeyword(%q) = %v; want %v", in, got, want)
		}
	}
}

func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{"STOP", " stop. ", "Stop!", "please stop", "stopwatch", "YES", "info",
		"ſtart", "\u212aeep", "END", "", "🛑", "opt out", "UNSUBSCRIBE!!!", "\xff\xfestop", "S.T.O.P", "stop all",
		"don't text me", "please stop texting me", "I can stop by", "Opt-Out", "unsub"} {
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
			if MentionsOptOut(text) || AsksToStop(text) {
				t.Fatalf("MentionsOptOut or AsksToStop(%q) = true for the keyword %q; want false", text, key)
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
