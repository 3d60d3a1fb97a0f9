package loadgen

import "bytes"

// The generator reads only a few fields of each answer. Scanning the bytes
// for `"name":` avoids decoding whole documents on the hot path (no
// allocation); the answers are the server's compact JSON, where a key cannot
// occur inside a string value of the fields we read. The audit, which is not
// hot, decodes properly with encoding/json.

// fieldValue returns the raw value after the first `"name":` in b: a string's
// contents without quotes, or a number/literal up to the next delimiter.
func fieldValue(b []byte, name string) ([]byte, bool) {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(name))
		if i < 0 {
			return nil, false
		}
		i += off
		end := i + len(name)
		if i == 0 || b[i-1] != '"' || end >= len(b) || b[end] != '"' {
			off = end
			continue
		}
		j := end + 1
		for j < len(b) && (b[j] == ' ' || b[j] == ':') {
			j++
		}
		if j >= len(b) {
			return nil, false
		}
		if b[j] == '"' {
			k := bytes.IndexByte(b[j+1:], '"')
			if k < 0 {
				return nil, false
			}
			return b[j+1 : j+1+k], true
		}
		k := j
		for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' && b[k] != ' ' {
			k++
		}
		return b[j:k], true
	}
}

// fieldInt returns an integer field's value.
func fieldInt(b []byte, name string) (int64, bool) {
	v, ok := fieldValue(b, name)
	if !ok || len(v) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// fieldMicros returns an amount field's value in micro-units.
func fieldMicros(b []byte, name string) (int64, bool) {
	v, ok := fieldValue(b, name)
	if !ok {
		return 0, false
	}
	m, err := parseMicros(v)
	return m, err == nil
}

// fieldBool returns a boolean field's value.
func fieldBool(b []byte, name string) (val, ok bool) {
	v, ok := fieldValue(b, name)
	if !ok {
		return false, false
	}
	return string(v) == "true", true
}

// errorCode returns the code of an error answer, or "" when there is none.
func errorCode(b []byte) string {
	v, ok := fieldValue(b, "code")
	if !ok {
		return ""
	}
	return internCode(v)
}

// internCode maps the spec's codes to constant strings so that counting
// errors by code does not allocate; an unknown code is copied.
func internCode(v []byte) string {
	for _, c := range knownCodes {
		if string(v) == c {
			return c
		}
	}
	return string(v)
}

var knownCodes = [...]string{"invalid_request", "unauthenticated", "insufficient_funds",
	"forbidden", "not_found", "conflict", "payload_too_large", "too_many_sessions", "unavailable"}

// splitArrayItems calls fn with each top-level element of the JSON array that
// follows `"name":` in b, in order, and returns how many there were.
func splitArrayItems(b []byte, name string, fn func(i int, item []byte)) int {
	key := []byte(`"` + name + `"`)
	i := bytes.Index(b, key)
	if i < 0 {
		return 0
	}
	i = bytes.IndexByte(b[i+len(key):], '[') + i + len(key)
	if i < len(key) {
		return 0
	}
	n, depth, start := 0, 0, -1
	inStr, esc := false, false
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			if depth == 0 && start < 0 {
				start = j
			}
		case '{', '[':
			if depth == 0 {
				start = j
			}
			depth++
		case '}', ']':
			if depth == 0 { // the array's own ']'
				if start >= 0 {
					fn(n, bytes.TrimSpace(b[start:j]))
					n++
				}
				return n
			}
			depth--
		case ',':
			if depth == 0 && start >= 0 {
				fn(n, bytes.TrimSpace(b[start:j]))
				n++
				start = -1
			}
		default:
			if depth == 0 && start < 0 && c != ' ' && c != '\n' && c != '\t' && c != '\r' {
				start = j
			}
		}
	}
	return n
}
