package tariff

import (
	"errors"
	"math"
	"strconv"
)

// ErrInvalidAmount is wrapped by ParseMicros for a string that is not a plain
// decimal number or has more decimals than the unit can hold.
var ErrInvalidAmount = errors.New("invalid amount")

var (
	errAmountSyntax    = &wrapError{"invalid amount: not a plain decimal number", ErrInvalidAmount}
	errAmountPrecision = &wrapError{"invalid amount: more than 6 decimal places", ErrInvalidAmount}
	errAmountRange     = &wrapError{"amount out of range", ErrOverflow}
)

// wrapError is a preallocated error with its own message that still matches
// a sentinel under errors.Is; returning one costs no allocation.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// pow10[i] is 10^i; 10^19 is the largest power of ten in a uint64.
var pow10 = [...]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// fixedErr says why parseFixed refused a string, so each caller can word it.
type fixedErr uint8

const (
	fixedOK fixedErr = iota
	fixedSyntax
	fixedPrecision
	fixedRange
)

// parseFixed parses an exact decimal "-?D+(.D+)?" into an integer of
// 10^-scale units. The grammar is JSON's number grammar without exponent
// (leading zeros are tolerated): no '+', no spaces, no "1." or ".5".
func parseFixed(s string, scale int) (int64, fixedErr) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, fracPart := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, fracPart = s[:i], s[i+1:]
			if fracPart == "" {
				return 0, fixedSyntax
			}
			break
		}
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(fracPart) {
		return 0, fixedSyntax
	}
	if len(fracPart) > scale {
		return 0, fixedPrecision
	}
	const limit = math.MaxInt64
	var whole uint64
	for i := 0; i < len(intPart); i++ {
		if whole > limit/10 {
			return 0, fixedRange
		}
		whole = whole*10 + uint64(intPart[i]-'0')
	}
	var frac uint64
	for i := 0; i < len(fracPart); i++ {
		frac = frac*10 + uint64(fracPart[i]-'0')
	}
	frac *= pow10[scale-len(fracPart)]
	unit := pow10[scale]
	if whole > (limit-frac)/unit {
		return 0, fixedRange
	}
	v := int64(whole*unit + frac)
	if neg {
		v = -v
	}
	return v, fixedOK
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseMicros parses an exact decimal amount ("12.5", "-0.000001") into
// micros. It refuses more than 6 decimals, exponents, signs other than a
// leading '-', spaces and the empty string (ErrInvalidAmount), and magnitudes
// beyond int64 (ErrOverflow). Callers check the sign and their own maximum.
func ParseMicros(s string) (int64, error) {
	v, e := parseFixed(s, 6)
	switch e {
	case fixedSyntax:
		return 0, errAmountSyntax
	case fixedPrecision:
		return 0, errAmountPrecision
	case fixedRange:
		return 0, errAmountRange
	}
	return v, nil
}

// FormatMicros prints micros with exactly 6 decimals: 12500000 → "12.500000".
func FormatMicros(v int64) string {
	var buf [24]byte
	return string(AppendMicros(buf[:0], v))
}

// AppendMicros appends FormatMicros(v) to dst; it allocates only if dst must
// grow, so JSON encoders on the hot path can use it freely.
func AppendMicros(dst []byte, v int64) []byte {
	return appendFixed(dst, v, 6, 6)
}

// FormatPicos prints a rate in picos with trailing zeros trimmed but at least
// 4 decimals, the way tariffs usually write rates: "0.0200", "0.00015".
func FormatPicos(v int64) string {
	var buf [32]byte
	return string(appendFixed(buf[:0], v, 12, 4))
}

// FormatMultiplier prints a multiplier in micros with at least 2 decimals:
// "1.00", "0.95", "0.875".
func FormatMultiplier(v int64) string {
	var buf [24]byte
	return string(appendFixed(buf[:0], v, 6, 2))
}

// appendFixed appends v (in 10^-scale units) as a decimal with at least
// minDecimals and at most scale decimals, trimming trailing zeros between.
func appendFixed(dst []byte, v int64, scale, minDecimals int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u // two's complement: also right for math.MinInt64
	}
	unit := pow10[scale]
	dst = strconv.AppendUint(dst, u/unit, 10)
	frac := u % unit
	var digits [19]byte
	for i := scale - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := scale
	for n > minDecimals && digits[n-1] == '0' {
		n--
	}
	if n > 0 {
		dst = append(dst, '.')
		dst = append(dst, digits[:n]...)
	}
	return dst
}
