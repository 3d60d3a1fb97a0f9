package api

import (
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/salio/salio/tariff"
)

// specClock is a manual clock safe to read from the engine's timer loop.
type specClock struct{ ms atomic.Int64 }

func (c *specClock) Now() time.Time      { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *specClock) set(t time.Time)     { c.ms.Store(t.UnixMilli()) }
func (c *specClock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// clockAt is a manual clock that reads t.
func clockAt(t time.Time) *specClock {
	c := &specClock{}
	c.set(t)
	return c
}

func micros(t *testing.T, v any) int64 {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "amount %v is not a string", v)
	if len(s) > 0 && s[0] == '-' {
		m, err := tariff.ParseMicros(s[1:])
		require.NoError(t, err, s)
		return -m
	}
	m, err := tariff.ParseMicros(s)
	require.NoError(t, err, s)
	return m
}

// TestSpecAPIHistory: every top-up, finished session, event and number fee
// is one transaction with the spec's fields, newest first, paged by cursor,
// filtered by type; usage has one line per item named as the spec says, and
// a session counts in the month it ends (SPEC 7 history and usage).
func TestSpecAPIHistory(t *testing.T) {
	clock := clockAt(time.Date(2026, 9, 30, 23, 50, 0, 0, time.UTC))
	e := newEnvOn(t, clock)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	ev := func(body string) { e.must(201, "POST", "/v1/events", e.admin, body) }
	ev(`{"event_id":"sms","tenant":"acme","service":"sms","destination":"1555","text":"x"}`)
	ev(`{"event_id":"wa","tenant":"acme","service":"whatsapp","destination":"1555","category":"marketing"}`)
	ev(`{"event_id":"ai","tenant":"acme","service":"ai","model":"gpt-4o-mini","input_tokens":1200,"output_tokens":350}`)
	ev(`{"event_id":"gb","tenant":"acme","service":"storage","gb":"1"}`)
	call := func(id, service, direction, dest string, used int) {
		e.must(201, "POST", "/v1/sessions", e.admin, fmt.Sprintf(
			`{"session_id":"%s","tenant":"acme","service":"%s","direction":"%s","destination":"%s","requested_seconds":120}`, id, service, direction, dest))
		e.must(200, "POST", "/v1/sessions/"+id+"/stop", e.admin, fmt.Sprintf(`{"request_number":1,"used_seconds":%d}`, used))
	}
	call("out", "voice", "outbound", "447700900123", 65)
	call("in", "voice", "inbound", "1555", 60)
	call("ivr", "ivr", "inbound", "1555", 95)
	e.must(201, "POST", "/v1/tenants/acme/numbers", e.admin, `{"number":"1800555","type":"normal","monthly_fee":"2","setup_fee":"1"}`)
	// A call that starts in September and ends in October.
	e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"late","tenant":"acme","service":"voice","direction":"outbound","destination":"447700900123","requested_seconds":1200}`)

	// Transactions: fields, signs, newest first, balance_after chained.
	all := e.must(200, "GET", "/v1/tenants/acme/transactions?limit=100", e.admin, "").items()
	require.Len(t, all, 9)
	for i, it := range all {
		tx := it.(map[string]any)
		for _, f := range []string{"id", "type", "service", "amount", "balance_after", "quantity", "unit", "reference", "created_at", "description"} {
			require.Contains(t, tx, f, "transaction %d: %v", i, tx)
		}
		requireTime(t, tx["created_at"].(string))
		amt := micros(t, tx["amount"])
		if tx["type"] == "topup" {
			require.Positive(t, amt)
		} else {
			require.Equal(t, "charge", tx["type"])
			require.Negative(t, amt)
		}
		if i+1 < len(all) {
			next := all[i+1].(map[string]any)
			require.Equal(t, micros(t, tx["balance_after"])-amt, micros(t, next["balance_after"]), "balance_after chain at %d", i)
		}
	}
	require.Equal(t, "topup", all[len(all)-1].(map[string]any)["type"])
	require.Equal(t, "1800555", all[0].(map[string]any)["reference"], "newest first: the number fee")
	// Paging by 4: every item once, in the same order, then no cursor.
	var paged []any
	cursor := ""
	for page := 0; page < 5; page++ {
		r := e.must(200, "GET", "/v1/tenants/acme/transactions?limit=4&cursor="+cursor, e.admin, "")
		paged = append(paged, r.items()...)
		cursor = r.str("next_cursor")
		if cursor == "" {
			break
		}
	}
	require.Equal(t, all, paged)
	charges := e.must(200, "GET", "/v1/tenants/acme/transactions?type=charge", e.admin, "").items()
	require.Len(t, charges, 8)

	// Usage lines and their names.
	u := e.must(200, "GET", "/v1/tenants/acme/usage?month=2026-09", e.admin, "")
	var items []string
	var sum int64
	for _, l := range u.get("lines").([]any) {
		line := l.(map[string]any)
		for _, f := range []string{"item", "count", "quantity", "unit", "amount"} {
			require.Contains(t, line, f, "%v", line)
		}
		items = append(items, line["item"].(string))
		sum += micros(t, line["amount"])
	}
	sort.Strings(items)
	require.Equal(t, []string{"ai.gpt-4o-mini", "ivr", "number.monthly", "number.setup", "sms", "storage",
		"voice.inbound", "voice.outbound", "whatsapp.marketing"}, items)
	require.Equal(t, sum, micros(t, u.str("total")))
	require.Equal(t, "USD", u.str("currency"))

	// The late call ends in October: it counts there, not in September.
	clock.set(time.Date(2026, 10, 1, 0, 5, 0, 0, time.UTC))
	e.must(200, "POST", "/v1/sessions/late/stop", e.admin, `{"request_number":1,"used_seconds":900}`)
	u9 := e.must(200, "GET", "/v1/tenants/acme/usage?month=2026-09", e.admin, "")
	require.Equal(t, u.str("total"), u9.str("total"))
	u10 := e.must(200, "GET", "/v1/tenants/acme/usage?month=2026-10", e.admin, "")
	require.Equal(t, "0.450000", u10.str("total"), "%s", u10.raw)
	w := e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "0.450000", w.str("month_to_date_spend"))
}

// TestSpecAPIInvoices: the engine closes each month by itself after it
// ends; POST closes a past month idempotently; an invoice has the spec's
// fields, closing = opening + payments − total_charges, and each month's
// opening is the previous closing (SPEC 7 invoices).
func TestSpecAPIInvoices(t *testing.T) {
	clock := clockAt(time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC))
	e := newEnvOn(t, clock)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"a","tenant":"acme","service":"sms","destination":"1555","segments":5}`)

	// October begins: September is closed without being asked.
	clock.set(time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC))
	var sep resp
	require.Eventually(t, func() bool {
		sep = e.must(200, "GET", "/v1/tenants/acme/invoices", e.admin, "")
		return len(sep.items()) == 1
	}, 5*time.Second, 20*time.Millisecond, "September was not closed by the engine")
	inv9 := sep.items()[0].(map[string]any)
	for _, f := range []string{"number", "month", "issued_at", "currency", "opening_balance", "payments", "lines", "total_charges", "closing_balance"} {
		require.Contains(t, inv9, f, "%v", inv9)
	}
	require.Equal(t, "2026-09", inv9["month"])
	require.Equal(t, "USD", inv9["currency"])
	requireTime(t, inv9["issued_at"].(string))
	require.Equal(t, "0.000000", inv9["opening_balance"])
	require.Equal(t, "10.000000", inv9["payments"])
	require.Equal(t, "0.100000", inv9["total_charges"])
	require.Equal(t, "9.900000", inv9["closing_balance"])
	got := e.must(200, "GET", "/v1/tenants/acme/invoices/"+inv9["number"].(string), e.admin, "")
	require.Equal(t, inv9, got.body)
	// Closing it again by hand returns it unchanged.
	r := e.must(200, "POST", "/v1/tenants/acme/invoices", e.admin, `{"month":"2026-09"}`)
	require.Equal(t, inv9, r.body)

	e.topUp("acme", "2.5")
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"b","tenant":"acme","service":"ai","model":"gpt-4o-mini","input_tokens":1200,"output_tokens":350}`)
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"c","tenant":"acme","service":"whatsapp","destination":"1","category":"utility"}`)

	// Stop the engine's own closing from racing the POST: go two months on
	// and close October by hand (201 if this call closed it, 200 if the
	// engine was first), then again (200, same invoice).
	clock.set(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	r = e.do("POST", "/v1/tenants/acme/invoices", e.admin, `{"month":"2026-10"}`)
	require.Contains(t, []int{200, 201}, r.status, "%s", r.raw)
	inv10 := r.body
	r = e.must(200, "POST", "/v1/tenants/acme/invoices", e.admin, `{"month":"2026-10"}`)
	require.Equal(t, inv10, r.body)
	require.Equal(t, inv9["closing_balance"], inv10["opening_balance"], "opening = previous closing")
	require.Equal(t, "2.500000", inv10["payments"])
	open, pay, total, closing := micros(t, inv10["opening_balance"]), micros(t, inv10["payments"]),
		micros(t, inv10["total_charges"]), micros(t, inv10["closing_balance"])
	require.Equal(t, open+pay-total, closing)
	require.Equal(t, int64(4390), total)
	var lineSum int64
	for _, l := range inv10["lines"].([]any) {
		lineSum += micros(t, l.(map[string]any)["amount"])
	}
	require.Equal(t, total, lineSum, "lines (as usage) sum to total_charges")
	// The closing balance is the wallet's balance at the end of the month.
	require.Equal(t, e.balance("acme"), inv10["closing_balance"])
	require.Len(t, e.must(200, "GET", "/v1/tenants/acme/invoices", e.admin, "").items(), 2)
}
