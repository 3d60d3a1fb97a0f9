package loadgen

import (
	"errors"
	"strings"
	"testing"
)

// capacityStep is a server that meets the bound up to capacity requests/s.
func capacityStep(capacity float64, tried *[]float64) func(float64) (bool, error) {
	return func(rate float64) (bool, error) {
		*tried = append(*tried, rate)
		return rate <= capacity, nil
	}
}

func TestBracketFindsCapacity(t *testing.T) {
	for _, tc := range []struct {
		name            string
		start, capacity float64
	}{
		{"doubling then bisecting", 1000, 7300},
		{"halving from a start over capacity", 1000, 300},
		{"the start is the capacity", 1000, 1000},
		{"far above the start", 100, 90_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tried []float64
			if err := bracket(SearchOptions{StartRate: tc.start, MaxSteps: searchMaxSteps}, capacityStep(tc.capacity, &tried)); err != nil {
				t.Fatal(err)
			}
			if len(tried) > searchMaxSteps {
				t.Fatalf("%d steps", len(tried))
			}
			best := 0.0
			for _, r := range tried {
				if r <= tc.capacity && r > best {
					best = r
				}
			}
			if best == 0 || best > tc.capacity || (tc.capacity-best)/tc.capacity > 2*searchPrecision {
				t.Fatalf("best %v for a capacity of %v; tried %v", best, tc.capacity, tried)
			}
		})
	}
}

func TestBracketStopsWhereNothingMeets(t *testing.T) {
	var tried []float64
	if err := bracket(SearchOptions{StartRate: 1000, MaxSteps: searchMaxSteps}, capacityStep(0, &tried)); err != nil {
		t.Fatal(err)
	}
	if len(tried) != 10 || tried[len(tried)-1] < 1 { // 1000, 500, … 1.95
		t.Fatalf("tried %v", tried)
	}
	tried = nil
	_ = bracket(SearchOptions{StartRate: 1000, MaxSteps: searchMaxSteps, MinRate: 100}, capacityStep(0, &tried))
	if len(tried) != 4 || tried[3] != 125 { // 1000, 500, 250, 125; 62.5 is below MinRate
		t.Fatalf("MinRate 100: tried %v", tried)
	}
	tried = nil
	_ = bracket(SearchOptions{StartRate: 1000, MaxSteps: 3}, capacityStep(1e9, &tried))
	if len(tried) != 3 {
		t.Fatalf("MaxSteps 3: tried %v", tried)
	}
	boom := errors.New("boom")
	err := bracket(SearchOptions{StartRate: 1000, MaxSteps: 5}, func(float64) (bool, error) { return true, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestSearchStepVerdicts(t *testing.T) {
	rep := func(rps, p99 float64, failures ...string) *Report {
		return &Report{Scenario: "sms", RPS: rps, Failures: failures, Types: []TypeStats{
			{Type: "sms", Count: 10, RPS: rps, P50Ms: 1, P99Ms: p99},
			{Type: "setup_tenant", Count: 10, P99Ms: 999}, // setup is not the load
			{Type: "call_start"}, // a type the scenario did not send
		}}
	}
	for _, tc := range []struct {
		name string
		r    *Report
		meet bool
		why  string
	}{
		{"meets", rep(1000, 4.9), true, ""},
		{"over the bound", rep(1000, 5.1), false, "p99 5.10 ms (sms) over 5.00"},
		{"behind schedule", rep(900, 2), false, "achieved 900 of 1000 requests/s"},
		{"failed run", rep(1000, 2, "audit: 1 of 10 tenants"), false, "the run failed its checks"},
	} {
		st := searchStep(tc.r, 1000, 5)
		if st.Meets != tc.meet || !strings.Contains(st.Why, tc.why) || st.WorstType != "sms" || st.Throughput != tc.r.RPS {
			t.Errorf("%s: %+v", tc.name, st)
		}
	}
}
