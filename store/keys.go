package store

import (
	"bytes"
	"encoding/binary"
)

// Key kinds: the first byte of every key. See doc.go for the full layout.
const (
	kindMeta        byte = 0x01
	kindTariff      byte = 'f'
	kindWallet      byte = 'w'
	kindSession     byte = 's'
	kindNumber      byte = 'n'
	kindTopUp       byte = 'p'
	kindKey         byte = 'k'
	kindRole        byte = 'r'
	kindTransaction byte = 't'
	kindUsage       byte = 'u'
	kindInvoice     byte = 'v'
	kindCDRLog      byte = 'c'
	kindEventLog    byte = 'e'
	kindRedo        byte = 'g' // redo records of deferred state, deleted by checkpoints
	kindCursor      byte = 'x'
	kindParked      byte = 'z'
)

// Meta keys (kindMeta + name).
var (
	keyFormat     = []byte{kindMeta, 'f', 'o', 'r', 'm', 'a', 't'}
	keyBootEpoch  = []byte{kindMeta, 'b', 'o', 'o', 't'}
	keyCDRHead    = []byte{kindMeta, 'h', 'e', 'a', 'd', '.', 'c', 'd', 'r', 's'}
	keyEventHead  = []byte{kindMeta, 'h', 'e', 'a', 'd', '.', 'e', 'v', 'e', 'n', 't', 's'}
	keyCheckpoint = []byte{kindMeta, 'c', 'k', 'p', 't'}
)

// Log names accepted by the relay API.
const (
	LogCDRs   = "cdrs"
	LogEvents = "events"
)

// appendComponent appends s so that the concatenation of components sorts
// like the tuple of strings and no component is a prefix of another: 0x00 is
// escaped as 0x00 0xFF and every component ends with 0x00 0x01. Identifiers
// never hold 0x00 in practice, so this is a copy plus two bytes.
func appendComponent(dst []byte, s string) []byte {
	for {
		i := indexZero(s)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, 0x00, 0xFF)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, 0x00, 0x01)
}

func indexZero(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// readComponent reverses appendComponent and returns the rest of the key.
func readComponent(b []byte) (string, []byte, bool) {
	var out []byte
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 || i+1 >= len(b) {
			return "", nil, false
		}
		switch b[i+1] {
		case 0x01:
			if out == nil {
				return string(b[:i]), b[i+2:], true
			}
			return string(append(out, b[:i]...)), b[i+2:], true
		case 0xFF:
			out = append(append(out, b[:i]...), 0)
			b = b[i+2:]
		default:
			return "", nil, false
		}
	}
}

// componentView is readComponent without a copy: the component's bytes in
// b when it holds no escaped 0x00 (every identifier in practice), else a
// copy.
func componentView(b []byte) ([]byte, []byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i >= 0 && i+1 < len(b) && b[i+1] == 0x01 {
		return b[:i], b[i+2:], true
	}
	s, rest, ok := readComponent(b)
	return []byte(s), rest, ok
}

// appendKey1 appends kind + one component.
func appendKey1(dst []byte, kind byte, a string) []byte {
	return appendComponent(append(dst, kind), a)
}

// appendKey2 appends kind + two components.
func appendKey2(dst []byte, kind byte, a, b string) []byte {
	return appendComponent(appendComponent(append(dst, kind), a), b)
}

// appendKeySeq appends kind + component + big-endian seq (so keys sort by seq).
func appendKeySeq(dst []byte, kind byte, a string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendComponent(append(dst, kind), a), seq)
}

// appendLogKey appends a log kind + big-endian seq.
func appendLogKey(dst []byte, kind byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, kind), seq)
}

// appendMonth appends a yyyymm month as 4 big-endian bytes (months are
// positive, so unsigned order is numeric order).
func appendMonth(dst []byte, month int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(month))
}

// appendTariffKey appends kindTariff + id + version (ascending versions).
func appendTariffKey(dst []byte, id string, version int64) []byte {
	return binary.BigEndian.AppendUint64(appendKey1(dst, kindTariff, id), orderedInt64(version))
}

// orderedInt64 maps an int64 to a uint64 with the same order.
func orderedInt64(v int64) uint64 { return uint64(v) ^ (1 << 63) }

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // p is all 0xFF: no upper bound
}

// logKind maps a relay log name to its key kind.
func logKind(name string) (byte, bool) {
	switch name {
	case LogCDRs:
		return kindCDRLog, true
	case LogEvents:
		return kindEventLog, true
	}
	return 0, false
}
