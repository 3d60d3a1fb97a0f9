package loadgen

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// drawCalls draws n calls and returns the answered ones' mean, the count of
// unanswered, inbound and over-limit ones, and the shortest and longest.
func drawCalls(s CallShape, n int) (mean float64, unanswered, inbound, over600 int, lo, hi int64) {
	d := newCallDraw(s)
	r := rand.New(rand.NewPCG(5, 5))
	var sum int64
	lo = 1 << 62
	for range n {
		if d.isInbound(r) {
			inbound++
		}
		x := d.seconds(r)
		if x == 0 {
			unanswered++
			continue
		}
		sum += x
		lo, hi = min(lo, x), max(hi, x)
		if x > 600 {
			over600++
		}
	}
	return float64(sum) / float64(n-unanswered), unanswered, inbound, over600, lo, hi
}

func TestDefaultCallsAreHeavyTailed(t *testing.T) {
	const n = 200_000
	mean, unanswered, inbound, over600, lo, hi := drawCalls(DefaultCallShape(), n)
	if lo < 15 || lo > 16 || hi > 4*3600 { // rounded up to whole seconds
		t.Errorf("answered calls last %d..%d s, want 15 or 16..14400", lo, hi)
	}
	if mean < 40 || mean > 65 { // 52.5 before the cap; the tail makes sample means wander
		t.Errorf("mean %.1f s", mean)
	}
	if over600 == 0 {
		t.Error("no long calls")
	}
	if f := float64(unanswered) / n; f < 0.09 || f > 0.11 {
		t.Errorf("unanswered %.3f, want ~0.10", f)
	}
	if f := float64(inbound) / n; f < 0.29 || f > 0.31 {
		t.Errorf("inbound %.3f, want ~0.30", f)
	}
}

func TestCallShapeFlagsChangeTheDraw(t *testing.T) {
	s := CallShape{Mean: 3 * time.Minute, Tail: 3, Max: 10 * time.Minute, UnansweredPct: 0, InboundPct: 100}
	const n = 100_000
	mean, unanswered, inbound, _, lo, hi := drawCalls(s, n)
	if lo < 120 || lo > 121 || hi != 600 { // minimum 180 × 2/3 = 120 s; capped at 600
		t.Errorf("answered calls last %d..%d s, want 120 or 121..600", lo, hi)
	}
	if mean < 170 || mean > 185 { // a light tail: close to 180 s, a little less for the cap
		t.Errorf("mean %.1f s, want ~180", mean)
	}
	if unanswered != 0 || inbound != n {
		t.Errorf("%d unanswered, %d inbound of %d", unanswered, inbound, n)
	}
}

func TestCallShapeValidation(t *testing.T) {
	for _, tc := range []struct {
		edit func(*CallShape)
		want string
	}{
		{func(s *CallShape) { s.Tail = 1 }, "--call-tail"},
		{func(s *CallShape) { s.Tail = 0.5 }, "--call-tail"},
		{func(s *CallShape) { s.Mean = 500 * time.Millisecond }, "--call-mean"},
		{func(s *CallShape) { s.Max = 10 * time.Second }, "--call-max"},
		{func(s *CallShape) { s.UnansweredPct = 101 }, "--unanswered-pct"},
		{func(s *CallShape) { s.InboundPct = -1 }, "--inbound-pct"},
	} {
		s := DefaultCallShape()
		tc.edit(&s)
		if err := s.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want one naming %s", s, err, tc.want)
		}
	}
	s := DefaultCallShape()
	if err := s.validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
