package api

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder is a strict, allocation-light JSON reader for request bodies. It
// walks the body once: objects key by key, each value read by a typed reader
// that validates it on the spot. Two kinds of error:
//
//   - syntax (malformed JSON, a limit that stops the walk): fatal, the walk
//     ends at once;
//   - a validation error (wrong type, unknown field, bad value): the value is
//     consumed, the first such error is kept and the walk goes on, so a batch
//     can report it for one item and carry on with the next.
//
// Strings come back as []byte into the body or into a scratch buffer: valid
// only until the next read. Callers copy (string(b)) what they keep, so no
// request byte slice outlives the handler.
type decoder struct {
	data     []byte
	pos      int
	syntax   *apiError
	verr     *apiError
	key      []byte
	scratch  []byte
	kscratch []byte
	maxMoney int64
}

func (d *decoder) reset(body []byte, maxMoney int64) {
	d.data, d.pos, d.syntax, d.verr, d.key = body, 0, nil, nil, nil
	d.maxMoney = maxMoney
}

// err returns the error that decides the answer, syntax first.
func (d *decoder) err() *apiError {
	if d.syntax != nil {
		return d.syntax
	}
	return d.verr
}

func (d *decoder) fail(msg string) {
	if d.syntax == nil {
		d.syntax = invalid("", "malformed JSON: "+msg+" at offset "+strconv.Itoa(d.pos))
	}
}

func (d *decoder) bad(field, msg string) {
	if d.verr == nil {
		d.verr = invalid(field, msg)
	}
}

func (d *decoder) setErr(e *apiError) {
	if d.verr == nil {
		d.verr = e
	}
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// finish checks that nothing but whitespace follows the top-level value
// (not peek: a NUL byte is data, not the end).
func (d *decoder) finish() *apiError {
	d.ws()
	if d.syntax == nil && d.pos < len(d.data) {
		d.fail("unexpected data after the JSON object")
	}
	return d.err()
}

// objIter walks one object's keys and remembers them to refuse duplicates.
type objIter struct {
	first bool
	n     int
	seen  [maxObjectKeys]uint64
}

// object starts an object value; field names it in errors ("" = the body).
func (d *decoder) object(it *objIter, field string) bool {
	c := d.peek()
	if c == '{' {
		d.pos++
		it.first, it.n = true, 0
		return true
	}
	if field == "" {
		if c == 0 {
			d.fail("empty body")
		} else {
			d.fail("the body must be a JSON object")
		}
		return false
	}
	d.skipValue(0)
	d.bad(field, "must be an object")
	return false
}

// next advances to the object's next key (in d.key) and its value; false at
// the end of the object or on a syntax error.
func (d *decoder) next(it *objIter) bool {
	if d.syntax != nil {
		return false
	}
	c := d.peek()
	if it.first {
		if c == '}' {
			d.pos++
			return false
		}
	} else {
		switch c {
		case ',':
			d.pos++
			c = d.peek()
		case '}':
			d.pos++
			return false
		default:
			d.fail("expected ',' or '}'")
			return false
		}
	}
	it.first = false
	if c != '"' {
		d.fail("expected a field name")
		return false
	}
	k, ok := d.readString(&d.kscratch)
	if !ok {
		return false
	}
	d.key = k
	if d.peek() != ':' {
		d.fail("expected ':'")
		return false
	}
	d.pos++
	d.ws()
	d.checkDuplicate(it, k)
	return true
}

func (d *decoder) checkDuplicate(it *objIter, k []byte) {
	h := fnv64(k)
	for i := 0; i < it.n; i++ {
		if it.seen[i] == h {
			d.bad(string(k), "field given twice")
			return
		}
	}
	if it.n < maxObjectKeys {
		it.seen[it.n] = h
		it.n++
	}
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// unknown consumes the current value and records an unknown-field error.
func (d *decoder) unknown() {
	field := string(d.key)
	d.skipValue(0)
	d.bad(field, "unknown field")
}

// arrIter walks one array's elements.
type arrIter struct {
	first bool
	n     int
}

// array starts an array value.
func (d *decoder) array(it *arrIter, field string) bool {
	c := d.peek()
	if c == '[' {
		d.pos++
		it.first, it.n = true, 0
		return true
	}
	if d.null() {
		return false
	}
	d.skipValue(0)
	d.bad(field, "must be an array")
	return false
}

// elemNull consumes a null element and flags it: in a list, null is not
// "absent" but a wrong element.
func (d *decoder) elemNull(field string) bool {
	if d.null() {
		d.bad(field, "must not hold null")
		return true
	}
	return false
}

// elem advances to the array's next element.
func (d *decoder) elem(it *arrIter) bool {
	if d.syntax != nil {
		return false
	}
	c := d.peek()
	if it.first {
		it.first = false
		if c == ']' {
			d.pos++
			return false
		}
	} else {
		switch c {
		case ',':
			d.pos++
			d.ws()
		case ']':
			d.pos++
			return false
		default:
			d.fail("expected ',' or ']'")
			return false
		}
	}
	it.n++
	return true
}

// null consumes a JSON null if one is next. Optional fields treat null as
// absent, as most JSON clients send it for "not set".
func (d *decoder) null() bool {
	if d.peek() == 'n' && d.literal("null") {
		return true
	}
	return false
}

func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

// skipValue consumes any JSON value, checking its syntax.
func (d *decoder) skipValue(depth int) {
	if depth > maxJSONDepth {
		d.fail("nested too deeply")
		return
	}
	switch c := d.peek(); {
	case c == '{':
		var it objIter
		d.pos++
		it.first = true
		for d.next(&it) {
			d.skipValue(depth + 1)
		}
	case c == '[':
		var it arrIter
		d.pos++
		it.first = true
		for d.elem(&it) {
			d.skipValue(depth + 1)
		}
	case c == '"':
		d.readString(&d.scratch)
	case c == '-' || (c >= '0' && c <= '9'):
		d.readNumber()
	case c == 't':
		d.mustLiteral("true")
	case c == 'f':
		d.mustLiteral("false")
	case c == 'n':
		d.mustLiteral("null")
	case c == 0:
		d.fail("unexpected end of body")
	default:
		d.fail("unexpected character")
	}
}

func (d *decoder) mustLiteral(lit string) {
	if !d.literal(lit) {
		d.fail("invalid literal")
	}
}

// readString reads the string at d.pos (a '"'). Without escapes it returns a
// slice of the body; with escapes it unescapes into *buf. ASCII is valid
// UTF-8, so the scan ORs the bytes together and only a string with a byte
// ≥ 0x80 is validated (IDs and GSM-7 texts are ASCII). The scan skips eight
// bytes at a time while none of them ends the string or needs a look.
func (d *decoder) readString(buf *[]byte) ([]byte, bool) {
	i := d.pos + 1
	var words uint64
	for ; i+8 <= len(d.data); i += 8 {
		w := binary.LittleEndian.Uint64(d.data[i:])
		if !plainWord(w) {
			break
		}
		words |= w
	}
	high := byte(0)
	if words&swarHigh != 0 {
		high = utf8.RuneSelf
	}
	for ; i < len(d.data); i++ {
		c := d.data[i]
		high |= c
		if c == '"' {
			s := d.data[d.pos+1 : i]
			if high >= utf8.RuneSelf && !utf8.Valid(s) {
				d.fail("invalid UTF-8 in string")
				return nil, false
			}
			d.pos = i + 1
			return s, true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			d.pos = i
			d.fail("control character in string")
			return nil, false
		}
	}
	return d.readEscaped(buf, i)
}

const (
	swarLow  = 0x0101010101010101 // 0x01 in every byte
	swarHigh = 0x8080808080808080 // 0x80 in every byte
)

// plainWord reports that none of w's eight bytes is a '"', a '\\'
// or a control character (< 0x20): bit tricks that find a byte equal to or
// below a value in every byte at once. A borrow can only mark bytes above
// a byte that matched, so "none matched" is exact.
func plainWord(w uint64) bool {
	quote := w ^ (swarLow * '"')
	backslash := w ^ (swarLow * '\\')
	special := (quote-swarLow) & ^quote | (backslash-swarLow) & ^backslash | (w-swarLow*0x20) & ^w
	return special&swarHigh == 0
}

// readEscaped is readString's slow path from the first backslash at i.
func (d *decoder) readEscaped(buf *[]byte, i int) ([]byte, bool) {
	out := append((*buf)[:0], d.data[d.pos+1:i]...)
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			*buf = out
			d.pos = i + 1
			if !utf8.Valid(out) {
				d.fail("invalid UTF-8 in string")
				return nil, false
			}
			return out, true
		case c == '\\':
			var ok bool
			out, i, ok = d.unescape(out, i)
			if !ok {
				return nil, false
			}
		case c < 0x20:
			d.pos = i
			d.fail("control character in string")
			return nil, false
		default:
			out = append(out, c)
			i++
		}
	}
	d.pos = i
	d.fail("unterminated string")
	return nil, false
}

// unescape decodes the escape at data[i] == '\\' and returns the index after it.
func (d *decoder) unescape(out []byte, i int) ([]byte, int, bool) {
	if i+1 >= len(d.data) {
		d.pos = i
		d.fail("unterminated string")
		return out, i, false
	}
	switch e := d.data[i+1]; e {
	case '"', '\\', '/':
		return append(out, e), i + 2, true
	case 'b':
		return append(out, '\b'), i + 2, true
	case 'f':
		return append(out, '\f'), i + 2, true
	case 'n':
		return append(out, '\n'), i + 2, true
	case 'r':
		return append(out, '\r'), i + 2, true
	case 't':
		return append(out, '\t'), i + 2, true
	case 'u':
		r, ok := hex4(d.data, i+2)
		if !ok {
			d.pos = i
			d.fail("invalid \\u escape")
			return out, i, false
		}
		i += 6
		if utf16.IsSurrogate(r) {
			r2, ok2 := rune(0), false
			if i+1 < len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
				r2, ok2 = hex4(d.data, i+2)
			}
			if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
				return utf8.AppendRune(out, dec), i + 6, true
			}
			r = utf8.RuneError // a lone surrogate, as encoding/json does
		}
		return utf8.AppendRune(out, r), i, true
	}
	d.pos = i
	d.fail("invalid escape")
	return out, i, false
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// readNumber reads a JSON number token and returns it.
func (d *decoder) readNumber() ([]byte, bool) {
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case d.digits() == 0:
		d.fail("invalid number")
		return nil, false
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if d.digits() == 0 {
			d.fail("invalid number")
			return nil, false
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if d.digits() == 0 {
			d.fail("invalid number")
			return nil, false
		}
	}
	return d.data[start:d.pos], true
}

func (d *decoder) digits() int {
	n := 0
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
		n++
	}
	return n
}
