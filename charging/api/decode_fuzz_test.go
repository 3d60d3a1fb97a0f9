package api

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/salio/salio/charging"
)

// The fuzz targets feed arbitrary bodies to the decoders. Properties: no
// panic; whatever is accepted is valid JSON (encoding/json agrees), holds
// the same strings encoding/json reads, and passes an independent check of
// every rule, so invalid input never reaches the engine.

func newTestDecoder(body []byte) *decoder {
	d := &decoder{}
	d.reset(body, defaultMaxTopUpMicros)
	return d
}

func validID(s string) bool { return checkID("x", []byte(s)) == nil }

func checkEventRequest(t *testing.T, r *charging.EventRequest, needID bool) {
	t.Helper()
	require.True(t, !needID || validID(r.EventID), "event_id %q", r.EventID)
	require.True(t, validID(r.Tenant), "tenant %q", r.Tenant)
	switch r.Service {
	case "sms":
		require.True(t, validDestination([]byte(r.Destination)))
		if r.HasText {
			require.Zero(t, r.Segments)
			require.LessOrEqual(t, len(r.Text), maxTextBytes)
		} else {
			require.True(t, r.Segments >= 1 && r.Segments <= 255)
			require.Contains(t, []string{"gsm7", "ucs2"}, r.Encoding)
		}
	case "whatsapp":
		require.True(t, validDestination([]byte(r.Destination)))
		require.Contains(t, []string{"marketing", "utility", "authentication", "service"}, r.Category)
	case "ai":
		require.True(t, len(r.Model) >= 1 && len(r.Model) <= maxModelLen)
		require.True(t, r.InputTokens >= 0 && r.InputTokens <= maxTokens)
		require.True(t, r.OutputTokens >= 0 && r.OutputTokens <= maxTokens)
	case "storage":
		require.True(t, r.GBMicros >= 1 && r.GBMicros <= maxGBMicros)
	default:
		t.Fatalf("service %q accepted", r.Service)
	}
}

func checkStart(t *testing.T, r *charging.StartRequest, needID bool) {
	t.Helper()
	require.True(t, !needID || validID(r.SessionID), "session_id %q", r.SessionID)
	require.True(t, validID(r.Tenant))
	require.Contains(t, []string{"voice", "ivr"}, r.Service)
	require.Contains(t, []string{"outbound", "inbound"}, r.Direction)
	require.True(t, validDestination([]byte(r.Destination)))
	require.True(t, r.RequestedSeconds >= 0 && r.RequestedSeconds <= maxRequestedSeconds)
}

// sameStrings checks the accepted strings against encoding/json's reading.
func sameStrings(t *testing.T, body []byte, want map[string]string) {
	t.Helper()
	require.True(t, json.Valid(body), "accepted invalid JSON %q", body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	for k, v := range want {
		if got, ok := m[k].(string); ok {
			require.Equal(t, got, v, "field %s", k)
		}
	}
}

var eventSeeds = []string{
	`{"event_id":"e1","tenant":"acme","service":"sms","destination":"+255712345678","text":"Hello \u00e9\ud83d\ude00"}`,
	`{"event_id":"e1","tenant":"acme","service":"sms","destination":"1","segments":3,"encoding":"ucs2"}`,
	`{"event_id":"e1","tenant":"acme","service":"whatsapp","destination":"1","category":"utility"}`,
	`{"event_id":"e1","tenant":"acme","service":"ai","model":"gpt-4o-mini","input_tokens":1200,"output_tokens":350}`,
	`{"event_id":"e1","tenant":"acme","service":"storage","gb":"2.5"}`,
	`{"event_id":"e1","tenant":"acme","service":"storage","gb":1e3}`,
	`{"event_id":"e1","tenant":null,"service":"sms"}`,
	`{"a":[{"b":[1,2,{"c":null}]}],"d":-0.5e-3}`,
	`{"event_id":"\ud800","tenant":"acme"}`,
	`{"text":"\"\\\/\b\f\n\r\t"}`,
	` {"event_id" : "e1" } `,
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r charging.EventRequest
		if err := newTestDecoder(body).decodeEvent(&r); err != nil {
			require.Contains(t, []int{400, 413}, err.status)
			return
		}
		checkEventRequest(t, &r, true)
		sameStrings(t, body, map[string]string{"event_id": r.EventID, "tenant": r.Tenant, "text": r.Text, "model": r.Model})
	})
}

func FuzzDecodeSessionStart(f *testing.F) {
	f.Add([]byte(`{"session_id":"a84b4c76e66710@pc33.example.com","tenant":"acme","service":"voice","direction":"outbound","destination":"255712345678","requested_seconds":120}`))
	f.Add([]byte(`{"session_id":"s","tenant":"t","service":"ivr","direction":"inbound","destination":"+1"}`))
	f.Add([]byte(`{"session_id":"s","requested_seconds":99999999999999999999}`))
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r charging.StartRequest
		if err := newTestDecoder(body).decodeStart(&r); err != nil {
			require.Contains(t, []int{400, 413}, err.status)
			return
		}
		checkStart(t, &r, true)
		sameStrings(t, body, map[string]string{"session_id": r.SessionID, "tenant": r.Tenant})
	})
}

func FuzzDecodeSessionUpdate(f *testing.F) {
	f.Add([]byte(`{"request_number":1,"used_seconds":65,"requested_seconds":60}`))
	f.Add([]byte(`{"request_number":2,"used_seconds":0}`))
	f.Add([]byte(`{"request_number":-1,"used_seconds":1e2}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var u charging.UpdateRequest
		if err := newTestDecoder(body).decodeUpdate(&u); err == nil {
			require.True(t, json.Valid(body))
			require.True(t, u.RequestNumber >= 1 && u.RequestNumber <= maxRequestNumber)
			require.True(t, u.UsedSeconds >= 0 && u.UsedSeconds <= maxUsedSeconds)
			require.True(t, u.RequestedSeconds >= 0 && u.RequestedSeconds <= maxRequestedSeconds)
		}
		var s charging.StopRequest
		if err := newTestDecoder(body).decodeStop(&s); err == nil {
			require.True(t, json.Valid(body))
			require.True(t, s.RequestNumber >= 1 && s.UsedSeconds >= 0 && s.UsedSeconds <= maxUsedSeconds)
		}
	})
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"events":[` + eventSeeds[0] + `,` + eventSeeds[1] + `,{"event_id":"x"},7]}`))
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := newTestDecoder(body).decodeBatch(nil)
		if err != nil {
			require.Contains(t, []int{400, 413}, err.status)
			return
		}
		require.True(t, json.Valid(body))
		require.LessOrEqual(t, len(items), maxBatchItems)
		for i := range items {
			if items[i].err == nil {
				checkEventRequest(t, &items[i].req, true)
			}
		}
	})
}

func FuzzDecodeRate(f *testing.F) {
	f.Add([]byte(`{"tenant":"acme","service":"voice","direction":"outbound","destination":"1555","seconds":65}`))
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r charging.RateRequest
		if err := newTestDecoder(body).decodeRate(&r); err != nil {
			return
		}
		require.True(t, json.Valid(body))
		require.True(t, (r.Session == nil) != (r.Event == nil))
		if r.Session != nil {
			checkStart(t, r.Session, false)
			require.True(t, r.Seconds >= 0 && r.Seconds <= maxRateSeconds)
		} else {
			checkEventRequest(t, r.Event, false)
		}
	})
}

func FuzzDecodeTopUp(f *testing.F) {
	f.Add([]byte(`{"amount":"12.5","method":"mpesa","reference":"MP-001"}`))
	f.Add([]byte(`{"amount":"0.000001","method":"manual","reference":"r"}`))
	f.Add([]byte(`{"amount":"99999999999999999999","method":"visa","reference":"r"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r charging.TopUpRequest
		if err := newTestDecoder(body).decodeTopUp(&r); err != nil {
			return
		}
		require.True(t, json.Valid(body))
		require.True(t, r.AmountMicros >= 1 && r.AmountMicros <= defaultMaxTopUpMicros)
		require.Contains(t, topUpMethods, r.Method)
		require.True(t, validID(r.Reference))
		var m map[string]string
		require.NoError(t, json.Unmarshal(body, &m))
		v, msg := parseDecimal([]byte(m["amount"]))
		require.Empty(t, msg)
		require.Equal(t, v, r.AmountMicros)
	})
}

// TestParseDecimal pins the money grammar.
func TestParseDecimal(t *testing.T) {
	ok := map[string]int64{"0": 0, "12.5": 12_500_000, "0.000001": 1, "-3.25": -3_250_000,
		"1000000": 1_000_000_000_000, "007.10": 7_100_000}
	for s, want := range ok {
		v, msg := parseDecimal([]byte(s))
		require.Empty(t, msg, s)
		require.Equal(t, want, v, s)
	}
	for _, s := range []string{"", "-", ".5", "1.", "1.0000001", "1e3", "+1", "1,5", " 1", "0x10", "99999999999999999999"} {
		_, msg := parseDecimal([]byte(s))
		require.NotEmpty(t, msg, s)
	}
}

// TestPlainWordAgainstBytes: the eight-byte test agrees with a byte-by-byte
// one on every byte value in every position and on random words.
func TestPlainWordAgainstBytes(t *testing.T) {
	plain := func(b []byte) bool {
		for _, c := range b {
			if c == '"' || c == '\\' || c < 0x20 {
				return false
			}
		}
		return true
	}
	check := func(b []byte) {
		if got, want := plainWord(binary.LittleEndian.Uint64(b)), plain(b); got != want {
			t.Fatalf("% x: plainWord %v, want %v", b, got, want)
		}
	}
	for pos := range 8 {
		for v := range 256 {
			b := []byte("abcdefgh")
			b[pos] = byte(v)
			check(b)
			b[(pos+3)%8] = 0xff // a high byte beside it
			check(b)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rng.Uint64())
		check(b[:])
	}
}
