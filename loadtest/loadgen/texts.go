package loadgen

import (
	"encoding/json"
	"strings"
	"unicode/utf16"
)

// SMS texts of varied lengths in both encodings. Each is pre-encoded as a JSON
// string literal (so a body is built by appending bytes) and carries its
// expected segment count, computed here by the rules of SPEC §6, which lets
// the generator count segments/s without trusting the server and flag any
// answer whose "segments" disagrees.

type smsText struct {
	jsonLit  []byte // the text as a quoted JSON string
	segments int
	ucs2     bool
}

// gsmBasic is the GSM 03.38 default alphabet; gsmExt its extension table,
// whose characters take two septets.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

// countSegments returns the segments and encoding of text per SPEC §6.
func countSegments(text string) (segments int, ucs2 bool) {
	gsm := true
	for _, r := range text {
		if !strings.ContainsRune(gsmBasic, r) && !strings.ContainsRune(gsmExt, r) {
			gsm = false
			break
		}
	}
	if gsm {
		return packSegments(text, 160, 153, func(r rune) int {
			if strings.ContainsRune(gsmExt, r) {
				return 2
			}
			return 1
		}), false
	}
	return packSegments(text, 70, 67, func(r rune) int { return utf16.RuneLen(r) }), true
}

// packSegments counts parts when every character of size(r) units must stay
// within one part: single holds a one-part text, part a piece of a longer one.
func packSegments(text string, single, part int, size func(rune) int) int {
	total := 0
	for _, r := range text {
		total += size(r)
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, r := range text {
		s := size(r)
		if used+s > part {
			n++
			used = 0
		}
		used += s
	}
	return n
}

// smsPool builds the texts the generator sends: short and long, plain GSM-7,
// GSM-7 with extension characters, Latin UCS-2, Swahili-ish GSM and emoji.
func smsPool() []smsText {
	seeds := []string{
		"Your code is 482913",
		"Habari! Salio lako ni TZS 12,500. Asante kwa kutumia huduma yetu.",
		"Reminder: your appointment is tomorrow at 10:30 [ref ~77] {ok}",
		"Price: 5€ only today! Reply STOP to opt out | ^_^",
		"Votre colis est arrivé. Merci de passer au guichet ç à partir de 9h.",
		"Ваш код подтверждения: 5521",
		"订单已发货，请注意查收。",
		"Payment received 👍 thank you!",
		"Karibu 🎉🎉 offer ends soon",
	}
	var texts []string
	for _, s := range seeds {
		texts = append(texts, s)
		texts = append(texts, strings.Repeat(s+" ", 160/len(s)+1))
		texts = append(texts, strings.Repeat(s+" ", 480/len(s)+1))
	}
	// Boundary texts from the spec's examples.
	texts = append(texts, strings.Repeat("a", 160), strings.Repeat("a", 161),
		strings.Repeat("a", 152)+"€"+strings.Repeat("a", 152),
		strings.Repeat("a", 66)+"😀"+strings.Repeat("a", 66), "")
	pool := make([]smsText, 0, len(texts))
	for _, t := range texts {
		lit, err := json.Marshal(t)
		if err != nil {
			panic(err)
		}
		seg, ucs2 := countSegments(t)
		pool = append(pool, smsText{jsonLit: lit, segments: seg, ucs2: ucs2})
	}
	return pool
}
