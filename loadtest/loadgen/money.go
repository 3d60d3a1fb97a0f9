package loadgen

import (
	"errors"
	"strconv"
)

// Money on the client is int64 micro-units like the engine's, so the audit
// compares exact sums and never rounds.

const microsPerUnit = 1_000_000

var errBadAmount = errors.New("bad amount")

// parseMicros parses a decimal string such as "12.500000", "-0.02" or "+3"
// into micro-units. More than 6 decimals is an error: the server must never
// print one.
func parseMicros(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errBadAmount
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	var whole, frac int64
	i, digits := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if whole > (1<<62)/10/microsPerUnit {
			return 0, errBadAmount
		}
		whole = whole*10 + int64(b[i]-'0')
		digits++
	}
	fracDigits := 0
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if fracDigits == 6 {
				return 0, errBadAmount
			}
			frac = frac*10 + int64(b[i]-'0')
			fracDigits++
		}
	}
	if i != len(b) || digits == 0 {
		return 0, errBadAmount
	}
	for ; fracDigits < 6; fracDigits++ {
		frac *= 10
	}
	v := whole*microsPerUnit + frac
	if neg {
		v = -v
	}
	return v, nil
}

// appendMicros appends v as a decimal with exactly 6 decimals, as the API
// prints amounts.
func appendMicros(dst []byte, v int64) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	dst = strconv.AppendInt(dst, v/microsPerUnit, 10)
	dst = append(dst, '.')
	frac := v % microsPerUnit
	for d := int64(100_000); d > 0; d /= 10 {
		dst = append(dst, byte('0'+frac/d%10))
	}
	return dst
}

// formatMicros is appendMicros to a string.
func formatMicros(v int64) string { return string(appendMicros(nil, v)) }

// ParseAmount parses a decimal amount flag such as "100.00" into micro-units.
func ParseAmount(s string) (int64, error) { return parseMicros([]byte(s)) }
