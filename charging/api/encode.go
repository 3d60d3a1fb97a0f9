package api

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/salio/salio/tariff"
)

// enc appends JSON to a byte slice: no reflection and no allocation once the
// buffer has grown. comma records that a value was just written at the
// current level, so the next key or element needs a separator.
type enc struct {
	b     []byte
	comma bool
}

func (e *enc) reset(b []byte) { e.b, e.comma = b[:0], false }

func (e *enc) sep() {
	if e.comma {
		e.b = append(e.b, ',')
	}
}

// open starts an object (top level or an array element).
func (e *enc) open() { e.sep(); e.b = append(e.b, '{'); e.comma = false }

// close ends an object or an array.
func (e *enc) close() { e.b = append(e.b, '}'); e.comma = true }

func (e *enc) closeArr() { e.b = append(e.b, ']'); e.comma = true }

func (e *enc) key(k string) {
	e.sep()
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
	e.comma = false
}

// obj starts an object-valued field.
func (e *enc) obj(k string) { e.key(k); e.b = append(e.b, '{') }

// arr starts an array-valued field.
func (e *enc) arr(k string) { e.key(k); e.b = append(e.b, '[') }

func (e *enc) str(k, v string) { e.key(k); e.b = appendString(e.b, v); e.comma = true }

// elemStr writes one string element of an array.
func (e *enc) elemStr(v string) { e.sep(); e.b = appendString(e.b, v); e.comma = true }

// strOrNull writes null for "".
func (e *enc) strOrNull(k, v string) {
	if v == "" {
		e.null(k)
		return
	}
	e.str(k, v)
}

func (e *enc) int(k string, v int64) { e.key(k); e.b = strconv.AppendInt(e.b, v, 10); e.comma = true }

func (e *enc) bool(k string, v bool) { e.key(k); e.b = strconv.AppendBool(e.b, v); e.comma = true }

func (e *enc) null(k string) { e.key(k); e.b = append(e.b, "null"...); e.comma = true }

// money writes micros as a decimal string with exactly 6 decimals.
func (e *enc) money(k string, micros int64) {
	e.key(k)
	e.b = append(e.b, '"')
	e.b = appendMicros(e.b, micros)
	e.b = append(e.b, '"')
	e.comma = true
}

// quantity writes a micro-unit quantity (seconds, segments, tokens, GB) as a
// decimal string without trailing zeros: "65", "1.5".
func (e *enc) quantity(k string, micros int64) {
	e.key(k)
	e.b = append(e.b, '"')
	e.b = appendQuantity(e.b, micros)
	e.b = append(e.b, '"')
	e.comma = true
}

// time writes Unix ms as RFC 3339 UTC with milliseconds; 0 is null.
func (e *enc) time(k string, ms int64) {
	if ms == 0 {
		e.null(k)
		return
	}
	e.key(k)
	e.b = append(e.b, '"')
	e.b = time.UnixMilli(ms).UTC().AppendFormat(e.b, timeLayout)
	e.b = append(e.b, '"')
	e.comma = true
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendMicros formats micros with exactly 6 decimals (tariff's formatter:
// one definition of how money prints).
func appendMicros(b []byte, v int64) []byte { return tariff.AppendMicros(b, v) }

// formatMicros is appendMicros to a string.
func formatMicros(v int64) string { return string(appendMicros(nil, v)) }

// appendQuantity formats micros with the trailing fractional zeros dropped.
func appendQuantity(b []byte, v int64) []byte {
	b = appendMicros(b, v)
	i := len(b)
	for b[i-1] == '0' {
		i--
	}
	if b[i-1] == '.' {
		i--
	}
	return b[:i]
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, so
// the output is always valid JSON whatever a stored record holds.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigit[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigit = "0123456789abcdef"
