package reservation

import "unsafe"

// arenaBlockBytes: one allocation carries ~1,000 ids of ~16 bytes.
const arenaBlockBytes = 16 << 10

// StringArena carves short immutable strings (ids) out of shared blocks, so a
// hot path that mints an id per request does not allocate per request. A
// block stays alive while any string in it does; ids are minted in time order
// and forgotten in time order (retention), so blocks die whole. Not safe for
// concurrent use: the engine keeps one per pooled operation buffer.
type StringArena struct{ block []byte }

// Bytes returns an empty buffer with room for n bytes: append to it, then
// commit it with String.
func (a *StringArena) Bytes(n int) []byte {
	if cap(a.block)-len(a.block) < n {
		a.block = make([]byte, 0, max(arenaBlockBytes, n))
	}
	return a.block[len(a.block):len(a.block)]
}

// String commits b (which must come from Bytes and fit in its n) as a string.
func (a *StringArena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	a.block = a.block[:len(a.block)+len(b)]
	return unsafe.String(&b[0], len(b))
}
