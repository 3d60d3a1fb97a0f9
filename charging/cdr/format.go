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
// fractional digits: "2026-11-24T06:30:00.123Z". Years 0000–9999 are
// formatted by hand (civil-from-days, H. Hinnant); others by package time.
func appendTime(dst []byte, ms int64) []byte {
	const minMs, maxMs = -62167219200000, 253402300799999 // 0000-01-01 … 9999-12-31
	if ms < minMs || ms > maxMs {
		return time.UnixMilli(ms).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	}
	days := ms / 86400000
	rem := ms % 86400000
	if rem < 0 {
		rem += 86400000
		days--
	}
	// civil from days since 1970-01-01
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100) // [0, 365]
	mp := (5*doy + 2) / 153                  // [0, 11]
	d := doy - (153*mp+2)/5 + 1              // [1, 31]
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	sec := rem / 1000
	var b [24]byte
	put := func(i int, v int64, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, m, 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, sec/3600, 2)
	b[13] = ':'
	put(14, sec/60%60, 2)
	b[16] = ':'
	put(17, sec%60, 2)
	b[19] = '.'
	put(20, rem%1000, 3)
	b[23] = 'Z'
	return append(dst, b[:]...)
}
