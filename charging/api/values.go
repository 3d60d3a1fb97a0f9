package api

import (
	"strconv"
	"strings"
)

// The typed readers of decoder: each consumes one value, validates it on
// the spot and returns ok = false for null (absent) or a bad value (the
// error is kept in d.verr).

// str reads a string value.
func (d *decoder) str(field string) ([]byte, bool) {
	switch d.peek() {
	case '"':
		return d.readString(&d.scratch)
	case 'n':
		if d.null() {
			return nil, false
		}
	}
	d.skipValue(0)
	d.bad(field, "must be a string")
	return nil, false
}

// integer reads a whole number in [lo, hi]. A value over hi counts a hit of
// limit when limit is set.
func (d *decoder) integer(field string, lo, hi int64, limit string) (int64, bool) {
	switch c := d.peek(); {
	case c == '-' || (c >= '0' && c <= '9'):
	case c == 'n' && d.null():
		return 0, false
	case c == '"':
		d.skipValue(0)
		d.bad(field, "must be a number, not a string")
		return 0, false
	default:
		d.skipValue(0)
		d.bad(field, "must be a number")
		return 0, false
	}
	tok, ok := d.readNumber()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		if strings.ContainsAny(string(tok), ".eE") {
			d.bad(field, "must be a whole number")
			return 0, false
		}
		if tok[0] != '-' {
			v = hi + 1 // overflow upwards: over the limit
		} else {
			v = lo - 1
		}
	}
	if v < lo {
		d.bad(field, "must be at least "+strconv.FormatInt(lo, 10))
		return 0, false
	}
	if v > hi {
		d.setErr(&apiError{status: 400, code: codeInvalid, field: field, limit: limit,
			msg: "must be at most " + strconv.FormatInt(hi, 10)})
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (d *decoder) boolean(field string) (bool, bool) {
	switch d.peek() {
	case 't':
		if d.literal("true") {
			return true, true
		}
	case 'f':
		if d.literal("false") {
			return false, true
		}
	case 'n':
		if d.null() {
			return false, false
		}
	}
	d.skipValue(0)
	d.bad(field, "must be true or false")
	return false, false
}

// money reads an amount: a decimal string with at most 6 decimals, in
// [lo, max]. JSON numbers are refused: a float would have rounded it already.
func (d *decoder) money(field string, lo, hi int64) (int64, bool) {
	switch c := d.peek(); {
	case c == '"':
	case c == 'n' && d.null():
		return 0, false
	case c == '-' || (c >= '0' && c <= '9'):
		d.skipValue(0)
		d.bad(field, `must be a decimal string such as "12.50", not a JSON number`)
		return 0, false
	default:
		d.skipValue(0)
		d.bad(field, `must be a decimal string such as "12.50"`)
		return 0, false
	}
	b, ok := d.readString(&d.scratch)
	if !ok {
		return 0, false
	}
	return d.checkDecimal(field, b, lo, hi, limitAmount)
}

// quantity reads a non-money decimal quantity (storage gb): a string or a
// plain JSON number, parsed exactly from its digits, at most 6 decimals.
func (d *decoder) quantity(field string, lo, hi int64) (int64, bool) {
	var b []byte
	var ok bool
	switch c := d.peek(); {
	case c == '"':
		b, ok = d.readString(&d.scratch)
	case c == 'n' && d.null():
		return 0, false
	case c == '-' || (c >= '0' && c <= '9'):
		b, ok = d.readNumber()
	default:
		d.skipValue(0)
		d.bad(field, "must be a decimal number")
		return 0, false
	}
	if !ok {
		return 0, false
	}
	return d.checkDecimal(field, b, lo, hi, limitQuantity)
}

func (d *decoder) checkDecimal(field string, b []byte, lo, hi int64, limit string) (int64, bool) {
	v, msg := parseDecimal(b)
	switch {
	case msg != "":
		d.bad(field, msg)
	case v < lo && v < 0:
		d.bad(field, "must not be negative")
	case v < lo:
		d.bad(field, "must be greater than 0")
	case v > hi:
		d.setErr(&apiError{status: 400, code: codeInvalid, field: field, limit: limit,
			msg: "must be at most " + formatMicros(hi)})
	default:
		return v, true
	}
	return 0, false
}

// maxDecimalUnits keeps units·10^6 + fraction inside int64 with room to spare.
const maxDecimalUnits = 9_000_000_000_000

// parseDecimal parses -?D+(.D{1,6})? into micros, exactly.
func parseDecimal(b []byte) (int64, string) {
	const shape = `must be a decimal number such as "12.50"`
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var units, frac int64
	start := i
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		units = units*10 + int64(b[i]-'0')
		if units > maxDecimalUnits {
			return 0, "is too large"
		}
	}
	if i == start {
		return 0, shape
	}
	if i < len(b) && b[i] == '.' {
		i++
		n := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if n == 6 {
				return 0, "must have at most 6 decimal places"
			}
			frac = frac*10 + int64(b[i]-'0')
			n++
		}
		if n == 0 {
			return 0, shape
		}
		for ; n < 6; n++ {
			frac *= 10
		}
	}
	if i != len(b) {
		return 0, shape
	}
	v := units*1_000_000 + frac
	if neg {
		v = -v
	}
	return v, ""
}

// id reads a caller-chosen identifier: 1–128 of A-Z a-z 0-9 . _ : - @.
func (d *decoder) id(field string) (string, bool) {
	b, ok := d.str(field)
	if !ok {
		return "", false
	}
	if e := checkID(field, b); e != nil {
		d.setErr(e)
		return "", false
	}
	return string(b), true
}

// checkID validates an identifier from a body or a URL.
func checkID(field string, b []byte) *apiError {
	if len(b) == 0 {
		return invalid(field, "must not be empty")
	}
	if len(b) > maxIDLen {
		return overLimit(limitID, field, "must be at most 128 characters")
	}
	for _, c := range b {
		if !idChar[c] {
			return invalid(field, "may hold only A-Z a-z 0-9 . _ : - @")
		}
	}
	return nil
}

var idChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "._:-@" {
		t[c] = true
	}
	return t
}()

// enum reads a string that must be one of opts and returns the option itself
// (a constant: nothing of the body is kept).
func (d *decoder) enum(field string, opts ...string) (string, bool) {
	b, ok := d.str(field)
	if !ok {
		return "", false
	}
	for _, o := range opts {
		if string(b) == o {
			return o, true
		}
	}
	d.bad(field, "must be one of: "+strings.Join(opts, ", "))
	return "", false
}

// text reads a free-text string of at most max bytes.
func (d *decoder) text(field string, max int, limit string) (string, bool) {
	b, ok := d.str(field)
	if !ok {
		return "", false
	}
	if len(b) > max {
		d.setErr(overLimit(limit, field, "must be at most "+strconv.Itoa(max)+" bytes"))
		return "", false
	}
	return string(b), true
}

// destination reads a number: 1–32 digits after an optional '+' (spec 2).
func (d *decoder) destination(field string) (string, bool) {
	b, ok := d.str(field)
	if !ok {
		return "", false
	}
	if !validDestination(b) {
		d.bad(field, "must be 1-32 digits, optionally after a '+'")
		return "", false
	}
	return string(b), true
}

func validDestination(b []byte) bool {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 32 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
