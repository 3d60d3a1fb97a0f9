package store

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

// fill sets every field of *p, recursively, to a distinct non-zero value, so
// a field the codec forgets fails the round trip.
func fill(p any) {
	n := 0
	fillValue(reflect.ValueOf(p).Elem(), &n)
}

func fillValue(v reflect.Value, n *int) {
	*n++
	k := int64(*n)
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d-ü\x00x", k))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := k * 1_000_003
		if k%2 == 0 {
			x = -x
		}
		if v.Kind() == reflect.Int64 {
			x *= 1 << 30
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x := uint64(k)
		if v.Kind() == reflect.Uint64 {
			x = x<<56 | x
		}
		v.SetUint(x)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() { // unexported: the engine's bookkeeping, not the image
				fillValue(v.Field(i), n)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 3, 3)
		for i := 0; i < 3; i++ {
			fillValue(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillValue(v.Index(i), n)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

// roundTrip checks decode(encode(filled)) == filled, that the zero value
// round-trips too, and that every truncation of the encoding is an error.
func roundTrip[T any](t *testing.T, encode func([]byte, *T) []byte, decode func([]byte, *T) error) {
	t.Helper()
	var want T
	fill(&want)
	b := encode([]byte("prefix"), &want)[len("prefix"):]
	var got T
	require.NoError(t, decode(b, &got))
	require.Equal(t, want, got)
	require.False(t, reflect.ValueOf(got).IsZero())

	var zero, gotZero T
	require.NoError(t, decode(encode(nil, &zero), &gotZero))
	require.Equal(t, zero, gotZero)

	for i := 0; i < len(b); i++ {
		var x T
		require.Error(t, decode(b[:i], &x), "truncated at %d of %d", i, len(b))
	}
	bad := append([]byte{b[0] + 1}, b[1:]...) // the next version, which has no decoder yet
	var x T
	require.ErrorIs(t, decode(bad, &x), errCorrupt)
}

func TestRecordRoundTrips(t *testing.T) {
	t.Run("wallet", func(t *testing.T) {
		roundTrip(t, appendWallet, decodeWallet)
	})
	t.Run("session", func(t *testing.T) {
		roundTrip(t, appendSession, decodeSession)
	})
	t.Run("transaction", func(t *testing.T) {
		var want charging.Transaction
		fill(&want)
		// The value leaves out what the key holds.
		roundTrip(t, appendTransaction, func(b []byte, got *charging.Transaction) error {
			err := decodeTransaction(b, want.Tenant, want.Seq, got)
			if got.ID == "" { // the zero value's round trip
				got.Tenant, got.Seq = "", 0
			}
			return err
		})
	})
	t.Run("event answer in the CDR log", func(t *testing.T) {
		var c charging.CDR
		fill(&c)
		a := charging.EventAnswer{EventID: c.EventID, Tenant: c.Tenant, Hash: 7, At: c.EndedAt, AmountMicros: c.AmountMicros,
			QuantityMicros: c.QuantityMicros, Unit: c.Unit, BalanceMicros: -5, TransactionID: c.ID, Segments: 3, Encoding: "ucs2"}
		b := appendLogAnswer(nil, &a, &c)
		require.Less(t, len(b), 20)
		var got charging.EventAnswer
		require.NoError(t, decodeLogAnswer(b, &c, &got))
		require.Equal(t, a, got)
		a.TransactionID = "other" // not the CDR's: the whole answer is kept
		b = appendLogAnswer(nil, &a, &c)
		require.NoError(t, decodeLogAnswer(b, &c, &got))
		require.Equal(t, a, got)
		for i := 0; i < len(b); i++ {
			require.Error(t, decodeLogAnswer(b[:i], &c, &got))
		}
	})
	t.Run("cdr", func(t *testing.T) { roundTrip(t, appendCDR, decodeCDR) })
	t.Run("wallet event", func(t *testing.T) {
		roundTrip(t, appendWalletEvent, decodeWalletEvent)
	})
	t.Run("event answer", func(t *testing.T) {
		roundTrip(t, appendEventAnswer, decodeEventAnswer)
	})
	t.Run("top-up", func(t *testing.T) { roundTrip(t, appendTopUp, decodeTopUp) })
	t.Run("top-up of version 1, without the wallet", func(t *testing.T) {
		var want charging.TopUpRecord
		fill(&want)
		want.Wallet = charging.WalletView{}
		e := enc([]byte{valueV1}).str(want.Tenant).str(want.Reference).i64(want.AmountMicros).str(want.Method).i64(want.At)
		var got charging.TopUpRecord
		require.NoError(t, decodeTopUp(appendTxBody(e, &want.Transaction), &got))
		require.Equal(t, want, got)
	})
	t.Run("number", func(t *testing.T) { roundTrip(t, appendNumber, decodeNumber) })
	t.Run("tariff", func(t *testing.T) { roundTrip(t, appendTariff, decodeTariff) })
	t.Run("key", func(t *testing.T) { roundTrip(t, appendKeyRecord, decodeKeyRecord) })
	t.Run("role", func(t *testing.T) { roundTrip(t, appendRole, decodeRole) })
	t.Run("invoice", func(t *testing.T) { roundTrip(t, appendInvoice, decodeInvoice) })
	t.Run("usage", func(t *testing.T) {
		var d charging.UsageDelta
		fill(&d)
		var l charging.UsageLine
		require.NoError(t, decodeUsage(appendUsage(nil, &d), &l))
		require.Equal(t, charging.UsageLine{Count: d.Count, QuantityMicros: d.QuantityMicros,
			AmountMicros: d.AmountMicros, Unit: d.Unit}, l)
	})
}

func TestLogGroupAndParked(t *testing.T) {
	var c charging.CDR
	fill(&c)
	var a charging.EventAnswer
	fill(&a)
	l := logBuf{first: 7, n: 2}
	l.body = enc(l.body).raw(appendCDR(nil, &c)).raw(appendEventAnswer(nil, &a))
	l.body = enc(l.body).raw(appendCDR(nil, &c)).raw(nil)
	lg, err := readLogGroup(7, appendLogGroup(nil, 1234567, &l))
	require.NoError(t, err)
	require.EqualValues(t, 1234567, lg.atMs)
	require.Equal(t, 2, lg.n)
	require.EqualValues(t, 8, lg.last())
	rec, ans := lg.next(true)
	var got charging.CDR
	require.NoError(t, decodeCDR(rec, &got))
	require.Equal(t, c, got)
	var gotA charging.EventAnswer
	require.NoError(t, decodeEventAnswer(ans, &gotA))
	require.Equal(t, a, gotA)
	rec2, ans2 := lg.next(true)
	require.Equal(t, rec, rec2)
	require.Empty(t, ans2)
	require.NoError(t, lg.d.end())

	p, err := decodeParked(kindCDRLog, appendParked(nil, 99, "too big", rec))
	require.NoError(t, err)
	require.Equal(t, ParkedRecord{ParkedAt: 99, Reason: "too big", CDR: &c}, p)
	p, err = decodeParked(kindEventLog, appendParked(nil, 5, "gone", nil))
	require.NoError(t, err)
	require.Equal(t, ParkedRecord{ParkedAt: 5, Reason: "gone"}, p)
}

func TestKeyComponentsOrderAndRoundTrip(t *testing.T) {
	strs := []string{"", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "\x00", "\x00\x00", "\xff", "acme", "acme2", "acme.x"}
	keys := make([][]byte, len(strs))
	for i, s := range strs {
		keys[i] = appendKey2(nil, kindRole, s, "z")
		got, rest, ok := readComponent(keys[i][1:])
		require.True(t, ok, "%q", s)
		require.Equal(t, s, got)
		view, viewRest, ok := componentView(keys[i][1:])
		require.True(t, ok, "%q", s)
		require.Equal(t, s, string(view))
		require.Equal(t, rest, viewRest)
		got2, rest, ok := readComponent(rest)
		require.True(t, ok)
		require.Equal(t, "z", got2)
		require.Empty(t, rest)
	}
	// Key order must equal tuple order.
	idx := make([]int, len(strs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return bytes.Compare(keys[idx[a]], keys[idx[b]]) < 0 })
	sorted := append([]string(nil), strs...)
	sort.Strings(sorted)
	for i, j := range idx {
		require.Equal(t, sorted[i], strs[j])
	}
	// No tenant's prefix is a prefix of another tenant's keys.
	require.False(t, bytes.HasPrefix(appendKeySeq(nil, kindTransaction, "acme2", 1), appendKey1(nil, kindTransaction, "acme")))
	_, _, ok := readComponent([]byte("abc"))
	require.False(t, ok)
	_, _, ok = readComponent([]byte("a\x00\x07"))
	require.False(t, ok)
	_, _, ok = componentView([]byte("a\x00\x07"))
	require.False(t, ok)
}

func TestOrderedInt64(t *testing.T) {
	vals := []int64{-1 << 63, -5, -1, 0, 1, 7, 1<<63 - 1}
	for i := 1; i < len(vals); i++ {
		require.Less(t, orderedInt64(vals[i-1]), orderedInt64(vals[i]))
	}
}
