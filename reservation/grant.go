package reservation

// CostFunc returns the total cost in micros of d seconds of usage. It must be
// monotone non-decreasing in d.
type CostFunc func(d int64) (int64, error)

// Grant returns the largest g in [0, requested] with cost(used+g) − cost(used)
// <= budgetMicros, and that extra cost. A negative budget grants 0 (even
// seconds already paid for by the current billing increment are not given to a
// wallet that is already below its limit).
func Grant(cost CostFunc, usedSeconds, requestedSeconds, budgetMicros int64) (grantSeconds, extraMicros int64, err error) {
	if requestedSeconds <= 0 || budgetMicros < 0 {
		return 0, 0, nil
	}
	base, err := cost(usedSeconds)
	if err != nil {
		return 0, 0, err
	}
	extra := func(g int64) (int64, error) {
		c, err := cost(usedSeconds + g)
		return c - base, err
	}
	// Fast path: the whole request fits.
	full, err := extra(requestedSeconds)
	if err != nil {
		return 0, 0, err
	}
	if full <= budgetMicros {
		return requestedSeconds, full, nil
	}
	lo, hi := int64(0), requestedSeconds // extra(lo) fits, extra(hi) does not
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		x, err := extra(mid)
		if err != nil {
			return 0, 0, err
		}
		if x <= budgetMicros {
			lo = mid
		} else {
			hi = mid
		}
	}
	x, err := extra(lo)
	return lo, x, err
}
