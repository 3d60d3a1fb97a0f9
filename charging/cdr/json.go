package cdr

import (
	"unicode/utf8"

	"github.com/salio/salio/charging"
)

// AppendCDRJSON appends the JSON object of c (SPEC §8) to dst and returns the
// extended slice. Field order is fixed:
//
//	{"id","tenant","kind","session_id"|"event_id","service","direction",
//	 "destination","started_at","ended_at","usage_seconds","billed_seconds",
//	 "quantity","unit","rate","tier","multiplier","amount","currency",
//	 "termination","requests"}
//
// Exactly one of session_id (kind "session") and event_id (kind "event") is
// written. Times are RFC 3339 UTC with milliseconds; quantity, rate,
// multiplier and amount are decimal strings; the counts are JSON numbers.
// Every other field is always present, "" when unset (termination is "" for
// event CDRs). It allocates nothing beyond growing dst.
func AppendCDRJSON(dst []byte, c *charging.CDR) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, c.ID)
	dst = append(dst, `,"tenant":`...)
	dst = appendString(dst, c.Tenant)
	dst = append(dst, `,"kind":`...)
	dst = appendString(dst, c.Kind)
	switch {
	case c.Kind == "event" || (c.Kind != "session" && c.SessionID == "" && c.EventID != ""):
		dst = append(dst, `,"event_id":`...)
		dst = appendString(dst, c.EventID)
	default:
		dst = append(dst, `,"session_id":`...)
		dst = appendString(dst, c.SessionID)
	}
	dst = append(dst, `,"service":`...)
	dst = appendString(dst, c.Service)
	dst = append(dst, `,"direction":`...)
	dst = appendString(dst, c.Direction)
	dst = append(dst, `,"destination":`...)
	dst = appendString(dst, c.Destination)
	dst = append(dst, `,"started_at":"`...)
	dst = appendTime(dst, c.StartedAt)
	dst = append(dst, `","ended_at":"`...)
	dst = appendTime(dst, c.EndedAt)
	dst = append(dst, `","usage_seconds":`...)
	dst = appendInt(dst, c.UsageSeconds)
	dst = append(dst, `,"billed_seconds":`...)
	dst = appendInt(dst, c.BilledSeconds)
	dst = append(dst, `,"quantity":"`...)
	dst = appendQuantity(dst, c.QuantityMicros)
	dst = append(dst, `","unit":`...)
	dst = appendString(dst, c.Unit)
	dst = append(dst, `,"rate":"`...)
	dst = appendPicos(dst, c.RatePicos)
	dst = append(dst, `","tier":`...)
	dst = appendString(dst, c.Tier)
	dst = append(dst, `,"multiplier":"`...)
	dst = appendMultiplier(dst, c.MultiplierMicros)
	dst = append(dst, `","amount":"`...)
	dst = appendMicros(dst, c.AmountMicros)
	dst = append(dst, `","currency":`...)
	dst = appendString(dst, c.Currency)
	dst = append(dst, `,"termination":`...)
	dst = appendString(dst, c.Termination)
	dst = append(dst, `,"requests":`...)
	dst = appendInt(dst, c.Requests)
	return append(dst, '}')
}

// AppendEventJSON appends the JSON object of a wallet event (SPEC §8) to dst:
// {"id","tenant","type","at","balance"} always, then "amount" when non-zero
// and "method", "reference", "tier" when non-empty. Money is a decimal string
// with 6 places, "at" RFC 3339 UTC with milliseconds.
func AppendEventJSON(dst []byte, e *charging.WalletEvent) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"tenant":`...)
	dst = appendString(dst, e.Tenant)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"at":"`...)
	dst = appendTime(dst, e.At)
	dst = append(dst, `","balance":"`...)
	dst = appendMicros(dst, e.BalanceMicros)
	dst = append(dst, '"')
	if e.AmountMicros != 0 {
		dst = append(dst, `,"amount":"`...)
		dst = appendMicros(dst, e.AmountMicros)
		dst = append(dst, '"')
	}
	if e.Method != "" {
		dst = append(dst, `,"method":`...)
		dst = appendString(dst, e.Method)
	}
	if e.Reference != "" {
		dst = append(dst, `,"reference":`...)
		dst = appendString(dst, e.Reference)
	}
	if e.Tier != "" {
		dst = append(dst, `,"tier":`...)
		dst = appendString(dst, e.Tier)
	}
	return append(dst, '}')
}

// safeASCII[b] is true for the ASCII bytes that need no escaping in a JSON
// string.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a quoted JSON string. Like encoding/json it
// escapes '"', '\\', control characters, U+2028 and U+2029, and replaces each
// byte of invalid UTF-8 with U+FFFD, so the output is always valid JSON and
// decodes to s whenever s is valid UTF-8. It does not escape <, > and &.
// AppendString appends s as a JSON string (the one JSON string encoder of
// Salio's hand-written encoders; the API uses it too).
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
