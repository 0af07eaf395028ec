package inbox

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The composer shows characters, encoding and segments.
func TestCountSegments(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		chars    int
		segments int
		encoding string
	}{
		{"empty", "", 0, 0, EncodingGSM7},
		{"one char", "a", 1, 1, EncodingGSM7},
		{"hello", "Hello, Ana! Are you free at 3pm?", 32, 1, EncodingGSM7},
		{"160 GSM", strings.Repeat("a", 160), 160, 1, EncodingGSM7},
		{"161 GSM", strings.Repeat("a", 161), 161, 2, EncodingGSM7},
		{"306 GSM", strings.Repeat("a", 306), 306, 2, EncodingGSM7},
		{"307 GSM", strings.Repeat("a", 307), 307, 3, EncodingGSM7},
		{"1600 GSM", strings.Repeat("a", 1600), 1600, 11, EncodingGSM7},
		{"GSM accents and greek", "èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¡¿ÄÖÑÜ§äöñüà£$¥¤@_", 42, 1, EncodingGSM7},
		{"euro is 2 septets", "€", 1, 1, EncodingGSM7},
		{"80 euro = 160 septets", strings.Repeat("€", 80), 80, 1, EncodingGSM7},
		{"81 euro = 162 septets", strings.Repeat("€", 81), 81, 2, EncodingGSM7},
		{"159 + extension", strings.Repeat("a", 159) + "{", 160, 2, EncodingGSM7},
		{"158 + extension", strings.Repeat("a", 158) + "^", 159, 1, EncodingGSM7},
		// 152 septets then an extension char: 154 would split it, so it
		// opens segment 2 and the first carries 152.
		{"extension not split", strings.Repeat("a", 152) + "[" + strings.Repeat("a", 7), 160, 2, EncodingGSM7},
		{"extension not split, spills", strings.Repeat("a", 152) + "[" + strings.Repeat("a", 152), 305, 3, EncodingGSM7},
		{"all extension chars", "\f^{}\\[~]|€", 10, 1, EncodingGSM7},
		{"70 UCS-2", strings.Repeat("中", 70), 70, 1, EncodingUCS2},
		{"71 UCS-2", strings.Repeat("中", 71), 71, 2, EncodingUCS2},
		{"134 UCS-2", strings.Repeat("中", 134), 134, 2, EncodingUCS2},
		{"135 UCS-2", strings.Repeat("中", 135), 135, 3, EncodingUCS2},
		{"one non-GSM char switches all", strings.Repeat("a", 69) + "ç", 70, 1, EncodingUCS2},
		{"one non-GSM char, 71", strings.Repeat("a", 70) + "ç", 71, 2, EncodingUCS2},
		{"curly quote is not GSM", "It’s fine", 9, 1, EncodingUCS2},
		{"emoji is 2 units", "👍", 1, 1, EncodingUCS2},
		{"35 emoji = 70 units", strings.Repeat("👍", 35), 35, 1, EncodingUCS2},
		{"36 emoji = 72 units", strings.Repeat("👍", 36), 36, 2, EncodingUCS2},
		// 66 units then an emoji: 68 would split the pair, so it opens
		// segment 2.
		{"surrogate pair not split", strings.Repeat("中", 66) + "👍" + strings.Repeat("中", 3), 70, 2, EncodingUCS2},
		{"surrogate pair not split, spills", strings.Repeat("中", 66) + "👍" + strings.Repeat("中", 66), 133, 3, EncodingUCS2},
		{"invalid UTF-8 is UCS-2", "a\xffb", 3, 1, EncodingUCS2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chars, segs, enc := CountSegments(tt.body)
			if chars != tt.chars || segs != tt.segments || enc != tt.encoding {
				t.Errorf("CountSegments(%q) = %d, %d, %s; want %d, %d, %s",
					tt.body, chars, segs, enc, tt.chars, tt.segments, tt.encoding)
			}
		})
	}
}

func TestGSM7Tables(t *testing.T) {
	if n := utf8.RuneCountInString(gsm7Basic); n != 127 {
		t.Errorf("basic set has %d characters; want 127 (128 codes less the escape)", n)
	}
	if n := utf8.RuneCountInString(gsm7Extension); n != 10 {
		t.Errorf("extension table has %d characters; want 10", n)
	}
	if len(gsm7Cost) != 137 {
		t.Errorf("%d distinct GSM-7 characters; want 137 (no character is in both tables)", len(gsm7Cost))
	}
	for _, r := range "aZ0 @\n\r€{" {
		if !IsGSM7(r) {
			t.Errorf("IsGSM7(%q) = false; want true", r)
		}
	}
	for _, r := range "ç`’\t\x1b😀中" {
		if IsGSM7(r) {
			t.Errorf("IsGSM7(%q) = true; want false", r)
		}
	}
}

func FuzzCountSegments(f *testing.F) {
	for _, s := range []string{"", "a", "Hello", strings.Repeat("a", 161), strings.Repeat("€", 81),
		strings.Repeat("中", 71), strings.Repeat("👍", 36), "a\xffb", strings.Repeat("a", 152) + "[",
		"It’s", "\f^{}\\[~]|€"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		chars, segs, enc := CountSegments(body)
		if chars != utf8.RuneCountInString(body) {
			t.Fatalf("CountSegments(%q) chars = %d; want %d", body, chars, utf8.RuneCountInString(body))
		}
		if body == "" {
			if segs != 0 {
				t.Fatalf("CountSegments(\"\") segments = %d; want 0", segs)
			}
			return
		}
		if segs < 1 {
			t.Fatalf("CountSegments(%q) segments = %d; want >= 1", body, segs)
		}
		allGSM := true
		for _, r := range body {
			allGSM = allGSM && IsGSM7(r)
		}
		if (enc == EncodingGSM7) != allGSM {
			t.Fatalf("CountSegments(%q) encoding = %s; all runes GSM-7: %v", body, enc, allGSM)
		}
		// Each segment holds at least one character, and no more than fit.
		if segs > chars {
			t.Fatalf("CountSegments(%q) = %d segments for %d chars", body, segs, chars)
		}
		maxPer, units := gsm7Multi, 0
		if enc == EncodingUCS2 {
			maxPer = ucs2Multi
		}
		for _, r := range body {
			if enc == EncodingGSM7 {
				units += gsm7Cost[r]
			} else {
				units += utf16Len(r)
			}
		}
		if least := (units + maxPer - 1) / maxPer; segs > 1 && segs < least {
			t.Fatalf("CountSegments(%q) = %d segments for %d units; want at least %d", body, segs, units, least)
		}
		// Monotonic: no prefix needs more segments than the whole.
		for i := range body {
			if _, ps, _ := CountSegments(body[:i]); ps > segs {
				t.Fatalf("CountSegments(%q) = %d, but its prefix %q needs %d", body, segs, body[:i], ps)
			}
		}
	})
}
