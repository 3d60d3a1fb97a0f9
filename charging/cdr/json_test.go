package cdr

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
	"github.com/stretchr/testify/require"
)

// parseFixed parses a decimal string back into an integer of 10^-scale units.
func parseFixed(t *testing.T, s string, scale int) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	require.LessOrEqual(t, len(fp), scale, "too many decimals in %q", s)
	fp += strings.Repeat("0", scale-len(fp))
	u, err := strconv.ParseUint(ip+fp, 10, 64)
	require.NoError(t, err, s)
	if neg {
		return -int64(u)
	}
	return int64(u)
}

func parseMs(t *testing.T, s string) int64 {
	t.Helper()
	require.Len(t, s, len("2026-11-24T06:30:00.123Z"), s)
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return tm.UnixMilli()
}

func sampleCDRs() []charging.CDR {
	return []charging.CDR{
		{
			ID: "cdr_01J9Z", Tenant: "acme", Kind: "session", SessionID: "a84b4c76e66710@pc33.example.com",
			Service: "voice", Direction: "outbound", Destination: "+4930123456",
			StartedAt: 1795501800123, EndedAt: 1795501865000, UsageSeconds: 65, BilledSeconds: 66,
			QuantityMicros: 65000000, Unit: "second", RatePicos: 20000000000, Tier: "gold",
			MultiplierMicros: 950000, AmountMicros: 12500000, Currency: "USD", Termination: "normal", Requests: 3,
		},
		{
			ID: "cdr_2", Tenant: "t\"en\\ant\n\u2028é😀", Kind: "event", EventID: "sms-1",
			Service: "sms", StartedAt: 0, EndedAt: -1, QuantityMicros: 1500000, Unit: "segment",
			RatePicos: 1, MultiplierMicros: 1000000, AmountMicros: -1, Currency: "EUR", Requests: 1,
		},
		{
			ID: "x", Kind: "session", QuantityMicros: math.MaxInt64, RatePicos: math.MinInt64,
			MultiplierMicros: 1234567, AmountMicros: math.MinInt64, UsageSeconds: math.MaxInt64, EndedAt: 253402300799999,
		},
	}
}

func TestAppendCDRJSONRoundTrip(t *testing.T) {
	for _, c := range sampleCDRs() {
		out := AppendCDRJSON(nil, &c)
		require.True(t, json.Valid(out), string(out))
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(string(out)))
		d.UseNumber()
		require.NoError(t, d.Decode(&m))

		str := func(k string) string { v, ok := m[k].(string); require.True(t, ok, "%s in %s", k, out); return v }
		num := func(k string) int64 {
			v, err := m[k].(json.Number).Int64()
			require.NoError(t, err)
			return v
		}
		require.Equal(t, c.ID, str("id"))
		require.Equal(t, c.Tenant, str("tenant"))
		require.Equal(t, c.Kind, str("kind"))
		if c.Kind == "event" {
			require.Equal(t, c.EventID, str("event_id"))
			require.NotContains(t, m, "session_id")
		} else {
			require.Equal(t, c.SessionID, str("session_id"))
			require.NotContains(t, m, "event_id")
		}
		require.Equal(t, c.Service, str("service"))
		require.Equal(t, c.Direction, str("direction"))
		require.Equal(t, c.Destination, str("destination"))
		require.Equal(t, c.StartedAt, parseMs(t, str("started_at")))
		require.Equal(t, c.EndedAt, parseMs(t, str("ended_at")))
		require.Equal(t, c.UsageSeconds, num("usage_seconds"))
		require.Equal(t, c.BilledSeconds, num("billed_seconds"))
		require.Equal(t, c.QuantityMicros, parseFixed(t, str("quantity"), 6))
		require.Equal(t, c.Unit, str("unit"))
		require.Equal(t, c.RatePicos, parseFixed(t, str("rate"), 12))
		require.Equal(t, c.Tier, str("tier"))
		require.Equal(t, c.MultiplierMicros, parseFixed(t, str("multiplier"), 6))
		require.Equal(t, c.AmountMicros, parseFixed(t, str("amount"), 6))
		require.Len(t, strings.Split(str("amount"), ".")[1], 6)
		require.Equal(t, c.Currency, str("currency"))
		require.Equal(t, c.Termination, str("termination"))
		require.Equal(t, c.Requests, num("requests"))
		require.Len(t, m, 20)
	}
}

func TestAppendCDRJSONExact(t *testing.T) {
	c := sampleCDRs()[0]
	require.Equal(t, `{"id":"cdr_01J9Z","tenant":"acme","kind":"session","session_id":"a84b4c76e66710@pc33.example.com",`+
		`"service":"voice","direction":"outbound","destination":"+4930123456",`+
		`"started_at":"2026-11-24T06:30:00.123Z","ended_at":"2026-11-24T06:31:05.000Z",`+
		`"usage_seconds":65,"billed_seconds":66,"quantity":"65","unit":"second","rate":"0.0200","tier":"gold",`+
		`"multiplier":"0.95","amount":"12.500000","currency":"USD","termination":"normal","requests":3}`,
		string(AppendCDRJSON(nil, &c)))
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{string(appendQuantity(nil, 65000000)), "65"},
		{string(appendQuantity(nil, 1500000)), "1.5"},
		{string(appendQuantity(nil, 0)), "0"},
		{string(appendQuantity(nil, 1)), "0.000001"},
		{string(appendMicros(nil, 12500000)), "12.500000"},
		{string(appendMicros(nil, 0)), "0.000000"},
		{string(appendMicros(nil, -1)), "-0.000001"},
		{string(appendMicros(nil, math.MinInt64)), "-9223372036854.775808"},
		{string(appendPicos(nil, 20000000000)), "0.0200"},
		{string(appendPicos(nil, 12345678901234)), "12.345678901234"},
		{string(appendPicos(nil, 0)), "0.0000"},
		{string(appendPicos(nil, 100000)), "0.0000001"},
		{string(appendMultiplier(nil, 950000)), "0.95"},
		{string(appendMultiplier(nil, 1000000)), "1.00"},
		{string(appendMultiplier(nil, 1234567)), "1.234567"},
		{string(appendTime(nil, 1795501800123)), "2026-11-24T06:30:00.123Z"},
		{string(appendTime(nil, 0)), "1970-01-01T00:00:00.000Z"},
		{string(appendInt(nil, math.MinInt64)), "-9223372036854775808"},
	} {
		require.Equal(t, tc.want, tc.got)
	}
}

func TestAppendEventJSON(t *testing.T) {
	events := []charging.WalletEvent{
		{ID: "ev1", Tenant: "acme", Type: "balance_low", At: 1795501800123, BalanceMicros: 4990000},
		{ID: "ev2", Tenant: "acme", Type: "recharge_requested", At: 1, BalanceMicros: -5, AmountMicros: 50000000, Method: "card", Reference: "ar-1\x00"},
		{ID: "ev3", Tenant: "b", Type: "tier_changed", Tier: "gold"},
	}
	require.Equal(t, `{"id":"ev1","tenant":"acme","type":"balance_low","at":"2026-11-24T06:30:00.123Z","balance":"4.990000"}`,
		string(AppendEventJSON(nil, &events[0])))
	for _, e := range events {
		out := AppendEventJSON(nil, &e)
		var m map[string]string
		require.NoError(t, json.Unmarshal(out, &m), string(out))
		require.Equal(t, e.ID, m["id"])
		require.Equal(t, e.Tenant, m["tenant"])
		require.Equal(t, e.Type, m["type"])
		require.Equal(t, e.At, parseMs(t, m["at"]))
		require.Equal(t, e.BalanceMicros, parseFixed(t, m["balance"], 6))
		want := 5
		if e.AmountMicros != 0 {
			want++
			require.Equal(t, e.AmountMicros, parseFixed(t, m["amount"], 6))
		} else {
			require.NotContains(t, m, "amount")
		}
		for k, v := range map[string]string{"method": e.Method, "reference": e.Reference, "tier": e.Tier} {
			if v != "" {
				want++
				require.Equal(t, v, m[k])
			} else {
				require.NotContains(t, m, k)
			}
		}
		require.Len(t, m, want)
	}
}

func TestAppendNoAlloc(t *testing.T) {
	c := sampleCDRs()[1]
	e := charging.WalletEvent{ID: "ev2", Tenant: "acme", Type: "recharge_requested", At: 1, AmountMicros: 5, Method: "card", Reference: "r"}
	buf := make([]byte, 0, 4096)
	require.Zero(t, testing.AllocsPerRun(100, func() {
		buf = AppendCDRJSON(buf[:0], &c)
		buf = AppendEventJSON(buf, &e)
	}))
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/", "\x00\x01\x1f\x7f", "\t\r\n\b\f", "é😀", "\u2028\u2029", "\xff\xfe", "a\xc3", "<&>", "\xed\xa0\x80"} {
		checkString(t, s)
	}
}

func checkString(t *testing.T, s string) {
	out := appendString([]byte("x"), s)[1:]
	if !json.Valid(out) {
		t.Fatalf("invalid JSON for %q: %s", s, out)
	}
	var got string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	ref, _ := json.Marshal(s)
	var want string
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("%q: got %q, encoding/json %q", s, got, want)
	}
	if utf8.ValidString(s) && got != s {
		t.Fatalf("%q round-tripped to %q", s, got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "acme", "\"\\", "\x00\u2028", "\xff", "😀\xf0\x9f", "a84b4c76e66710@pc33.example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkString(t, s)
		c := charging.CDR{ID: s, Tenant: s, Kind: s, SessionID: s, EventID: s, Unit: s}
		if !json.Valid(AppendCDRJSON(nil, &c)) {
			t.Fatalf("invalid CDR JSON for %q", s)
		}
		e := charging.WalletEvent{ID: s, Method: s, Reference: s, Tier: s}
		if !json.Valid(AppendEventJSON(nil, &e)) {
			t.Fatalf("invalid event JSON for %q", s)
		}
	})
}

func TestAppendTimeMatchesPackageTime(t *testing.T) {
	ref := func(ms int64) string {
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	check := func(ms int64) {
		if got, want := string(appendTime(nil, ms)), ref(ms); got != want {
			t.Fatalf("%d: got %s want %s", ms, got, want)
		}
	}
	for _, ms := range []int64{0, -1, 1, 86399999, 86400000, -86400000, -62167219200000, -62167219200001,
		253402300799999, 253402300800000, 951782400000, 4107542400000, math.MaxInt64 / 1000, math.MinInt64 / 1000} {
		check(ms)
	}
	for ms := int64(-62167219200000); ms < 253402300799999; ms += 86400000*17 + 3600007 {
		check(ms)
	}
}

func FuzzAppendTime(f *testing.F) {
	f.Add(int64(1795501800123))
	f.Fuzz(func(t *testing.T, ms int64) {
		ms /= 1000 // keep within time.Time's range
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
		if got := string(appendTime(nil, ms)); got != want {
			t.Fatalf("%d: got %s want %s", ms, got, want)
		}
	})
}

// The local appenders must print what the tariff package prints elsewhere in
// the API.
func TestFormatsMatchTariff(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Skipf("tariff formatting not available: %v", r)
		}
	}()
	for _, v := range []int64{0, 1, -1, 9, 10, 999999, 1000000, 1500000, 12500000, 20000000000, 123456789012345, math.MaxInt64, math.MinInt64 + 1} {
		require.Equal(t, tariff.FormatMicros(v), string(appendMicros(nil, v)), "micros %d", v)
		require.Equal(t, tariff.FormatPicos(v), string(appendPicos(nil, v)), "picos %d", v)
		require.Equal(t, tariff.FormatMultiplier(v), string(appendMultiplier(nil, v)), "multiplier %d", v)
	}
}
