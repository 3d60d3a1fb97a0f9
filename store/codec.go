package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errCorrupt reports a value or key that does not decode: a bug or a damaged
// store. Recovery stops on it rather than restore a wrong balance.
var errCorrupt = errors.New("store: corrupt record")

// enc appends the binary encoding of values: varints for integers and
// length-prefixed bytes for strings. It never fails, so encoders return the
// grown slice like the append family.
type enc []byte

func (e enc) u64(v uint64) enc   { return binary.AppendUvarint(e, v) }
func (e enc) i64(v int64) enc    { return binary.AppendVarint(e, v) }
func (e enc) i32(v int32) enc    { return binary.AppendVarint(e, int64(v)) }
func (e enc) str(s string) enc   { return append(binary.AppendUvarint(e, uint64(len(s))), s...) }
func (e enc) raw(b []byte) enc   { return append(binary.AppendUvarint(e, uint64(len(b))), b...) }
func (e enc) fix64(v uint64) enc { return binary.BigEndian.AppendUint64(e, v) }

func (e enc) boolean(v bool) enc {
	if v {
		return append(e, 1)
	}
	return append(e, 0)
}

func (e enc) strs(ss []string) enc {
	e = e.u64(uint64(len(ss)))
	for _, s := range ss {
		e = e.str(s)
	}
	return e
}

func (e enc) i64s(vs []int64) enc {
	e = e.u64(uint64(len(vs)))
	for _, v := range vs {
		e = e.i64(v)
	}
	return e
}

// dec reads what enc wrote. The first error sticks and every later read
// returns a zero value, so decoders check err once at the end.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *dec) u64() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i64() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i32() int32 { return int32(d.i64()) }

func (d *dec) fix64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *dec) boolean() bool {
	if len(d.b) < 1 || d.b[0] > 1 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

// bytes returns a slice into the input: copy it if the input is reused.
func (d *dec) bytes() []byte {
	n := d.u64()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string {
	b := d.bytes()
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

// count reads a slice length, bounded by the bytes left (each element takes at
// least one byte) so a damaged length cannot allocate gigabytes.
func (d *dec) count() int {
	n := d.u64()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *dec) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *dec) i64s() []int64 {
	n := d.count()
	if n == 0 {
		return nil
	}
	vs := make([]int64, n)
	for i := range vs {
		vs[i] = d.i64()
	}
	return vs
}

// version checks the value's leading format byte.
func (d *dec) version(want byte) { d.versionIn(want, want) }

// versionIn reads the version byte of a record with decoders for versions
// lo..hi, and returns it (0 after an error).
func (d *dec) versionIn(lo, hi byte) byte {
	if len(d.b) < 1 || d.b[0] < lo || d.b[0] > hi {
		if d.err == nil {
			got := -1
			if len(d.b) > 0 {
				got = int(d.b[0])
			}
			d.err = fmt.Errorf("%w: value version %d, want %d..%d", errCorrupt, got, lo, hi)
		}
		d.b = nil
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// end reports the sticky error, or trailing bytes as corruption.
func (d *dec) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return d.err
}
