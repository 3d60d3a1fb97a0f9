package tariff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// A small reader over JSON that json.Valid has already accepted. Decoding a
// 100,000-row rate deck through map[string]json.RawMessage cost a second and
// four million allocations; walking the validated bytes in place costs a few
// strings per row. It also matches keys exactly (encoding/json's struct
// decoding would accept "Per_Minute") and refuses duplicate keys.

// checkSyntax reports a JSON syntax error with its byte offset.
func checkSyntax(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v) // error path only: get the reason
	msg := "invalid JSON"
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return &FieldError{Field: "document", Msg: msg}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string opening at data[i].
func stringEnd(data []byte, i int) int {
	for j := i + 1; ; j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
}

// valueEnd returns the index after the value starting at data[i].
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
	}
	j := i // number, true, false, null
	for j < len(data) && !isDelimiter(data[j]) {
		j++
	}
	return j
}

func isDelimiter(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// decodeString decodes a JSON string literal; fast path without escapes.
// Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func decodeString(raw []byte) string {
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid string literal
	return s
}

// eachElement calls fn for each element of the valid array raw.
func eachElement(raw []byte, fn func(i int, elem []byte) error) error {
	i := skipSpace(raw, 1)
	for n := 0; raw[i] != ']'; n++ {
		end := valueEnd(raw, i)
		if err := fn(n, raw[i:end]); err != nil {
			return err
		}
		i = skipSpace(raw, end)
		if raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return nil
}

// member is one key of an object, named by the allowed key it matched.
type member struct {
	key string
	raw []byte
}

// maxMembers bounds the keys of any object of a tariff document.
const maxMembers = 12

// object is one JSON object of the document, with its place for errors:
// base "voice" and index 3 is "voice[3]". The path is built only for an
// error, so the rows of a big deck cost no path strings.
type object struct {
	base    string
	index   int // -1: base alone
	members [maxMembers]member
	n       int
}

// decode splits raw (a value of a valid document) into members whose keys
// must all be in allowed, each at most once. Objects are filled in place so
// that the rows of a big deck stay on the stack.
func (o *object) decode(raw []byte, base string, index int, allowed []string) error {
	*o = object{base: base, index: index}
	if raw[0] != '{' {
		return &FieldError{Field: o.path(), Msg: "must be an object"}
	}
	i := skipSpace(raw, 1)
	for raw[i] != '}' {
		keyEnd := stringEnd(raw, i)
		key, known := matchKey(raw[i:keyEnd], allowed)
		if !known {
			return o.errf(key, "unknown field")
		}
		if o.has(key) {
			return o.errf(key, "duplicate field")
		}
		i = skipSpace(raw, skipSpace(raw, keyEnd)+1) // past ':'
		end := valueEnd(raw, i)
		o.members[o.n] = member{key, raw[i:end]}
		o.n++
		i = skipSpace(raw, end)
		if raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return nil
}

// matchKey returns the allowed name equal to the quoted key, or the decoded
// key and false.
func matchKey(quoted []byte, allowed []string) (string, bool) {
	body := quoted[1 : len(quoted)-1]
	for _, name := range allowed {
		if string(body) == name {
			return name, true
		}
	}
	key := decodeString(quoted)
	for _, name := range allowed {
		if key == name { // spelt with escapes
			return name, true
		}
	}
	return key, false
}

func (o *object) path() string {
	switch {
	case o.index >= 0:
		return o.base + "[" + strconv.Itoa(o.index) + "]"
	case o.base == "":
		return "document"
	}
	return o.base
}

func (o *object) field(key string) string {
	if o.base == "" && o.index < 0 {
		return key
	}
	return o.path() + "." + key
}

func (o *object) errf(key, msg string) error {
	return &FieldError{Field: o.field(key), Msg: msg}
}

// has reports whether key is present, null included.
func (o *object) has(key string) bool {
	for _, m := range o.members[:o.n] {
		if m.key == key {
			return true
		}
	}
	return false
}

// get returns a member's raw value; null counts as absent.
func (o *object) get(key string) ([]byte, bool) {
	for _, m := range o.members[:o.n] {
		if m.key == key {
			if string(m.raw) == "null" {
				return nil, false
			}
			return m.raw, true
		}
	}
	return nil, false
}

// str returns a string member.
func (o *object) str(key string, required bool) (string, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return "", o.errf(key, "required")
		}
		return "", nil
	}
	if raw[0] != '"' {
		return "", o.errf(key, "must be a string")
	}
	return decodeString(raw), nil
}

// integer returns a whole-number member within [lo, hi]. def < 0 makes the
// member required, else def is its value when absent.
func (o *object) integer(key string, lo, hi, def int64) (int64, error) {
	raw, ok := o.get(key)
	if !ok {
		if def < 0 {
			return 0, o.errf(key, "required")
		}
		return def, nil
	}
	if raw[0] == '"' {
		return 0, o.errf(key, "must be an integer, not a string")
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, o.errf(key, "must be an integer")
	}
	switch {
	case v < lo:
		return 0, o.errf(key, fmt.Sprintf("must be >= %d", lo))
	case v > hi:
		return 0, o.errf(key, fmt.Sprintf("must be <= %d", hi))
	}
	return v, nil
}

// rate returns a required rate member: a decimal string of at most 12
// decimals in [0, MaxRatePicos], as given and in picos.
func (o *object) rate(key string) (string, int64, error) {
	return o.fixed(key, 12, 0, MaxRatePicos)
}

// fixed returns a required decimal-string member with at most scale
// decimals, within [lo, hi] in 10^-scale units.
func (o *object) fixed(key string, scale int, lo, hi int64) (string, int64, error) {
	raw, ok := o.get(key)
	if !ok {
		return "", 0, o.errf(key, "required")
	}
	if raw[0] != '"' {
		if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
			return "", 0, o.errf(key, `must be a decimal string such as "0.0200", not a JSON number`)
		}
		return "", 0, o.errf(key, "must be a decimal string")
	}
	s := decodeString(raw)
	v, e := parseFixed(s, scale)
	negative := len(s) > 0 && s[0] == '-'
	switch {
	case e == fixedSyntax:
		return "", 0, o.errf(key, `must be a decimal number such as "0.0200"`)
	case e == fixedPrecision:
		return "", 0, o.errf(key, fmt.Sprintf("must have at most %d decimals", scale))
	case e == fixedRange && negative, e == fixedOK && v < lo:
		if lo == 0 {
			return "", 0, o.errf(key, "must be >= 0")
		}
		return "", 0, o.errf(key, "must be > 0")
	case e == fixedRange, v > hi:
		return "", 0, o.errf(key, "must be <= "+string(appendFixed(nil, hi, scale, 0)))
	}
	return s, v, nil
}

// prefix returns a row's prefix, checking it is 0–32 digits. Duplicates
// are found when the table is built.
func (o *object) prefix() (string, error) {
	prefix, err := o.str("prefix", true)
	if err != nil {
		return "", err
	}
	if !validPrefix(prefix) {
		return "", o.errf("prefix", "must be 0-32 digits")
	}
	return prefix, nil
}

// count returns the number of elements of an optional array member, to size
// slices before filling them.
func (o *object) count(key string) int {
	raw, ok := o.get(key)
	if !ok || raw[0] != '[' {
		return 0
	}
	n := 0
	_ = eachElement(raw, func(int, []byte) error { n++; return nil })
	return n
}

// array calls row for each element of an optional array member.
func (o *object) array(key string, row func(i int, raw []byte) error) error {
	raw, ok := o.get(key)
	if !ok {
		return nil
	}
	if raw[0] != '[' {
		return o.errf(key, "must be an array")
	}
	return eachElement(raw, row)
}
