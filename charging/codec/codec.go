// Package codec is the binary encoding of records: varints for integers,
// length-prefixed bytes for strings, a version byte in front of each value.
// The store writes its values with it; the engine packs the records it keeps
// for a retention period (closed sessions) with the same encoding, so one
// session image has one encoder. Decoding never panics on damaged input: the
// first error sticks and is reported by End.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt reports a value or key that does not decode: a bug or damaged
// storage. Callers stop on it rather than restore a wrong balance.
var ErrCorrupt = errors.New("corrupt record")

// Enc appends the binary encoding of values: varints for integers and
// length-prefixed bytes for strings. It never fails, so encoders return the
// grown slice like the append family.
type Enc []byte

func (e Enc) U64(v uint64) Enc   { return binary.AppendUvarint(e, v) }
func (e Enc) I64(v int64) Enc    { return binary.AppendVarint(e, v) }
func (e Enc) I32(v int32) Enc    { return binary.AppendVarint(e, int64(v)) }
func (e Enc) Str(s string) Enc   { return append(binary.AppendUvarint(e, uint64(len(s))), s...) }
func (e Enc) Raw(b []byte) Enc   { return append(binary.AppendUvarint(e, uint64(len(b))), b...) }
func (e Enc) Fix64(v uint64) Enc { return binary.BigEndian.AppendUint64(e, v) }

func (e Enc) Boolean(v bool) Enc {
	if v {
		return append(e, 1)
	}
	return append(e, 0)
}

func (e Enc) Strs(ss []string) Enc {
	e = e.U64(uint64(len(ss)))
	for _, s := range ss {
		e = e.Str(s)
	}
	return e
}

func (e Enc) I64s(vs []int64) Enc {
	e = e.U64(uint64(len(vs)))
	for _, v := range vs {
		e = e.I64(v)
	}
	return e
}

// Dec reads what Enc wrote. The first error sticks and every later read
// returns a zero value, so decoders check Err once at the end.
type Dec struct {
	b   []byte
	err error
}

// NewDec returns a decoder of b.
func NewDec(b []byte) Dec { return Dec{b: b} }

// Err returns the first error, or nil.
func (d *Dec) Err() error { return d.err }

// Len returns the number of bytes not read yet.
func (d *Dec) Len() int { return len(d.b) }

// Fail marks the input corrupt.
func (d *Dec) Fail() {
	if d.err == nil {
		d.err = ErrCorrupt
	}
	d.b = nil
}

func (d *Dec) U64() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *Dec) I64() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *Dec) I32() int32 { return int32(d.I64()) }

func (d *Dec) Fix64() uint64 {
	if len(d.b) < 8 {
		d.Fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// Byte reads one raw byte.
func (d *Dec) Byte() byte {
	if len(d.b) < 1 {
		d.Fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *Dec) Boolean() bool {
	if len(d.b) < 1 || d.b[0] > 1 {
		d.Fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

// bytes returns a slice into the input: copy it if the input is reused.
func (d *Dec) Bytes() []byte {
	n := d.U64()
	if d.err != nil || n > uint64(len(d.b)) {
		d.Fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *Dec) Str() string {
	b := d.Bytes()
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

// count reads a slice length, bounded by the bytes left (each element takes at
// least one byte) so a damaged length cannot allocate gigabytes.
func (d *Dec) Count() int {
	n := d.U64()
	if n > uint64(len(d.b)) {
		d.Fail()
		return 0
	}
	return int(n)
}

func (d *Dec) Strs() []string {
	n := d.Count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.Str()
	}
	return ss
}

func (d *Dec) I64s() []int64 {
	n := d.Count()
	if n == 0 {
		return nil
	}
	vs := make([]int64, n)
	for i := range vs {
		vs[i] = d.I64()
	}
	return vs
}

// version checks the value's leading format byte.
func (d *Dec) Version(want byte) {
	if len(d.b) < 1 || d.b[0] != want {
		if d.err == nil {
			got := -1
			if len(d.b) > 0 {
				got = int(d.b[0])
			}
			d.err = fmt.Errorf("%w: value version %d, want %d", ErrCorrupt, got, want)
		}
		d.b = nil
		return
	}
	d.b = d.b[1:]
}

// end reports the sticky error, or trailing bytes as corruption.
func (d *Dec) End() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return d.err
}
