package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// CallShape is what the simulated calls look like. Answered calls last a
// Pareto-distributed number of seconds, as telephony holding times do: most
// are short, a few run for an hour and hold their reservation all along.
type CallShape struct {
	Mean          time.Duration // mean length of an answered call, before the cap (the ACD)
	Tail          float64       // Pareto shape α > 1: nearer 1 is a heavier tail
	Max           time.Duration // no call lasts longer (a switch's own limit)
	UnansweredPct float64       // percent of calls stopped with 0 seconds
	InboundPct    float64       // percent of calls that are inbound (they get grace)
}

// DefaultCallShape is the shape the generator always drew: a 15 s minimum
// and α 1.4, so a mean of 52.5 s; 10% unanswered, 30% inbound.
func DefaultCallShape() CallShape {
	return CallShape{Mean: 52500 * time.Millisecond, Tail: 1.4, Max: 4 * time.Hour,
		UnansweredPct: 10, InboundPct: 30}
}

// fillDefaults sets the zero durations and tail to the defaults (0% is a
// valid share, so the percentages are left as they are).
func (s *CallShape) fillDefaults() {
	d := DefaultCallShape()
	orDefault(&s.Mean, d.Mean)
	orDefault(&s.Max, d.Max)
	if s.Tail == 0 { // a negative one is refused, not replaced
		s.Tail = d.Tail
	}
}

// validate rejects a shape the draw cannot honour.
func (s *CallShape) validate() error {
	switch {
	case !(s.Tail > 1) || s.Tail > 100:
		return fmt.Errorf("--call-tail must be in (1, 100] (a Pareto shape; at 1 or below the mean is infinite), got %v", s.Tail)
	case s.Mean < time.Second:
		return fmt.Errorf("--call-mean must be at least 1s, got %v", s.Mean)
	case s.Max < s.minimum():
		return fmt.Errorf("--call-max %v is below the shortest answered call, %v (from --call-mean and --call-tail)", s.Max, s.minimum())
	case !(s.UnansweredPct >= 0 && s.UnansweredPct <= 100):
		return fmt.Errorf("--unanswered-pct must be in [0, 100], got %v", s.UnansweredPct)
	case !(s.InboundPct >= 0 && s.InboundPct <= 100):
		return fmt.Errorf("--inbound-pct must be in [0, 100], got %v", s.InboundPct)
	}
	return nil
}

// minimum is the Pareto scale: the shortest answered call, mean × (α−1)/α.
func (s *CallShape) minimum() time.Duration {
	return time.Duration(float64(s.Mean) * (s.Tail - 1) / s.Tail).Round(time.Millisecond)
}

// callDraw draws call lengths from a CallShape without recomputing it.
type callDraw struct {
	minSeconds float64
	invTail    float64
	maxSeconds float64
	unanswered float64 // fraction
	inbound    float64 // fraction
}

func newCallDraw(s CallShape) callDraw {
	return callDraw{minSeconds: s.minimum().Seconds(), invTail: 1 / s.Tail, maxSeconds: s.Max.Seconds(),
		unanswered: s.UnansweredPct / 100, inbound: s.InboundPct / 100}
}

// seconds draws a call's length in whole seconds: 0 for an unanswered call,
// else Pareto by inversion, rounded up and capped.
func (d *callDraw) seconds(r *rand.Rand) int64 {
	if r.Float64() < d.unanswered {
		return 0
	}
	x := d.minSeconds / math.Pow(1-r.Float64(), d.invTail)
	return int64(math.Ceil(min(x, d.maxSeconds)))
}

// isInbound draws a call's direction.
func (d *callDraw) isInbound(r *rand.Rand) bool { return r.Float64() < d.inbound }

// CallReport is the call shape as the report states it.
type CallReport struct {
	MeanSeconds   float64 `json:"mean_s"`
	Tail          float64 `json:"pareto_shape"`
	MaxSeconds    float64 `json:"max_s"`
	UnansweredPct float64 `json:"unanswered_pct"`
	InboundPct    float64 `json:"inbound_pct"`
}

func newCallReport(s CallShape) *CallReport {
	return &CallReport{MeanSeconds: s.Mean.Seconds(), Tail: s.Tail, MaxSeconds: s.Max.Seconds(),
		UnansweredPct: s.UnansweredPct, InboundPct: s.InboundPct}
}

// mixHasCalls reports whether a mix draws any kind of call.
func mixHasCalls(mix []mixEntry) bool {
	return mixHas(mix, opCall) || mixHas(mix, opCallStart) || mixHas(mix, opCallCycle)
}
