package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpecAPIEventAnswer: an event answers 201 {event_id, amount, quantity,
// unit, balance, transaction_id}, an SMS adds segments and encoding
// (SPEC 7 events).
func TestSpecAPIEventAnswer(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	for _, c := range []struct{ body, qty string }{
		{`{"event_id":"s","tenant":"acme","service":"sms","destination":"255712345678","text":"Hello 😀"}`, "1"},
		{`{"event_id":"w","tenant":"acme","service":"whatsapp","destination":"1555","category":"utility"}`, "1"},
		{`{"event_id":"a","tenant":"acme","service":"ai","model":"gpt-4o-mini","input_tokens":1200,"output_tokens":350}`, "1550"},
		{`{"event_id":"g","tenant":"acme","service":"storage","gb":"1.5"}`, "1.5"},
	} {
		r := e.must(201, "POST", "/v1/events", e.admin, c.body)
		for _, f := range []string{"event_id", "amount", "quantity", "unit", "balance", "transaction_id"} {
			require.Contains(t, r.body, f, "%s", r.raw)
		}
		require.NotEmpty(t, r.str("unit"), "%s", r.raw)
		require.Equal(t, c.qty, fmt.Sprint(r.get("quantity")), "%s", r.raw)
		require.Regexp(t, `^\d+\.\d{6}$`, r.str("amount"))
	}
	r := e.must(200, "POST", "/v1/events", e.admin, `{"event_id":"s","tenant":"acme","service":"sms","destination":"255712345678","text":"Hello 😀"}`)
	require.Equal(t, "ucs2", r.str("encoding"))
	require.Equal(t, json.Number("1"), r.get("segments"))
}

// TestSpecAPIBatch: one result per item in order, each the single-event
// answer or {error}, items independent (a refused item changes nothing for
// the others), and the batch made durable with one commit (SPEC 7).
func TestSpecAPIBatch(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.tenant("poor", "")
	e.topUp("acme", "10")
	r := e.must(200, "POST", "/v1/events/batch", e.admin, `{"events":[
		{"event_id":"x1","tenant":"poor","service":"sms","destination":"1555","text":"a"},
		{"event_id":"x2","tenant":"acme","service":"sms","destination":"1555","text":"a"},
		{"event_id":"x3","tenant":"acme","service":"storage","gb":"-1"},
		{"event_id":"x4","tenant":"acme","service":"whatsapp","destination":"1555","category":"marketing"}]}`)
	res := r.get("results").([]any)
	require.Len(t, res, 4)
	item := func(i int) map[string]any { return res[i].(map[string]any) }
	require.Equal(t, "insufficient_funds", item(0)["error"].(map[string]any)["code"])
	require.Equal(t, "x2", item(1)["event_id"])
	require.Equal(t, "9.980000", item(1)["balance"])
	require.Equal(t, "invalid_request", item(2)["error"].(map[string]any)["code"])
	require.Equal(t, "x4", item(3)["event_id"])
	require.Equal(t, "9.955000", item(3)["balance"])
	require.Equal(t, "9.955000", e.balance("acme"))

	// One commit for a batch: the store's group-commit counter grows by 1.
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event_id":"c%d","tenant":"acme","service":"sms","destination":"1555","segments":1}`, i)
	}
	b.WriteString(`]}`)
	before := e.st.Stats().Commits
	e.must(200, "POST", "/v1/events/batch", e.admin, b.String())
	require.Equal(t, uint64(1), e.st.Stats().Commits-before, "SPEC 7: the batch is made durable with one commit")
}

// TestSpecAPIRateBreakdown: /v1/rate answers what a usage would cost now
// with its breakdown (rate, billed units, fee, tier, multiplier) and
// charges nothing: no balance change, no transaction, no CDR (SPEC 7).
func TestSpecAPIRateBreakdown(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	r := e.must(200, "POST", "/v1/rate", e.admin,
		`{"tenant":"acme","service":"voice","direction":"outbound","destination":"255712345678","seconds":65}`)
	require.Equal(t, "0.027000", r.str("amount"))
	require.Equal(t, json.Number("66"), r.get("billed_units"))
	require.Equal(t, "2557", r.str("rate.prefix"))
	require.Equal(t, "bronze", fmt.Sprint(r.get("tier")))
	require.Equal(t, "1.00", r.str("multiplier"))
	require.Contains(t, r.body, "fee", "%s", r.raw)
	require.Contains(t, fmt.Sprint(r.get("fee")), "0.005", "%s", r.raw)
	r = e.must(200, "POST", "/v1/rate", e.admin,
		`{"tenant":"acme","service":"ivr","direction":"inbound","destination":"1555","seconds":95}`)
	require.Equal(t, "0.040000", r.str("amount"))
	// The same body as an event, and as a session start, plus seconds.
	e.must(200, "POST", "/v1/rate", e.admin,
		`{"event_id":"ignored","tenant":"acme","service":"whatsapp","destination":"1555","category":"marketing"}`)
	e.must(200, "POST", "/v1/rate", e.admin,
		`{"session_id":"ignored","tenant":"acme","service":"voice","direction":"inbound","destination":"1555","requested_seconds":60,"seconds":60}`)

	require.Equal(t, "10.000000", e.balance("acme"))
	require.Len(t, e.must(200, "GET", "/v1/tenants/acme/transactions", e.admin, "").items(), 1)
	require.Empty(t, e.must(200, "GET", "/v1/cdrs", e.admin, "").items())
	w := e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "0.000000", w.str("lifetime_spend"))
}
