package api

import (
	"github.com/salio/salio/charging/cdr"
	"strconv"
	"time"

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

// appendString appends s as a JSON string: the CDR encoder's, so the API and
// the Kafka records escape alike (invalid UTF-8 becomes U+FFFD, U+2028/9 are
// escaped; <, > and & are not: these bodies are never embedded in HTML).
func appendString(b []byte, s string) []byte { return cdr.AppendString(b, s) }
