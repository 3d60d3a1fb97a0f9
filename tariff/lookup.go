package tariff

import "sort"

var (
	errNoModelRate    = &wrapError{"no rate for model", ErrNoRate}
	errNoCategoryRate = &wrapError{"no rate for whatsapp category", ErrNoRate}
)

// Voice resolves the voice rate for a destination in one direction by
// longest prefix. The returned rate is a copy the caller may keep.
func (t *Tariff) Voice(dir Direction, destination string) (VoiceRate, error) {
	digits, err := NormalizeDestination(destination)
	if err != nil {
		return VoiceRate{}, err
	}
	if int(dir) >= len(t.voice) {
		return VoiceRate{}, ErrNoRate
	}
	r, _, ok := t.voice[dir].match(digits)
	if !ok {
		return VoiceRate{}, ErrNoRate
	}
	return r, nil
}

// IVR returns the IVR rate (FeePicos is the execution fee), ok=false if the
// tariff has none.
func (t *Tariff) IVR() (VoiceRate, bool) { return t.ivr, t.hasIVR }

// SMS resolves the per-segment rate for a destination by longest prefix.
func (t *Tariff) SMS(destination string) (perSegmentPicos int64, prefix string, err error) {
	digits, err := NormalizeDestination(destination)
	if err != nil {
		return 0, "", err
	}
	v, prefix, ok := t.sms.match(digits)
	if !ok {
		return 0, "", ErrNoRate
	}
	return v, prefix, nil
}

// WhatsApp resolves the per-message rate by category, then longest prefix.
func (t *Tariff) WhatsApp(category, destination string) (perMessagePicos int64, prefix string, err error) {
	digits, err := NormalizeDestination(destination)
	if err != nil {
		return 0, "", err
	}
	c := whatsAppCategory(category)
	if c < 0 {
		return 0, "", errNoCategoryRate
	}
	v, prefix, ok := t.whatsapp[c].match(digits)
	if !ok {
		return 0, "", ErrNoRate
	}
	return v, prefix, nil
}

// AI resolves the token rates of a model: its own entry, else "*". matched
// is the entry used, for CDRs and usage lines.
func (t *Tariff) AI(model string) (perKInputPicos, perKOutputPicos int64, matched string, err error) {
	if r, ok := t.ai[model]; ok {
		return r.inPicos, r.outPicos, model, nil
	}
	if r, ok := t.ai["*"]; ok {
		return r.inPicos, r.outPicos, "*", nil
	}
	return 0, 0, "", errNoModelRate
}

// Storage returns the per-GB rate, ok=false if the tariff has none.
func (t *Tariff) Storage() (perGBPicos int64, ok bool) { return t.storage, t.hasStorage }

// Tiers returns a copy of the tiers, ascending by MinSpendMicros; the first
// is at 0, so every lifetime spend has a tier.
func (t *Tariff) Tiers() []Tier { return append([]Tier(nil), t.tiers...) }

// TierIndex returns the index of the last tier whose min_spend is at most
// the lifetime spend (0 for a spend below every tier, which cannot happen
// for spends >= 0).
func (t *Tariff) TierIndex(lifetimeSpendMicros int64) int {
	i := sort.Search(len(t.tiers), func(i int) bool { return t.tiers[i].MinSpendMicros > lifetimeSpendMicros })
	return max(i-1, 0)
}

// TierFor returns the tier for a lifetime spend without copying the list.
func (t *Tariff) TierFor(lifetimeSpendMicros int64) Tier {
	return t.tiers[t.TierIndex(lifetimeSpendMicros)]
}

// TierAt returns tier i (0 <= i < NumTiers()); it panics out of range, like
// an index expression.
func (t *Tariff) TierAt(i int) Tier { return t.tiers[i] }

// NumTiers returns the number of tiers (at least 1).
func (t *Tariff) NumTiers() int { return len(t.tiers) }
