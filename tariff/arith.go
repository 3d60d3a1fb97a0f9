package tariff

import (
	"math"
	"math/bits"
)

// u128 is an unsigned 128-bit integer. Rating multiplies a rate in picos by a
// quantity and a multiplier: up to ~10^32 before the final division, beyond
// int64 but far inside 128 bits.
type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// add returns x+y and false if the sum does not fit 128 bits.
func (x u128) add(y u128) (u128, bool) {
	lo, carry := bits.Add64(x.lo, y.lo, 0)
	hi, carry := bits.Add64(x.hi, y.hi, carry)
	return u128{hi, lo}, carry == 0
}

// mul returns x*m and false if the product does not fit 128 bits.
func (x u128) mul(m uint64) (u128, bool) {
	hiHi, hiLo := bits.Mul64(x.hi, m)
	loHi, loLo := bits.Mul64(x.lo, m)
	hi, carry := bits.Add64(hiLo, loHi, 0)
	return u128{hi, loLo}, hiHi == 0 && carry == 0
}

// div returns x/d (d > 0), truncated.
func (x u128) div(d uint64) u128 {
	qHi := x.hi / d
	qLo, _ := bits.Div64(x.hi%d, x.lo, d)
	return u128{qHi, qLo}
}

// roundDiv returns n/d rounded half-up as an int64 (d even and > 0, n >= 0),
// and false if the result does not fit int64. It is the one rounding step of
// every rating formula.
func roundDiv(n u128, d uint64) (int64, bool) {
	n, ok := n.add(u128{0, d / 2})
	if !ok {
		return 0, false
	}
	q := n.div(d)
	if q.hi != 0 || q.lo > math.MaxInt64 {
		return 0, false
	}
	return int64(q.lo), true
}
