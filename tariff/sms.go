package tariff

// SMS segment sizes (SPEC section 6). A concatenated part loses room to the
// user data header: 160 → 153 septets, 70 → 67 UTF-16 units.
const (
	gsm7Single = 160
	gsm7Part   = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmASCII gives the septets of each ASCII character in GSM 03.38: 1 in the
// default alphabet, 2 in the extension table (escape + code), 0 if absent.
// Outside ASCII only '`' and most control characters are missing from the
// default alphabet.
var gsmASCII = func() (t [128]uint8) {
	for c := ' '; c <= '~'; c++ {
		t[c] = 1
	}
	t['`'] = 0
	for _, c := range "^{}\\[~]|" {
		t[c] = 2
	}
	t['\n'], t['\r'], t['\f'] = 1, 1, 2
	return t
}()

// gsmSeptets returns the septets r takes in GSM-7, or 0 if r is not
// representable, which forces the whole text into UCS-2.
func gsmSeptets(r rune) int {
	if r < 0x80 {
		return int(gsmASCII[r])
	}
	switch r {
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ',
		'Æ', 'æ', 'ß', 'É', '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿',
		'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	case '€':
		return 2
	}
	return 0
}

// gsmPlain marks the bytes that are a one-septet GSM-7 character on their
// own: printable ASCII but '`' and the extension table's, '\n' and '\r'.
var gsmPlain = func() (t [256]bool) {
	for c := range 128 {
		t[c] = gsmASCII[c] == 1
	}
	return t
}()

// plainGSMPrefix returns the length of text's prefix of one-septet bytes.
func plainGSMPrefix(text string) int {
	for i := 0; i < len(text); i++ {
		if !gsmPlain[text[i]] {
			return i
		}
	}
	return len(text)
}

// ucs2Units returns the UTF-16 code units of r: 2 for a surrogate pair.
func ucs2Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// CountSegments returns how many SMS parts text takes and their encoding.
// GSM-7 if every character is in the GSM 03.38 default alphabet or its
// extension table, else UCS-2. An empty text is 1 GSM-7 segment. Each byte of
// invalid UTF-8 counts as U+FFFD: one UCS-2 unit, as a gateway would send it.
// Parts are filled greedily, and a character (escape pair or surrogate pair)
// never straddles two parts. It does not allocate.
func CountSegments(text string) (segments int, enc Encoding) {
	// A prefix of one-septet bytes (all of a common SMS) is counted without
	// decoding runes: its greedy parts are full 153-septet parts and the rest.
	k := plainGSMPrefix(text)
	total, parts := k, max(1, (k+gsm7Part-1)/gsm7Part)
	used := k - (parts-1)*gsm7Part
	if k == len(text) {
		if total <= gsm7Single {
			return 1, GSM7
		}
		return parts, GSM7
	}
	// One pass over the rest counts the total and, alongside, the greedy
	// parts the text needs if the total turns out too long for one segment.
	for _, r := range text[k:] {
		n := gsmSeptets(r)
		if n == 0 {
			return countUCS2(text), UCS2
		}
		total += n
		if used+n > gsm7Part {
			parts, used = parts+1, 0
		}
		used += n
	}
	if total <= gsm7Single {
		return 1, GSM7
	}
	return parts, GSM7
}

func countUCS2(text string) int {
	total, parts, used := 0, 1, 0
	for _, r := range text {
		n := ucs2Units(r)
		total += n
		if used+n > ucs2Part {
			parts, used = parts+1, 0
		}
		used += n
	}
	if total <= ucs2Single {
		return 1
	}
	return parts
}
