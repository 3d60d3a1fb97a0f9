package tariff

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

const (
	bronze = 1_000_000
	silver = 950_000
)

// TestSpecWorkedExamples is the table of SPEC section 2, rated end to end:
// resolve the rate in the demo tariff (or a stated one), then cost it.
func TestSpecWorkedExamples(t *testing.T) {
	std := Standard()
	ivr, ok := std.IVR()
	if !ok {
		t.Fatal("standard has no IVR rate")
	}
	rate := func(dest string) VoiceRate {
		r, err := std.Voice(Outbound, dest)
		if err != nil {
			t.Fatalf("Voice(%s): %v", dest, err)
		}
		return r
	}
	tests := []struct {
		name       string
		rate       VoiceRate
		seconds    int64
		multiplier int64
		wantBilled int64
		wantCost   string
	}{
		{"44 1/1 no fee", rate("447700900123"), 65, bronze, 65, "0.032500"},
		{"2557 30/6 with fee", rate("255712345678"), 65, bronze, 66, "0.027000"},
		{"2557 silver", rate("255712345678"), 65, silver, 66, "0.025650"},
		{"catch-all 60/60 silver", rate("15551234567"), 65, silver, 120, "0.104500"},
		{"catch-all 10 s", rate("15551234567"), 10, bronze, 60, "0.060000"},
		{"unanswered", rate("15551234567"), 0, bronze, 0, "0.000000"},
		{"1 s at 0.0125 silver", VoiceRate{PerMinutePicos: 12_500_000_000, InitialIncrement: 1, SubsequentIncrement: 1}, 1, silver, 1, "0.000198"},
		{"IVR 95 s", ivr, 95, bronze, 120, "0.040000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rate.Billed(tt.seconds); got != tt.wantBilled {
				t.Errorf("billed = %d, want %d", got, tt.wantBilled)
			}
			cost, err := tt.rate.Cost(tt.seconds, tt.multiplier)
			if err != nil || FormatMicros(cost) != tt.wantCost {
				t.Errorf("cost = %s, %v; want %s", FormatMicros(cost), err, tt.wantCost)
			}
		})
	}
	t.Run("AI gpt-4o-mini", func(t *testing.T) {
		in, out, model, err := std.AI("gpt-4o-mini")
		if err != nil || model != "gpt-4o-mini" {
			t.Fatalf("AI: %s, %v", model, err)
		}
		cost, err := AICost(in, out, 1200, 350, bronze)
		if err != nil || FormatMicros(cost) != "0.000390" {
			t.Errorf("cost = %s, %v; want 0.000390", FormatMicros(cost), err)
		}
	})
}

func TestBilledSeconds(t *testing.T) {
	tests := []struct{ d, i, s, want int64 }{
		{0, 60, 60, 0},
		{1, 60, 60, 60},
		{60, 60, 60, 60},
		{61, 60, 60, 120},
		{65, 30, 6, 66},
		{30, 30, 6, 30},
		{31, 30, 6, 36},
		{36, 30, 6, 36},
		{65, 1, 1, 65},
		{-5, 60, 60, 0},                       // clamped: Cost refuses it
		{10, 0, 0, 10},                        // increments below 1 act as 1
		{math.MaxInt64, 1, 60, math.MaxInt64}, // saturates
	}
	for _, tt := range tests {
		if got := BilledSeconds(tt.d, tt.i, tt.s); got != tt.want {
			t.Errorf("BilledSeconds(%d, %d, %d) = %d, want %d", tt.d, tt.i, tt.s, got, tt.want)
		}
	}
}

func TestEventCosts(t *testing.T) {
	std := Standard()
	sms, prefix, err := std.SMS("+255712345678")
	if err != nil || prefix != "255" {
		t.Fatalf("SMS: %q, %v", prefix, err)
	}
	wa, _, err := std.WhatsApp("marketing", "447700900123")
	if err != nil {
		t.Fatal(err)
	}
	gb, ok := std.Storage()
	if !ok {
		t.Fatal("no storage rate")
	}
	in, out, model, err := std.AI("some-other-model")
	if err != nil || model != "*" {
		t.Fatalf("AI fallback: %q, %v", model, err)
	}
	cost := func(v int64, err error) string {
		if err != nil {
			return err.Error()
		}
		return FormatMicros(v)
	}
	tests := []struct {
		name, got, want string
	}{
		{"sms 3 segments", cost(SMSCost(sms, 3, bronze)), "0.030000"},
		{"sms silver", cost(SMSCost(sms, 3, silver)), "0.028500"},
		{"sms 0 segments", cost(SMSCost(sms, 0, bronze)), "0.000000"},
		{"whatsapp marketing gold", cost(MessageCost(wa, 900_000)), "0.022500"},
		{"ai wildcard", cost(AICost(in, out, 1000, 1000, bronze)), "0.003000"},
		{"ai half micro rounds up", cost(AICost(in, out, 1, 0, 500_000)), "0.000001"}, // 0.0000005
		{"ai 0 tokens", cost(AICost(in, out, 0, 0, bronze)), "0.000000"},
		{"storage 1.5 GB", cost(StorageCost(gb, 1_500_000, bronze)), "0.034500"},
		{"storage 1 micro-GB", cost(StorageCost(gb, 1, bronze)), "0.000000"},
		{"storage 22 micro-GB", cost(StorageCost(gb, 22, bronze)), "0.000001"}, // 0.000000506
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestRatingRefusesOutOfRange(t *testing.T) {
	ok := VoiceRate{PerMinutePicos: 1, InitialIncrement: 1, SubsequentIncrement: 1}
	bad := func(mutate func(*VoiceRate)) VoiceRate { r := ok; mutate(&r); return r }
	voiceCost := func(r VoiceRate, d, m int64) func() (int64, error) {
		return func() (int64, error) { return r.Cost(d, m) }
	}
	tests := []struct {
		name string
		call func() (int64, error)
	}{
		{"negative seconds", voiceCost(ok, -1, bronze)},
		{"seconds over max", voiceCost(ok, MaxSeconds+1, bronze)},
		{"zero multiplier", voiceCost(ok, 1, 0)},
		{"negative multiplier", voiceCost(ok, 1, -1)},
		{"multiplier over max", voiceCost(ok, 1, MaxMultiplierMicros+1)},
		{"negative rate", voiceCost(bad(func(r *VoiceRate) { r.PerMinutePicos = -1 }), 1, bronze)},
		{"rate over max", voiceCost(bad(func(r *VoiceRate) { r.PerMinutePicos = MaxRatePicos + 1 }), 1, bronze)},
		{"negative fee", voiceCost(bad(func(r *VoiceRate) { r.FeePicos = -1 }), 1, bronze)},
		{"zero increment", voiceCost(bad(func(r *VoiceRate) { r.InitialIncrement = 0 }), 1, bronze)},
		{"zero increment at d=0", voiceCost(bad(func(r *VoiceRate) { r.SubsequentIncrement = 0 }), 0, bronze)},
		{"increment over max", voiceCost(bad(func(r *VoiceRate) { r.SubsequentIncrement = MaxIncrementSeconds + 1 }), 1, bronze)},
		{"sms segments over 255", func() (int64, error) { return SMSCost(1, MaxSegments+1, bronze) }},
		{"sms negative segments", func() (int64, error) { return SMSCost(1, -1, bronze) }},
		{"sms negative rate", func() (int64, error) { return SMSCost(-1, 1, bronze) }},
		{"message zero multiplier", func() (int64, error) { return MessageCost(1, 0) }},
		{"ai tokens over max", func() (int64, error) { return AICost(1, 1, MaxTokens+1, 0, bronze) }},
		{"ai negative tokens", func() (int64, error) { return AICost(1, 1, 0, -1, bronze) }},
		{"ai result over int64", func() (int64, error) {
			return AICost(MaxRatePicos, MaxRatePicos, MaxTokens, MaxTokens, MaxMultiplierMicros)
		}},
		{"storage negative gb", func() (int64, error) { return StorageCost(1, -1, bronze) }},
		{"storage result over int64", func() (int64, error) {
			return StorageCost(MaxRatePicos, math.MaxInt64, MaxMultiplierMicros)
		}},
	}
	for _, tt := range tests {
		v, err := tt.call()
		if !errors.Is(err, ErrOverflow) || v != 0 {
			t.Errorf("%s: got %d, %v; want ErrOverflow", tt.name, v, err)
		}
	}
}

// TestRatingLimitsFit shows the documented limits really keep every result
// inside int64: the worst voice call and the worst SMS rate fine.
func TestRatingLimitsFit(t *testing.T) {
	worst := VoiceRate{PerMinutePicos: MaxRatePicos, FeePicos: MaxRatePicos,
		InitialIncrement: MaxIncrementSeconds, SubsequentIncrement: MaxIncrementSeconds}
	if _, err := worst.Cost(MaxSeconds, MaxMultiplierMicros); err != nil {
		t.Errorf("worst voice call: %v", err)
	}
	if _, err := SMSCost(MaxRatePicos, MaxSegments, MaxMultiplierMicros); err != nil {
		t.Errorf("worst SMS: %v", err)
	}
	if v, err := StorageCost(MaxRatePicos, 1_000_000, MaxMultiplierMicros); err != nil || v != 10_000_000*MicrosPerUnit {
		t.Errorf("worst GB: %d, %v", v, err)
	}
}

// TestHalfUpAtExactBoundaries puts the exact charge on k + 0.5 micros (rounds
// up) and just below it (rounds down), for each formula.
func TestHalfUpAtExactBoundaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		k := rng.Int64N(1_000_000_000)
		half := k*1_000_000 + 500_000 // picos: k.5 micros
		check := func(name string, got int64, err error, want int64) {
			t.Helper()
			if err != nil || got != want {
				t.Fatalf("%s at k=%d: got %d, %v; want %d", name, k, got, err, want)
			}
		}
		v, err := SMSCost(half, 1, bronze)
		check("sms .5", v, err, k+1)
		v, err = SMSCost(half-1, 1, bronze)
		check("sms .4999", v, err, k)
		v, err = MessageCost(2*half, 500_000) // ×0.5 again lands on .5
		check("message .5", v, err, k+1)
		// 60 s at per_minute p picos is p/10^6 micros: the same boundary.
		r := VoiceRate{PerMinutePicos: half, InitialIncrement: 60, SubsequentIncrement: 60}
		v, err = r.Cost(60, bronze)
		check("voice .5", v, err, k+1)
		r.PerMinutePicos--
		v, err = r.Cost(60, bronze)
		check("voice .4999", v, err, k)
		v, err = AICost(half, 0, 1000, 0, bronze)
		check("ai .5", v, err, k+1)
		v, err = StorageCost(half, 1_000_000, bronze)
		check("storage .5", v, err, k+1)
	}
}

// TestVoiceCostMonotone: a longer call never costs less, whatever the rate,
// increments and multiplier; sessions rely on cost(used+g) − cost(used) >= 0.
func TestVoiceCostMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		r := randomVoiceRate(rng)
		m := 1 + rng.Int64N(MaxMultiplierMicros)
		prev := int64(-1)
		start := rng.Int64N(MaxSeconds - 1000)
		if rng.IntN(2) == 0 {
			start = 0
		}
		for d := start; d < start+1000; d++ {
			c, err := r.Cost(d, m)
			if err != nil {
				t.Fatalf("%+v Cost(%d, %d): %v", r, d, m, err)
			}
			if c < prev {
				t.Fatalf("%+v m=%d: Cost(%d)=%d < Cost(%d)=%d", r, m, d, c, d-1, prev)
			}
			prev = c
		}
	}
}

// TestVoiceCostMatchesDecimal rates random calls with shopspring/decimal,
// straight from the spec formula, and compares.
func TestVoiceCostMatchesDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		r := randomVoiceRate(rng)
		m := 1 + rng.Int64N(MaxMultiplierMicros)
		d := rng.Int64N(MaxSeconds + 1)
		got, err := r.Cost(d, m)
		if err != nil {
			t.Fatal(err)
		}
		want := decimal.Zero
		if d > 0 {
			perMinute := decimal.New(r.PerMinutePicos, -12)
			fee := decimal.New(r.FeePicos, -12)
			billed := decimal.NewFromInt(r.Billed(d))
			// (per_minute·billed/60 + fee)·m = (per_minute·billed + 60·fee)·m / 60, exact until DivRound.
			exact := perMinute.Mul(billed).Add(fee.Mul(decimal.NewFromInt(60))).Mul(decimal.New(m, -6))
			want = exact.DivRound(decimal.NewFromInt(60), 6)
		}
		if !decimal.New(got, -6).Equal(want) {
			t.Fatalf("%+v d=%d m=%d: got %s, want %s", r, d, m, FormatMicros(got), want)
		}
	}
}

func randomVoiceRate(rng *rand.Rand) VoiceRate {
	return VoiceRate{
		PerMinutePicos:      rng.Int64N(MaxRatePicos + 1),
		FeePicos:            rng.Int64N(MaxRatePicos+1) * int64(rng.IntN(2)),
		InitialIncrement:    1 + rng.Int64N(MaxIncrementSeconds),
		SubsequentIncrement: 1 + rng.Int64N(120),
	}
}

func TestRatingDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	std := Standard()
	allocs := testing.AllocsPerRun(100, func() {
		r, _ := std.Voice(Outbound, "+255712345678")
		_, _ = r.Cost(65, silver)
		_, _ = r.Cost(-1, silver) // refusals are preallocated too
		_, _ = std.Voice(Outbound, "bad")
		p, _, _ := std.SMS("255712345678")
		_, _ = SMSCost(p, 2, silver)
		w, _, _ := std.WhatsApp("utility", "1555")
		_, _ = MessageCost(w, silver)
		in, out, _, _ := std.AI("gpt-4o-mini")
		_, _ = AICost(in, out, 1200, 350, silver)
		g, _ := std.Storage()
		_, _ = StorageCost(g, 1_500_000, silver)
		_ = std.TierIndex(150_000_000)
		_, _ = CountSegments("Hello, €uro world 😀")
	})
	if allocs != 0 {
		t.Errorf("rating allocates %.1f times per call sequence", allocs)
	}
}

func BenchmarkVoiceCost(b *testing.B) {
	r, err := Standard().Voice(Outbound, "255712345678")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var sink int64
	for i := 0; b.Loop(); i++ {
		c, _ := r.Cost(int64(i%3600), silver)
		sink += c
	}
	_ = sink
}
