package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear like HdrHistogram: values below 2^histSubBits
// nanoseconds get one bucket each, and every further power of two is split
// into 2^(histSubBits-1) equal buckets. The relative error of a reported
// percentile is therefore at most 2^-(histSubBits-1) (1.6 %), at a fixed size
// and with no allocation on Record, which keeps the generator cheap.
const (
	histSubBits  = 7
	histSubCount = 1 << histSubBits // 128
	histHalf     = histSubCount / 2 // 64 buckets per power of two
	histMaxShift = 40 - histSubBits // values up to 2^40 ns (~18 min)
	histBuckets  = histSubCount + histMaxShift*histHalf
)

// Histogram counts latencies in nanoseconds. Record is safe for concurrent
// use: counts are atomic, so workers share one histogram per request type
// and the progress line can read it while they write.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	sumNs  atomic.Uint64
	maxNs  atomic.Uint64
}

// bucketOf maps a value to its bucket index.
func bucketOf(v uint64) int {
	if v < histSubCount {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits // ≥ 1: v>>shift is in [64, 128)
	if shift > histMaxShift {
		return histBuckets - 1
	}
	return histSubCount + (shift-1)*histHalf + int(v>>uint(shift)) - histHalf
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (lo, width uint64) {
	if i < histSubCount {
		return uint64(i), 1
	}
	j := i - histSubCount
	shift := uint(j/histHalf + 1)
	return uint64(j%histHalf+histHalf) << shift, 1 << shift
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sumNs.Add(v)
	for {
		m := h.maxNs.Load()
		if v <= m || h.maxNs.CompareAndSwap(m, v) {
			return
		}
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max is the largest recorded value, exact.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxNs.Load()) }

// Mean is the average recorded value.
func (h *Histogram) Mean() time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sumNs.Load() / n)
}

// Merge adds o's counts into h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	h.sumNs.Add(o.sumNs.Load())
	for {
		m, v := h.maxNs.Load(), o.maxNs.Load()
		if v <= m || h.maxNs.CompareAndSwap(m, v) {
			return
		}
	}
}

// Quantile returns the value at quantile q in [0, 1]: the midpoint of the
// bucket holding the ceil(q·n)-th smallest value, capped by the exact max.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, w := bucketRange(i)
			v := lo + (w-1)/2
			if m := h.maxNs.Load(); v > m {
				v = m
			}
			return time.Duration(v)
		}
	}
	return h.Max()
}

// Snapshot returns a copy that later records do not change.
func (h *Histogram) Snapshot() *Histogram {
	s := new(Histogram)
	s.Merge(h)
	return s
}
