package plainchars

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"
)

// TestCases runs the cases the composer's JavaScript test runs too
// (static/test/plainchars.test.mjs): both sides must agree.
func TestCases(t *testing.T) {
	raw, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Name, In, Out string }
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		if got := Replace(c.In); got != c.Out {
			t.Errorf("%s: Replace(%q) = %q, want %q", c.Name, c.In, got, c.Out)
		}
	}
}

// TestTableIsGSM: every replacement is made of plain ASCII (GSM-7) and no
// key is itself plain ASCII.
func TestTableIsGSM(t *testing.T) {
	for k, v := range table {
		if k < 0x80 && k != '`' {
			t.Errorf("key %q is plain already", k)
		}
		for _, r := range v {
			if r >= 0x80 || r == '`' {
				t.Errorf("%q is replaced by %q, which is not plain", k, v)
			}
		}
		if !utf8.ValidString(v) {
			t.Errorf("%q: invalid replacement", k)
		}
	}
}
