package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Search bounds: a search is a handful of short open-loop runs, so that a
// capacity figure costs minutes, not an afternoon.
const (
	// searchMaxSteps caps the runs of one search (doubling plus bisection).
	searchMaxSteps = 16
	// searchPrecision ends the bisection once the bracket is this narrow,
	// relative to its lower end: finer is below the run-to-run noise.
	searchPrecision = 0.05
	// searchKeepUp is the share of the offered rate a step must achieve: an
	// open-loop run that falls behind its schedule is over capacity even if
	// the requests it did send were quick.
	searchKeepUp = 0.97
	// searchMinRequests is the fewest requests a step needs for its p99 to
	// mean anything (the p99 of 100 samples is their second highest): the
	// search does not go below MinRate = this / the step's seconds.
	searchMinRequests = 1000
)

// SearchOptions configure FindRate.
type SearchOptions struct {
	P99BoundMs float64 // the latency bound: the worst p99 of any request type of the scenario
	StartRate  float64 // requests/s of the first step (default 1,000)
	MaxSteps   int     // runs at most (default and cap searchMaxSteps)
	MinRate    float64 // the search halves no lower (FindRate: searchMinRequests per step)
}

// SearchStep is one open-loop run of a search.
type SearchStep struct {
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	// Throughput in the scenario's own unit (SMS, call cycles, segments).
	Throughput float64 `json:"throughput"`
	P50Ms      float64 `json:"p50_ms"`       // of the scenario's worst request type
	WorstP99Ms float64 `json:"worst_p99_ms"` // the highest p99 of the load's request types
	WorstType  string  `json:"worst_type"`
	ErrorRate  float64 `json:"error_rate"`
	Meets      bool    `json:"meets"`
	Why        string  `json:"why,omitempty"` // why a step does not meet the bound
}

// SearchReport is the outcome of FindRate: the highest offered rate that
// met the bound, and every step that led to it.
type SearchReport struct {
	Scenario    string       `json:"scenario"`
	Unit        string       `json:"unit"`
	P99BoundMs  float64      `json:"p99_bound_ms"`
	Concurrency int          `json:"concurrency"`
	StepSeconds float64      `json:"step_seconds"`
	BestRPS     float64      `json:"best_rps"`        // 0: not even the lowest rate met the bound
	BestUnits   float64      `json:"best_throughput"` // at BestRPS, in Unit
	MinRate     float64      `json:"min_rate"`        // the lowest rate the search would try
	Steps       []SearchStep `json:"steps"`
	Failures    []string     `json:"failures,omitempty"` // audit or error-rate failures of any step
}

// WriteJSON writes the search, steps and all, to path.
func (s *SearchReport) WriteJSON(path string) error { return writeJSONFile(path, s) }

// OK reports whether every step's run passed its own checks (audit, errors).
func (s *SearchReport) OK() bool { return len(s.Failures) == 0 }

// FindRate finds the highest open-loop request rate at which the scenario's
// worst p99 stays within the bound: it doubles the rate from StartRate until
// a step fails, then bisects. Each step is a whole Run of cfg.Duration (new
// tenants, and the audit if cfg.Audit) against one server: with cfg.Spawn
// the server is started once for the whole search. A step meets the bound
// when its worst p99 is within it, it achieved 97% of the offered rate and
// its run passed its checks. Open-loop latency counts from each request's
// scheduled time, so cfg.Concurrency must cover rate × latency: too few
// connections show up as a step that falls behind.
func FindRate(ctx context.Context, cfg Config, o SearchOptions) (*SearchReport, error) {
	if o.P99BoundMs <= 0 {
		return nil, errors.New("the p99 bound must be positive")
	}
	if o.StartRate <= 0 {
		o.StartRate = 1000
	}
	if o.MaxSteps <= 0 || o.MaxSteps > searchMaxSteps {
		o.MaxSteps = searchMaxSteps
	}
	cfg.fillDefaults()
	o.MinRate = max(o.MinRate, searchMinRequests/cfg.Duration.Seconds())
	sr := &SearchReport{Scenario: cfg.Scenario, Unit: scenarioUnit(cfg.Scenario), P99BoundMs: o.P99BoundMs,
		Concurrency: cfg.Concurrency, StepSeconds: cfg.Duration.Seconds(), MinRate: o.MinRate}
	if cfg.Spawn {
		srv, err := Spawn(SpawnOptions{Bin: cfg.SalioBin, Module: cfg.SalioModule, Kafka: cfg.Kafka,
			Durability: cfg.Durability, KeepData: cfg.KeepData, Logf: cfg.Logf})
		if err != nil {
			return nil, err
		}
		defer func() {
			if code := srv.Stop(); code != 0 {
				sr.Failures = append(sr.Failures, fmt.Sprintf("spawned server exited %d after SIGTERM (want 0); log tail:\n%s", code, srv.LogTail(1500)))
			}
		}()
		cfg.Spawn, cfg.Target, cfg.AdminKey = false, srv.URL, srv.AdminKey
	}
	step := func(rate float64) (bool, error) {
		c := cfg
		c.Rate = rate
		cfg.Logf("search: %.0f requests/s for %s", rate, cfg.Duration)
		rep, err := Run(ctx, c)
		if err != nil {
			return false, err
		}
		st := searchStep(rep, rate, o.P99BoundMs)
		sr.Steps = append(sr.Steps, st)
		for _, f := range rep.Failures {
			sr.Failures = append(sr.Failures, fmt.Sprintf("at %.0f requests/s: %s", rate, f))
		}
		if st.Meets && rate > sr.BestRPS {
			sr.BestRPS, sr.BestUnits = rate, st.Throughput
		}
		return st.Meets, ctx.Err()
	}
	err := bracket(o, step)
	return sr, err
}

// bracket drives the search: double while steps meet the bound (halve
// while they do not, from the start), then bisect the bracket.
func bracket(o SearchOptions, step func(rate float64) (bool, error)) error {
	good, bad := 0.0, 0.0
	steps := 0
	// try runs one step within MaxSteps and moves the bracket's ends.
	try := func(rate float64) error {
		steps++
		ok, err := step(rate)
		if ok {
			good = rate
		} else if err == nil {
			bad = rate
		}
		return err
	}
	for rate := o.StartRate; steps < o.MaxSteps && (good == 0 || bad == 0); {
		if err := try(rate); err != nil {
			return err
		}
		switch {
		case bad == 0:
			rate *= 2
		case good == 0:
			rate /= 2
			if rate < max(o.MinRate, 1) {
				return nil // nothing the search can resolve meets the bound
			}
		}
	}
	for steps < o.MaxSteps && good > 0 && bad > good && (bad-good)/good > searchPrecision {
		if err := try((good + bad) / 2); err != nil {
			return err
		}
	}
	return nil
}

// searchStep judges one run against the bound.
func searchStep(rep *Report, rate, boundMs float64) SearchStep {
	st := SearchStep{OfferedRPS: rate, AchievedRPS: rep.RPS, ErrorRate: rep.ErrorRate, Throughput: unitThroughput(rep)}
	for _, t := range rep.Types {
		if t.Count == 0 || strings.HasPrefix(t.Type, "setup_") || strings.HasPrefix(t.Type, "audit_") {
			continue
		}
		if t.P99Ms >= st.WorstP99Ms {
			st.WorstP99Ms, st.WorstType, st.P50Ms = t.P99Ms, t.Type, t.P50Ms
		}
	}
	var why []string
	if st.WorstP99Ms > boundMs {
		why = append(why, fmt.Sprintf("p99 %.2f ms (%s) over %.2f", st.WorstP99Ms, st.WorstType, boundMs))
	}
	if rep.RPS < searchKeepUp*rate {
		why = append(why, fmt.Sprintf("achieved %.0f of %.0f requests/s", rep.RPS, rate))
	}
	if !rep.OK() {
		why = append(why, "the run failed its checks")
	}
	st.Meets, st.Why = len(why) == 0, strings.Join(why, "; ")
	return st
}

// scenarioUnit names what a scenario's throughput counts.
func scenarioUnit(scenario string) string {
	switch scenario {
	case "sms":
		return "SMS/s"
	case "call-start":
		return "call starts/s"
	case "call-cycle":
		return "call cycles/s"
	case "batch":
		return "segments/s"
	}
	return "requests/s"
}

// unitThroughput is a run's throughput in its scenario's unit.
func unitThroughput(rep *Report) float64 {
	switch rep.Scenario {
	case "sms":
		return rep.Type("sms").RPS
	case "call-start":
		return rep.Type("call_start").RPS
	case "call-cycle":
		return rep.Derived.CyclesPerSec
	case "batch":
		return rep.Derived.SegmentsPerSec
	}
	return rep.RPS
}

// WriteTable prints the steps and the answer.
func (s *SearchReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "salio capacity search: scenario %s, worst p99 ≤ %.2f ms, %d connections, %.0f s per step\n",
		s.Scenario, s.P99BoundMs, s.Concurrency, s.StepSeconds)
	fmt.Fprintf(w, "%12s %12s %14s %9s %9s  %-12s %s\n", "offered/s", "achieved/s", s.Unit, "p50 ms", "p99 ms", "worst type", "verdict")
	for _, st := range s.Steps {
		verdict := "meets"
		if !st.Meets {
			verdict = "no: " + st.Why
		}
		fmt.Fprintf(w, "%12.0f %12.0f %14.0f %9.2f %9.2f  %-12s %s\n",
			st.OfferedRPS, st.AchievedRPS, st.Throughput, st.P50Ms, st.WorstP99Ms, st.WorstType, verdict)
	}
	if s.BestRPS > 0 {
		fmt.Fprintf(w, "\ncapacity at p99 ≤ %.2f ms: %.0f requests/s (%.0f %s)\n", s.P99BoundMs, s.BestRPS, s.BestUnits, s.Unit)
	} else {
		fmt.Fprintf(w, "\ncapacity at p99 ≤ %.2f ms: none of the rates tried met it; below %.0f requests/s a %.0f s step has too few requests for a p99\n",
			s.P99BoundMs, s.MinRate, s.StepSeconds)
	}
	for _, f := range s.Failures {
		fmt.Fprintf(w, "FAIL: %s\n", f)
	}
}
