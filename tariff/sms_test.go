package tariff

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestCountSegmentsSpecExamples(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name     string
		text     string
		segments int
		enc      Encoding
	}{
		{"Hello", "Hello", 1, GSM7},
		{"empty", "", 1, GSM7},
		{"160 a", a(160), 1, GSM7},
		{"161 a", a(161), 2, GSM7},
		{"159 a + €", a(159) + "€", 2, GSM7},
		{"158 a + €", a(158) + "€", 1, GSM7},
		{"70 é", strings.Repeat("é", 70), 1, GSM7},
		{"70 ç", strings.Repeat("ç", 70), 1, UCS2},
		{"71 ç", strings.Repeat("ç", 71), 2, UCS2},
		{"152 a + € + 152 a", a(152) + "€" + a(152), 3, GSM7},
		{"66 a + 😀 + 66 a", a(66) + "😀" + a(66), 3, UCS2},
		{"306 a", a(306), 2, GSM7},
		{"307 a", a(307), 3, GSM7},
		{"80 € is 160 septets", strings.Repeat("€", 80), 1, GSM7},
		{"81 € parts of 76", strings.Repeat("€", 81), 2, GSM7},
		{"35 😀 is 70 units", strings.Repeat("😀", 35), 1, UCS2},
		{"36 😀 in parts of 33", strings.Repeat("😀", 36), 2, UCS2},
		{"67 😀 need a third part", strings.Repeat("😀", 67), 3, UCS2},
		{"134 ç", strings.Repeat("ç", 134), 2, UCS2},
		{"135 ç", strings.Repeat("ç", 135), 3, UCS2},
		{"form feed is 2", a(159) + "\f", 2, GSM7},
		{"backtick is not GSM", "`", 1, UCS2},
		{"invalid UTF-8 is UCS-2", "abc\xff", 1, UCS2},
		{"invalid bytes count 1 unit each", a(68) + "\xff\xfe\xfd", 2, UCS2},
		{"Ç is GSM", "Ç", 1, GSM7},
		{"Greek capitals", "ΔΦΓΛΩΠΨΣΘΞ", 1, GSM7},
		{"Greek small is not", "α", 1, UCS2},
		{"$ and ¤", "$¤", 1, GSM7},
	}
	for _, tt := range tests {
		segments, enc := CountSegments(tt.text)
		if segments != tt.segments || enc != tt.enc {
			t.Errorf("%s: got %d %v, want %d %v", tt.name, segments, enc, tt.segments, tt.enc)
		}
	}
}

// gsmDefault is the GSM 03.38 default alphabet in code order 0x00–0x7F, as
// printed in the standard, with the escape 0x1B as '\x1b'.
const gsmDefault = "@£$¥èéùìòÇ\nØø\rÅå" +
	"Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ" +
	" !\"#¤%&'()*+,-./" +
	"0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNO" +
	"PQRSTUVWXYZÄÖÑÜ§" +
	"¿abcdefghijklmno" +
	"pqrstuvwxyzäöñüà"

// gsmExtension is the extension table reached through the escape.
const gsmExtension = "\f^{}\\[~]|€"

func referenceSeptets() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsmDefault {
		if r != '\x1b' {
			m[r] = 1
		}
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}

func TestGSMAlphabetExact(t *testing.T) {
	if n := utf8.RuneCountInString(gsmDefault); n != 128 {
		t.Fatalf("reference table has %d characters, want 128", n)
	}
	ref := referenceSeptets()
	for r := rune(0); r < 0x3000; r++ {
		if got, want := gsmSeptets(r), ref[r]; got != want {
			t.Errorf("gsmSeptets(%U %q) = %d, want %d", r, r, got, want)
		}
	}
	for _, r := range "😀€\U0010FFFF" {
		if got, want := gsmSeptets(r), ref[r]; got != want {
			t.Errorf("gsmSeptets(%U) = %d, want %d", r, got, want)
		}
	}
}

// referenceSegments counts segments the slow way: builds the parts, one
// character at a time, from the encoded units themselves.
func referenceSegments(text string) (int, Encoding) {
	ref := referenceSeptets()
	runes := []rune(text) // invalid bytes become U+FFFD, one each
	gsm := true
	for _, r := range runes {
		if ref[r] == 0 {
			gsm = false
		}
	}
	if gsm {
		var septets [][]int // each character's septet codes, as a part holds them
		total := 0
		for _, r := range runes {
			septets = append(septets, make([]int, ref[r]))
			total += ref[r]
		}
		if total <= 160 {
			return 1, GSM7
		}
		return packParts(septets, 153), GSM7
	}
	var units [][]uint16
	total := 0
	for _, r := range runes {
		u := utf16.Encode([]rune{r})
		units = append(units, u)
		total += len(u)
	}
	if total <= 70 {
		return 1, UCS2
	}
	chars := make([][]int, len(units))
	for i, u := range units {
		chars[i] = make([]int, len(u))
	}
	return packParts(chars, 67), UCS2
}

// packParts splits characters (each a run of units) into parts of at most
// size units, never splitting a character.
func packParts(chars [][]int, size int) int {
	var parts [][]int
	var cur []int
	for _, c := range chars {
		if len(cur)+len(c) > size {
			parts = append(parts, cur)
			cur = nil
		}
		cur = append(cur, c...)
	}
	return len(append(parts, cur))
}

func FuzzCountSegments(f *testing.F) {
	a := func(n int) string { return strings.Repeat("a", n) }
	for _, s := range []string{"", "Hello", a(160), a(161), a(159) + "€", strings.Repeat("é", 70),
		strings.Repeat("ç", 71), a(152) + "€" + a(152), a(66) + "😀" + a(66), "\xff", "\f`^",
		strings.Repeat("{", 77), strings.Repeat("😀", 34) + "a"} {
		f.Add(s)
	}
	ref := referenceSeptets()
	f.Fuzz(func(t *testing.T, text string) {
		segments, enc := CountSegments(text)
		if segments < 1 {
			t.Fatalf("%q: %d segments", text, segments)
		}
		if enc == GSM7 {
			for _, r := range text {
				if ref[r] == 0 {
					t.Fatalf("%q: GSM-7 but %U is not in the alphabet", text, r)
				}
			}
		}
		wantSegments, wantEnc := referenceSegments(text)
		if segments != wantSegments || enc != wantEnc {
			t.Fatalf("%q: got %d %v, reference %d %v", text, segments, enc, wantSegments, wantEnc)
		}
	})
}

func BenchmarkCountSegments(b *testing.B) {
	for _, bench := range []struct{ name, text string }{
		{"gsm7-plain-301", strings.Repeat("Your code is 4821. Reply STOP to opt out. ", 7)},
		{"gsm7-160", strings.Repeat("Hello wor€", 16)},
		{"gsm7-459", strings.Repeat("Hello world, your code is 1234. ", 14) + "€"},
		{"ucs2-emoji", strings.Repeat("Habari 😀 ", 20)},
	} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bench.text)))
			for b.Loop() {
				CountSegments(bench.text)
			}
		})
	}
}

// TestCountSegmentsPlainPrefixes: a run of one-septet characters of every
// length up to three parts, then a two-septet, a non-GSM or nothing,
// against the reference.
func TestCountSegmentsPlainPrefixes(t *testing.T) {
	for k := 0; k <= 3*153+2; k++ {
		for _, tail := range []string{"", "€", "{", "é", "😀", "\xff", "ab"} {
			text := strings.Repeat("a", k) + tail
			got, gotEnc := CountSegments(text)
			want, wantEnc := referenceSegments(text)
			if got != want || gotEnc != wantEnc {
				t.Fatalf("%d × 'a' + %q: got %d %v, reference %d %v", k, tail, got, gotEnc, want, wantEnc)
			}
		}
	}
}
