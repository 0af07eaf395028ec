package inbox

import "unicode/utf8"

// The two SMS encodings.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// gsm7Basic is the GSM 03.38 default alphabet in code order, 0x00 to 0x7F,
// sixteen codes a line. Each character costs one septet. Code 0x1B is the
// escape to the extension table, not a character, so the second line has
// fifteen. Note that 0x09 is the capital "Ç" and 0x0A, 0x0D are line feed and
// carriage return. The composer's JavaScript twin copies these two strings.
const gsm7Basic = "" +
	"@£$¥èéùìòÇ\nØø\rÅå" + // 0x00-0x0F
	"Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ" + // 0x10-0x1F, without the escape at 0x1B
	" !\"#¤%&'()*+,-./" + // 0x20-0x2F
	"0123456789:;<=>?" + // 0x30-0x3F
	"¡ABCDEFGHIJKLMNO" + // 0x40-0x4F
	"PQRSTUVWXYZÄÖÑÜ§" + // 0x50-0x5F
	"¿abcdefghijklmno" + // 0x60-0x6F
	"pqrstuvwxyzäöñüà" // 0x70-0x7F

// gsm7Extension is the GSM 03.38 extension table: each character is sent as
// the escape plus one code, so it costs two septets. The first is form feed.
const gsm7Extension = "\f^{}\\[~]|€"

// Segment sizes: one segment carries 160 septets or 70 UTF-16 units; a
// concatenated message loses room in each segment to the user data header.
const (
	gsm7Single = 160
	gsm7Multi  = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// gsm7Cost is the septet cost of every GSM-7 character.
var gsm7Cost = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Extension {
		m[r] = 2
	}
	return m
}()

// IsGSM7 reports whether r can be sent in the GSM-7 encoding (the basic set or
// the extension table).
func IsGSM7(r rune) bool {
	_, ok := gsm7Cost[r]
	return ok
}

// CountSegments returns how a body goes out as SMS: chars is the number of
// characters a person sees (runes), segments the number of SMS it is billed
// as, encoding EncodingGSM7 or EncodingUCS2.
//
// GSM-7 is used when every character is in the basic set or the extension
// table; extension characters cost two septets. Up to 160 septets fit one
// segment; a longer body is split into segments of at most 153, and an
// extension character is never split across two. Otherwise the body is sent
// as UCS-2, counted in UTF-16 code units (an emoji outside the Basic
// Multilingual Plane takes two): up to 70 fit one segment, a longer body goes
// in segments of at most 67, and a surrogate pair is never split. An empty
// body is 0 segments.
func CountSegments(body string) (chars, segments int, encoding string) {
	if body == "" {
		return 0, 0, EncodingGSM7
	}
	gsm := true
	septets, units := 0, 0
	for _, r := range body {
		chars++
		units += utf16Len(r)
		if c, ok := gsm7Cost[r]; ok {
			septets += c
		} else {
			gsm = false
		}
	}
	if gsm {
		return chars, pack(body, septets, gsm7Single, gsm7Multi, func(r rune) int { return gsm7Cost[r] }), EncodingGSM7
	}
	return chars, pack(body, units, ucs2Single, ucs2Multi, utf16Len), EncodingUCS2
}

// pack counts the segments of body whose characters cost cost(r) each and
// total in all: one if it fits single, else greedily filled segments of multi,
// never splitting a character.
func pack(body string, total, single, multi int, cost func(rune) int) int {
	if total <= single {
		return 1
	}
	segments, used := 1, 0
	for _, r := range body {
		c := cost(r)
		if used+c > multi {
			segments++
			used = 0
		}
		used += c
	}
	return segments
}

// utf16Len is the number of UTF-16 code units of r; invalid UTF-8 decodes as
// U+FFFD, one unit.
func utf16Len(r rune) int {
	if r >= 0x10000 && r <= utf8.MaxRune {
		return 2
	}
	return 1
}
