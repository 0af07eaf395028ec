package inbox_test

import (
	"testing"

	"smsinbox/pkg/inbox"
)

func TestParseDecimal(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"0.00650", "0.00650", true},
		{" 3 ", "3", true},
		{"12.5", "12.5", true},
		{"007.10", "7.10", true},
		{"0", "0", true},
		{"000", "0", true},
		{"123456789012345678.123456789012345678", "123456789012345678.123456789012345678", true},
		{"", "", false},
		{"-1", "", false},
		{"+1", "", false},
		{"1e-3", "", false},
		{".5", "", false},
		{"5.", "", false},
		{"1.2.3", "", false},
		{"1 000", "", false},
		{"0x10", "", false},
		{"1234567890123456789", "", false},
		{"NaN", "", false},
	} {
		got, ok := inbox.ParseDecimal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDecimal(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseUnits(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"1", "1", true}, {" 12 ", "12", true}, {"007", "7", true}, {"0", "0", true}, {"1000000", "1000000", true},
		{"1000001", "", false}, {"-1", "", false}, {"1.0", "", false}, {"", "", false}, {"two", "", false},
	} {
		got, ok := inbox.ParseUnits(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseUnits(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAddDecimals(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{"0.0065", "0.01300", "0.01950"},
		{"0.1", "0.2", "0.3"}, // a float would say 0.30000000000000004
		{"", "", "0"},
		{"", "0.00650", "0.00650"},
		{"1", "2", "3"},
		{"0.99999", "0.00001", "1.00000"},
		{"999999999999999999.9", "0.1", "1000000000000000000.0"},
		{"12", "0.005", "12.005"},
	} {
		if got := inbox.AddDecimals(tt.a, tt.b); got != tt.want {
			t.Errorf("AddDecimals(%q, %q) = %q; want %q", tt.a, tt.b, got, tt.want)
		}
	}
	// A thousand texts at 0.0065 each add up to exactly 6.5.
	sum := ""
	for range 1000 {
		sum = inbox.AddDecimals(sum, "0.0065")
	}
	if sum != "6.5000" {
		t.Errorf("a thousand times 0.0065 = %q; want 6.5000", sum)
	}
}
