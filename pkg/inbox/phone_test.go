package inbox

import "testing"

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string // want "" means invalid_phone
	}{
		{"+14155550100", "+14155550100"},
		{"4155550100", "+14155550100"},
		{"(415) 555-0111", "+14155550111"},
		{"415.555.0100", "+14155550100"},
		{" +1 415 555 0100 ", "+14155550100"},
		{"14155550100", "+14155550100"},
		{"+44 20 7183 8750", "+442071838750"},
		{"+1 415 555 0100 ext 3", ""},
		{"abc", ""},
		{"12", ""},
		{"", ""},
		{"+1555", ""},
		{"+999999999999", ""},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in, DefaultRegion)
		if tt.want == "" {
			if ErrorCode(err) != "invalid_phone" {
				t.Errorf("NormalizePhone(%q) = %q, %v; want invalid_phone", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeProviderPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"14155550100", "+14155550100"},
		{"442071838750", "+442071838750"},
		{"+14155550100", "+14155550100"},
		{"4155550100", ""}, // no country code: 41 is Switzerland, and too short for it
		{"hello", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeProviderPhone(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeProviderPhone(%q) = %q; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeProviderPhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
