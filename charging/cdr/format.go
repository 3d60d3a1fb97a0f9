package cdr

import "time"

// Decimal and time formatting for the JSON encoders. These are local,
// allocation-free appenders with the same output as the tariff package's
// Format* helpers (SPEC §1): amounts with exactly 6 decimals, rates (picos)
// with at least 4, multipliers with at least 2, quantities trimmed.

var pow10 = [...]uint64{
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000,
}

// appendFixed appends v / 10^scale as a decimal with at least minDec and at
// most scale fractional digits (trailing zeros beyond minDec trimmed). With
// minDec = 0 and a zero fraction no decimal point is written.
func appendFixed(dst []byte, v int64, scale, minDec int) []byte {
	var u uint64
	if v < 0 {
		dst = append(dst, '-')
		u = uint64(-(v + 1)) + 1 // no overflow at math.MinInt64
	} else {
		u = uint64(v)
	}
	p := pow10[scale]
	dst = appendUint(dst, u/p)
	frac := u % p
	n := scale // fractional digits to print
	for n > minDec && frac%10 == 0 {
		frac /= 10
		n--
	}
	if n == 0 {
		return dst
	}
	dst = append(dst, '.')
	var buf [12]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, buf[:n]...)
}

func appendUint(dst []byte, u uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for u >= 10 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	buf[i] = byte('0' + u)
	return append(dst, buf[i:]...)
}

func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(dst, '-'), uint64(-(v+1))+1)
	}
	return appendUint(dst, uint64(v))
}

// appendMicros: money, exactly 6 decimals ("12.500000").
func appendMicros(dst []byte, v int64) []byte { return appendFixed(dst, v, 6, 6) }

// appendQuantity: micro-units, trailing zeros trimmed ("65", "1.5").
func appendQuantity(dst []byte, v int64) []byte { return appendFixed(dst, v, 6, 0) }

// appendPicos: unit prices in 10^-12, at least 4 decimals ("0.0200").
func appendPicos(dst []byte, v int64) []byte { return appendFixed(dst, v, 12, 4) }

// appendMultiplier: micros, at least 2 decimals ("0.95", "1.00").
func appendMultiplier(dst []byte, v int64) []byte { return appendFixed(dst, v, 6, 2) }

// appendTime appends Unix milliseconds as RFC 3339 UTC with exactly three
// fractional digits: "2026-11-24T06:30:00.123Z".
func appendTime(dst []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
}
