package tariff

// Limits of this package beyond those in api.go.
const (
	// MaxIncrementSeconds bounds initial and subsequent increments (one day).
	MaxIncrementSeconds = 86_400
	// MaxQuotaSeconds bounds default_quota_seconds (spec: max 86400).
	MaxQuotaSeconds = 86_400
	// DefaultQuotaSeconds applies when a document omits default_quota_seconds.
	DefaultQuotaSeconds = 300
)

// Denominators that turn "rate picos × quantity × multiplier micros" into
// micros: picos→micros is 10^6, multiplier micros is another 10^6.
const (
	voiceDenom   = 60 * 1_000_000_000_000        // per minute → per second
	unitDenom    = 1_000_000_000_000             // per segment, per message
	aiDenom      = 1000 * 1_000_000_000_000      // per 1k tokens
	storageDenom = 1_000_000 * 1_000_000_000_000 // gb is itself in micros
)

// Preallocated so that rating never allocates, not even when it refuses.
var (
	errSecondsRange    = &wrapError{"seconds out of range", ErrOverflow}
	errRateRange       = &wrapError{"rate out of range", ErrOverflow}
	errIncrementRange  = &wrapError{"increment out of range", ErrOverflow}
	errMultiplierRange = &wrapError{"multiplier out of range", ErrOverflow}
	errSegmentsRange   = &wrapError{"segments out of range", ErrOverflow}
	errTokensRange     = &wrapError{"tokens out of range", ErrOverflow}
	errQuantityRange   = &wrapError{"quantity out of range", ErrOverflow}
	errResultRange     = &wrapError{"charge out of range", ErrOverflow}
)

// BilledSeconds applies increments i/s to a usage of d seconds: 0 if d = 0;
// i if 0 < d ≤ i; else i + ceil((d−i)/s)·s. It cannot fail, so it treats
// d < 0 as 0 and increments below 1 as 1, and saturates at MaxInt64; Cost
// refuses such inputs before they get here.
func BilledSeconds(d, initial, subsequent int64) int64 {
	if d <= 0 {
		return 0
	}
	initial = max(initial, 1)
	subsequent = max(subsequent, 1)
	if d <= initial {
		return initial
	}
	rest := d - initial
	steps := rest / subsequent
	if rest%subsequent != 0 {
		steps++
	}
	if steps > (maxInt64-initial)/subsequent {
		return maxInt64
	}
	return initial + steps*subsequent
}

const maxInt64 = 1<<63 - 1

// Billed is BilledSeconds with the rate's increments.
func (r VoiceRate) Billed(d int64) int64 {
	return BilledSeconds(d, r.InitialIncrement, r.SubsequentIncrement)
}

// Cost is round6((per_minute · billed(d)/60 + fee) · m), the fee charged only
// when d > 0 (an unanswered call costs nothing). For IVR FeePicos holds the
// execution fee. d is the session's total usage: a session charges
// Cost(total) − already charged, so interim reports never change the total.
func (r VoiceRate) Cost(d, multiplierMicros int64) (int64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if d < 0 || d > MaxSeconds {
		return 0, errSecondsRange
	}
	if err := checkMultiplier(multiplierMicros); err != nil {
		return 0, err
	}
	if d == 0 {
		return 0, nil
	}
	// (per_minute·billed + 60·fee) · m / (60 · 10^12): exact until roundDiv.
	n := mul64(uint64(r.PerMinutePicos), uint64(r.Billed(d)))
	n, ok1 := n.add(mul64(60, uint64(r.FeePicos)))
	n, ok2 := n.mul(uint64(multiplierMicros))
	return finish(n, voiceDenom, ok1 && ok2)
}

func (r VoiceRate) check() error {
	if err := checkRate(r.PerMinutePicos); err != nil {
		return err
	}
	if err := checkRate(r.FeePicos); err != nil {
		return err
	}
	if !validIncrement(r.InitialIncrement) || !validIncrement(r.SubsequentIncrement) {
		return errIncrementRange
	}
	return nil
}

func validIncrement(s int64) bool { return s >= 1 && s <= MaxIncrementSeconds }

// SMSCost is round6(per_segment · segments · m). segments is 0..255: a
// concatenated SMS has at most 255 parts.
func SMSCost(perSegmentPicos, segments, multiplierMicros int64) (int64, error) {
	if segments < 0 || segments > MaxSegments {
		return 0, errSegmentsRange
	}
	return unitCost(perSegmentPicos, segments, multiplierMicros)
}

// MessageCost is round6(per_message · m), for one WhatsApp message.
func MessageCost(perMessagePicos, multiplierMicros int64) (int64, error) {
	return unitCost(perMessagePicos, 1, multiplierMicros)
}

func unitCost(ratePicos, units, multiplierMicros int64) (int64, error) {
	if err := checkRate(ratePicos); err != nil {
		return 0, err
	}
	if err := checkMultiplier(multiplierMicros); err != nil {
		return 0, err
	}
	n := mul64(uint64(ratePicos), uint64(units))
	n, ok := n.mul(uint64(multiplierMicros))
	return finish(n, unitDenom, ok)
}

// AICost is round6((in · per_1k_input + out · per_1k_output) / 1000 · m).
func AICost(perKInputPicos, perKOutputPicos, inputTokens, outputTokens, multiplierMicros int64) (int64, error) {
	if err := checkRate(perKInputPicos); err != nil {
		return 0, err
	}
	if err := checkRate(perKOutputPicos); err != nil {
		return 0, err
	}
	if inputTokens < 0 || inputTokens > MaxTokens || outputTokens < 0 || outputTokens > MaxTokens {
		return 0, errTokensRange
	}
	if err := checkMultiplier(multiplierMicros); err != nil {
		return 0, err
	}
	n := mul64(uint64(inputTokens), uint64(perKInputPicos))
	n, ok1 := n.add(mul64(uint64(outputTokens), uint64(perKOutputPicos)))
	n, ok2 := n.mul(uint64(multiplierMicros))
	return finish(n, aiDenom, ok1 && ok2)
}

// StorageCost is round6(per_gb · gb · m) with gb given in micros, so that a
// caller's "1.5" GB rates exactly. Any gbMicros >= 0 is accepted as long as
// the charge fits.
func StorageCost(perGBPicos, gbMicros, multiplierMicros int64) (int64, error) {
	if err := checkRate(perGBPicos); err != nil {
		return 0, err
	}
	if gbMicros < 0 {
		return 0, errQuantityRange
	}
	if err := checkMultiplier(multiplierMicros); err != nil {
		return 0, err
	}
	n := mul64(uint64(perGBPicos), uint64(gbMicros))
	n, ok := n.mul(uint64(multiplierMicros))
	return finish(n, storageDenom, ok)
}

func finish(n u128, denom uint64, ok bool) (int64, error) {
	if !ok {
		return 0, errResultRange
	}
	v, ok := roundDiv(n, denom)
	if !ok {
		return 0, errResultRange
	}
	return v, nil
}

func checkRate(picos int64) error {
	if picos < 0 || picos > MaxRatePicos {
		return errRateRange
	}
	return nil
}

// checkMultiplier refuses 0 as well: no tariff can hold it, so a zero here
// means an uninitialised tier, and rating it would give service away free.
func checkMultiplier(micros int64) error {
	if micros <= 0 || micros > MaxMultiplierMicros {
		return errMultiplierRange
	}
	return nil
}
