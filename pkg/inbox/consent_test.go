package inbox

import "testing"

// TestATSConsent: what sms_opt_in from the host ATS does to each consent
// state. The ATS grants consent the contact gave while applying, and may
// withdraw it; it never overrides the contact's own STOP.
func TestATSConsent(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name   string
		from   Consent
		source string
		optIn  *bool
		to     Consent
		via    string
		change bool
	}{
		{"not said", ConsentOptedIn, SourceApplication, nil, "", "", false},
		{"not said, unknown", ConsentUnknown, "", nil, "", "", false},
		{"grants unknown", ConsentUnknown, "", &yes, ConsentOptedIn, SourceApplication, true},
		{"withdraws opted in", ConsentOptedIn, SourceApplication, &no, ConsentOptedOut, SourceATS, true},
		{"withdraws a keyword's opt-in", ConsentOptedIn, SourceKeyword, &no, ConsentOptedOut, SourceATS, true},
		{"restores its own withdrawal", ConsentOptedOut, SourceATS, &yes, ConsentOptedIn, SourceApplication, true},
		{"never overrides STOP", ConsentOptedOut, SourceKeyword, &yes, "", "", false},
		{"never overrides an admin's opt-out", ConsentOptedOut, SourceAdmin, &yes, "", "", false},
		{"opted in stays", ConsentOptedIn, SourceApplication, &yes, "", "", false},
		{"unknown is not withdrawn", ConsentUnknown, "", &no, "", "", false},
		{"opted out stays", ConsentOptedOut, SourceKeyword, &no, "", "", false},
	}
	for _, tt := range tests {
		to, via, change := atsConsent(Contact{Consent: tt.from, ConsentSource: tt.source}, tt.optIn)
		if to != tt.to || via != tt.via || change != tt.change {
			t.Errorf("%s: atsConsent(%s by %q) = %q, %q, %v; want %q, %q, %v",
				tt.name, tt.from, tt.source, to, via, change, tt.to, tt.via, tt.change)
		}
	}
}
