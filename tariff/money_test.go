package tariff

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseMicros(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr error
	}{
		{"0", 0, nil},
		{"12.5", 12_500_000, nil},
		{"12.500000", 12_500_000, nil},
		{"0.000001", 1, nil},
		{"-0.000001", -1, nil},
		{"-0", 0, nil},
		{"007.5", 7_500_000, nil},
		{"9223372036854.775807", math.MaxInt64, nil},
		{"-9223372036854.775807", -math.MaxInt64, nil},
		{"9223372036854.775808", 0, ErrOverflow},
		{"9223372036855", 0, ErrOverflow},
		{"99999999999999999999999999", 0, ErrOverflow},
		{"0.0000001", 0, ErrInvalidAmount},
		{"1.5000000", 0, ErrInvalidAmount}, // 7 decimals even if the 7th is 0
		{"", 0, ErrInvalidAmount},
		{"-", 0, ErrInvalidAmount},
		{".5", 0, ErrInvalidAmount},
		{"5.", 0, ErrInvalidAmount},
		{"+5", 0, ErrInvalidAmount},
		{" 5", 0, ErrInvalidAmount},
		{"5 ", 0, ErrInvalidAmount},
		{"1e3", 0, ErrInvalidAmount},
		{"1E3", 0, ErrInvalidAmount},
		{"0x10", 0, ErrInvalidAmount},
		{"1,5", 0, ErrInvalidAmount},
		{"1.2.3", 0, ErrInvalidAmount},
		{"--1", 0, ErrInvalidAmount},
		{"NaN", 0, ErrInvalidAmount},
		{"Infinity", 0, ErrInvalidAmount},
		{"١٢", 0, ErrInvalidAmount}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tt := range tests {
		got, err := ParseMicros(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseMicros(%q) = %d, %v; want error %v", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMicros(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatMicros(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.000000"},
		{1, "0.000001"},
		{-1, "-0.000001"},
		{12_500_000, "12.500000"},
		{-12_500_000, "-12.500000"},
		{1_000_000, "1.000000"},
		{math.MaxInt64, "9223372036854.775807"},
		{math.MinInt64, "-9223372036854.775808"},
	}
	for _, tt := range tests {
		if got := FormatMicros(tt.in); got != tt.want {
			t.Errorf("FormatMicros(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(AppendMicros([]byte("x="), tt.in)); got != "x="+tt.want {
			t.Errorf("AppendMicros(%d) = %q", tt.in, got)
		}
	}
}

func TestFormatPicos(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.0000"},
		{20_000_000_000, "0.0200"},
		{150_000_000, "0.00015"},
		{PicosPerUnit, "1.0000"},
		{1, "0.000000000001"},
		{12_345_678_901_234, "12.345678901234"},
		{-150_000_000, "-0.00015"},
		{MaxRatePicos, "1000000.0000"},
	}
	for _, tt := range tests {
		if got := FormatPicos(tt.in); got != tt.want {
			t.Errorf("FormatPicos(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatMultiplier(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{MultiplierOne, "1.00"},
		{950_000, "0.95"},
		{875_000, "0.875"},
		{123_456, "0.123456"},
		{MaxMultiplierMicros, "10.00"},
	}
	for _, tt := range tests {
		if got := FormatMultiplier(tt.in); got != tt.want {
			t.Errorf("FormatMultiplier(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendMicrosDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendMicros(buf[:0], -9_223_372_036_854_775_807)
	})
	if allocs != 0 {
		t.Errorf("AppendMicros allocates %.0f times", allocs)
	}
}

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// FuzzParseMicros checks ParseMicros against shopspring/decimal: whatever it
// accepts decimal reads as the same number, whatever plain decimal in range it
// refuses has too many decimals, and formatting round-trips.
func FuzzParseMicros(f *testing.F) {
	for _, s := range []string{"0", "12.5", "-0.000001", "1e3", ".5", "9223372036854.775807",
		"9223372036854.775808", "0.0000001", "00.100", "-", ""} {
		f.Add(s, int64(0))
	}
	f.Add("1", int64(math.MinInt64))
	f.Add("1", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, s string, v int64) {
		if got, err := ParseMicros(FormatMicros(v)); v != math.MinInt64 && (err != nil || got != v) {
			t.Fatalf("round trip of %d: %d, %v", v, got, err)
		}
		micros, err := ParseMicros(s)
		if !plainDecimal.MatchString(s) {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMicros(%q) = %d, %v; want ErrInvalidAmount", s, micros, err)
			}
			return
		}
		d := decimal.RequireFromString(s)
		decimals := 0
		if _, frac, ok := strings.Cut(s, "."); ok {
			decimals = len(frac)
		}
		inRange := d.Abs().LessThanOrEqual(decimal.New(math.MaxInt64, -6))
		switch {
		case decimals > 6:
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMicros(%q) = %d, %v; want ErrInvalidAmount", s, micros, err)
			}
		case !inRange:
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("ParseMicros(%q) = %d, %v; want ErrOverflow", s, micros, err)
			}
		default:
			if err != nil || !decimal.New(micros, -6).Equal(d) {
				t.Fatalf("ParseMicros(%q) = %d, %v; decimal says %s", s, micros, err, d)
			}
			if back := decimal.RequireFromString(FormatMicros(micros)); !back.Equal(d) {
				t.Fatalf("FormatMicros(%d) = %s, not %s", micros, back, d)
			}
		}
	})
}
