package tariff

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestNormalizeDestination(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"255712345678", "255712345678", true},
		{"+255712345678", "255712345678", true},
		{"1", "1", true},
		{strings.Repeat("9", 32), strings.Repeat("9", 32), true},
		{"+" + strings.Repeat("9", 32), strings.Repeat("9", 32), true},
		{strings.Repeat("9", 33), "", false},
		{"", "", false},
		{"+", "", false},
		{"++1", "", false},
		{"1+", "", false},
		{" 1", "", false},
		{"1 2", "", false},
		{"-1", "", false},
		{"12a", "", false},
		{"٣", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeDestination(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("NormalizeDestination(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidDestination) {
			t.Errorf("NormalizeDestination(%q): %v does not wrap ErrInvalidDestination", tt.in, err)
		}
	}
}

func TestLongestPrefix(t *testing.T) {
	std := Standard()
	tests := []struct {
		dir        Direction
		dest       string
		wantPrefix string
		wantErr    error
	}{
		{Outbound, "447700900123", "44", nil},
		{Outbound, "+447700900123", "44", nil},
		{Outbound, "44", "44", nil},
		{Outbound, "4", "", nil},
		{Outbound, "255712345678", "2557", nil},
		{Outbound, "2556", "", nil},
		{Outbound, "255", "", nil},
		{Outbound, "15551234567", "", nil},
		{Inbound, "447700900123", "", nil},
		{Outbound, "44x", "", ErrInvalidDestination},
		{Direction(7), "44", "", ErrNoRate},
	}
	for _, tt := range tests {
		r, err := std.Voice(tt.dir, tt.dest)
		if !errors.Is(err, tt.wantErr) || (err == nil && r.Prefix != tt.wantPrefix) {
			t.Errorf("Voice(%d, %q) = %q, %v; want %q, %v", tt.dir, tt.dest, r.Prefix, err, tt.wantPrefix, tt.wantErr)
		}
	}
}

func TestNoRate(t *testing.T) {
	tr, err := Parse([]byte(`{"id":"t","currency":"EUR",
		"voice":[{"direction":"outbound","prefix":"255","per_minute":"0.01","connection_fee":"0","initial_increment":1,"subsequent_increment":1}],
		"sms":[{"prefix":"44","per_segment":"0.01"}],
		"whatsapp":[{"category":"utility","prefix":"1","per_message":"0.01"}],
		"ai":[{"model":"gpt-4o","per_1k_input":"0.01","per_1k_output":"0.01"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, checks["voice outbound no prefix"] = tr.Voice(Outbound, "447700900123")
	_, checks["voice inbound empty table"] = tr.Voice(Inbound, "255712345678")
	_, _, checks["sms"] = tr.SMS("255712345678")
	_, _, checks["whatsapp category without rows"] = tr.WhatsApp("marketing", "15551234567")
	_, _, checks["whatsapp unknown category"] = tr.WhatsApp("promo", "15551234567")
	_, _, checks["whatsapp prefix"] = tr.WhatsApp("utility", "255")
	_, _, _, checks["ai without *"] = tr.AI("gpt-4o-mini")
	for name, err := range checks {
		if !errors.Is(err, ErrNoRate) {
			t.Errorf("%s: got %v, want ErrNoRate", name, err)
		}
	}
	if _, _, m, err := tr.AI("gpt-4o"); err != nil || m != "gpt-4o" {
		t.Errorf("AI exact: %q, %v", m, err)
	}
	if _, ok := tr.IVR(); ok {
		t.Error("IVR present in a tariff without one")
	}
	if _, ok := tr.Storage(); ok {
		t.Error("storage present in a tariff without one")
	}
}

// TestTrieMatchesBruteForce compares the trie with a linear scan over random
// decks, including nested prefixes and the catch-all.
func TestTrieMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 50 {
		seen := map[string]bool{}
		var prefixes []string
		for range rng.IntN(300) {
			p := randomDigits(rng, rng.IntN(7))
			if !seen[p] {
				seen[p] = true
				prefixes = append(prefixes, p)
			}
		}
		trie, _, _, _ := buildTrie(prefixes)
		for range 500 {
			dest := randomDigits(rng, 1+rng.IntN(10))
			want := int32(-1)
			for i, p := range prefixes {
				if strings.HasPrefix(dest, p) && (want < 0 || len(p) > len(prefixes[want])) {
					want = int32(i)
				}
			}
			if got := trie.lookup(dest); got != want {
				t.Fatalf("round %d: lookup(%q) = %d, want %d (%v)", round, dest, got, want, prefixes)
			}
		}
	}
}

func TestTiers(t *testing.T) {
	std := Standard()
	tests := []struct {
		spend int64
		want  string
	}{
		{0, "bronze"},
		{99_999_999, "bronze"},
		{100_000_000, "silver"},
		{999_999_999, "silver"},
		{1_000_000_000, "gold"},
		{10_000_000_000, "platinum"},
		{1 << 62, "platinum"},
		{-1, "bronze"},
	}
	for _, tt := range tests {
		i := std.TierIndex(tt.spend)
		if got := std.Tiers()[i].Name; got != tt.want {
			t.Errorf("TierIndex(%d) = %d (%s), want %s", tt.spend, i, got, tt.want)
		}
		if got := std.TierFor(tt.spend).Name; got != tt.want {
			t.Errorf("TierFor(%d) = %s, want %s", tt.spend, got, tt.want)
		}
	}
	tiers := std.Tiers()
	tiers[0].MultiplierMicros = 1
	if std.TierAt(0).MultiplierMicros != MultiplierOne || std.NumTiers() != 4 {
		t.Error("Tiers() exposes the tariff's own slice")
	}
}

func randomDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

// bigDeck returns a tariff document with n random 8–12 digit outbound
// prefixes plus the catch-all, as a carrier's rate deck would have.
func bigDeck(n int) []byte {
	rng := rand.New(rand.NewPCG(9, 10))
	var b strings.Builder
	b.WriteString(`{"id":"deck","currency":"USD","voice":[`)
	b.WriteString(`{"direction":"outbound","prefix":"","per_minute":"0.05","connection_fee":"0","initial_increment":60,"subsequent_increment":60}`)
	seen := map[string]bool{}
	for len(seen) < n {
		p := randomDigits(rng, 8+rng.IntN(5))
		if seen[p] {
			continue
		}
		seen[p] = true
		fmt.Fprintf(&b, `,{"direction":"outbound","prefix":"%s","per_minute":"0.%04d","connection_fee":"0.0010","initial_increment":1,"subsequent_increment":1}`,
			p, rng.IntN(10000))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkPrefixLookup100k(b *testing.B) {
	tr, err := Parse(bigDeck(100_000))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	dests := make([]string, 4096)
	for i := range dests {
		dests[i] = "+" + randomDigits(rng, 12)
	}
	// Half the destinations hit a deck prefix, half fall to the catch-all.
	for i := 0; i < len(dests); i += 2 {
		p := tr.voice[Outbound].prefixes[1+rng.IntN(100_000)]
		dests[i] = p + strconv.Itoa(rng.IntN(1000))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := tr.Voice(Outbound, dests[i%len(dests)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDeck100k loads a 100,000-prefix deck (the target is well
// under a second per op; a benchmark, not a timed assertion).
func BenchmarkParseDeck100k(b *testing.B) {
	doc := bigDeck(100_000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildTrie100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	seen := map[string]bool{}
	var prefixes []string
	for len(prefixes) < 100_000 {
		p := randomDigits(rng, 8+rng.IntN(5))
		if !seen[p] {
			seen[p] = true
			prefixes = append(prefixes, p)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		buildTrie(prefixes)
	}
}
