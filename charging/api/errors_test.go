package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// TestStrictDecoding: malformed JSON, wrong types, negative and oversized
// numbers, unknown fields and enum values are 400 naming the field, and
// change nothing.
func TestStrictDecoding(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	txBefore := len(e.must(200, "GET", "/v1/tenants/acme/transactions", e.admin, "").items())
	long := strings.Repeat("a", 129)
	ev := func(fields string) string {
		return `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555"` + fields + `}`
	}
	st := func(fields string) string {
		return `{"session_id":"s1","tenant":"acme","service":"voice","direction":"outbound","destination":"1555"` + fields + `}`
	}
	cases := []struct{ path, body, field string }{
		// Malformed JSON: no field.
		{"/v1/events", `{"event_id":`, ""},
		{"/v1/events", `{"event_id":"e1",}`, ""},
		{"/v1/events", `[1,2]`, ""},
		{"/v1/events", ``, ""},
		{"/v1/events", ev(`,"text":"x"} trailing`), ""},
		{"/v1/events", `{"event_id":"e1\x01"}`, ""},
		// Unknown fields, duplicates, wrong types.
		{"/v1/events", ev(`,"text":"x","colour":"red"`), "colour"},
		{"/v1/events", ev(`,"text":"x","text":"y"`), "text"},
		{"/v1/events", ev(`,"segments":"3"`), "segments"},
		{"/v1/events", ev(`,"segments":2.5`), "segments"},
		{"/v1/events", ev(`,"text":5`), "text"},
		{"/v1/events", `{"event_id":7,"tenant":"acme","service":"sms","destination":"1","text":"x"}`, "event_id"},
		{"/v1/sessions", st(`,"requested_seconds":"60"`), "requested_seconds"},
		{"/v1/sessions", st(`,"requested_seconds":true`), "requested_seconds"},
		// Unknown enum values.
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"fax","destination":"1"}`, "service"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"voice","destination":"1"}`, "service"},
		{"/v1/sessions", `{"session_id":"s1","tenant":"acme","service":"voice","direction":"sideways","destination":"1"}`, "direction"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"whatsapp","destination":"1","category":"spam"}`, "category"},
		{"/v1/events", ev(`,"segments":2,"encoding":"utf8"`), "encoding"},
		{"/v1/tenants/acme/topups", `{"amount":"1","method":"paypal","reference":"r1"}`, "method"},
		{"/v1/tenants/acme/numbers", `{"number":"1800","type":"vanity","monthly_fee":"1"}`, "type"},
		// Negative, over the limits, missing.
		{"/v1/tenants/acme/topups", `{"amount":"-5","method":"manual","reference":"r1"}`, "amount"},
		{"/v1/tenants/acme/topups", `{"amount":"0","method":"manual","reference":"r1"}`, "amount"},
		{"/v1/tenants/acme/topups", `{"amount":5,"method":"manual","reference":"r1"}`, "amount"},
		{"/v1/tenants/acme/topups", `{"amount":"1.0000001","method":"manual","reference":"r1"}`, "amount"},
		{"/v1/tenants/acme/topups", `{"amount":"1e3","method":"manual","reference":"r1"}`, "amount"},
		{"/v1/tenants/acme/topups", `{"amount":"1000000.000001","method":"manual","reference":"r1"}`, "amount"},
		{"/v1/tenants/acme/topups", `{"amount":"1","method":"manual"}`, "reference"},
		{"/v1/tenants/acme/topups", `{"amount":"1","method":"manual","reference":"` + long + `"}`, "reference"},
		{"/v1/tenants/acme/topups", `{"amount":"1","method":"manual","reference":"a b"}`, "reference"},
		{"/v1/tenants/acme/numbers", `{"number":"1800","type":"normal","monthly_fee":"-1"}`, "monthly_fee"},
		{"/v1/sessions", st(`,"requested_seconds":-1`), "requested_seconds"},
		{"/v1/sessions", st(`,"requested_seconds":86401`), "requested_seconds"},
		{"/v1/sessions", `{"session_id":"` + long + `","tenant":"acme","service":"voice","direction":"inbound","destination":"1"}`, "session_id"},
		{"/v1/sessions", `{"tenant":"acme","service":"voice","direction":"inbound","destination":"1"}`, "session_id"},
		{"/v1/sessions", st(`,"text":"x"`), "text"},
		{"/v1/events", ev(`,"segments":256`), "segments"},
		{"/v1/events", ev(`,"segments":0`), "segments"},
		{"/v1/events", ev(`,"segments":1,"text":"x"`), "segments"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"sms","destination":"12a","text":"x"}`, "destination"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"ai","model":"m","input_tokens":-3}`, "input_tokens"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"storage","gb":"-1"}`, "gb"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"storage","gb":"1","model":"m"}`, "model"},
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1"}`, "text"},
		{"/v1/sessions/s1/update", `{"request_number":0,"used_seconds":1}`, "request_number"},
		{"/v1/sessions/s1/update", `{"request_number":1,"used_seconds":-1}`, "used_seconds"},
		{"/v1/sessions/s1/stop", `{"request_number":1}`, "used_seconds"},
		{"/v1/tenants", `{"id":"x","tariff":"standard","currency":"usd"}`, "currency"},
		{"/v1/tenants", `{"id":"x","tariff":"standard","grace_period_seconds":-1}`, "grace_period_seconds"},
		{"/v1/tenants/acme/invoices", `{"month":"2020-1"}`, "month"},
		{"/v1/keys", `{"name":"x","role":"viewer","tenant":"acme","expires":"never"}`, "expires"},
	}
	for _, c := range cases {
		r := e.do("POST", c.path, e.admin, c.body)
		requireError(t, r, 400, "invalid_request", c.field)
		if c.field == "" {
			require.Empty(t, r.str("error.field"), "%s", r.raw)
		}
	}
	require.Equal(t, "10.000000", e.balance("acme"))
	require.Len(t, e.must(200, "GET", "/v1/tenants/acme/transactions", e.admin, "").items(), txBefore)
	requireError(t, e.do("GET", "/v1/sessions/s1", e.admin, ""), 404, "not_found", "")
	// PATCH with an id; query errors.
	requireError(t, e.do("PATCH", "/v1/tenants/acme", e.admin, `{"id":"y"}`), 400, "invalid_request", "id")
	requireError(t, e.do("GET", "/v1/tenants/"+strings.Repeat("a", 129)+"/wallet", e.admin, ""), 400, "invalid_request", "tenant")
}

// TestErrorTable produces every status of the spec's error table.
func TestErrorTable(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", `,"max_concurrent_sessions":1`)

	// 402 with the wallet status, and no session left behind.
	r := e.do("POST", "/v1/sessions", e.admin, `{"session_id":"s0","tenant":"acme","service":"voice","direction":"outbound","destination":"1555"}`)
	requireError(t, r, 402, "insufficient_funds", "")
	require.NotEmpty(t, r.str("error.details.wallet_status"), "%s", r.raw)
	requireError(t, e.do("GET", "/v1/sessions/s0", e.admin, ""), 404, "not_found", "")
	r = e.do("POST", "/v1/events", e.admin, `{"event_id":"e","tenant":"acme","service":"sms","destination":"1","text":"x"}`)
	requireError(t, r, 402, "insufficient_funds", "")
	require.Contains(t, []string{"ok", "low", "grace", "blocked"}, r.str("error.details.wallet_status"))

	// 429 at max_concurrent_sessions.
	e.topUp("acme", "10")
	e.must(201, "POST", "/v1/sessions", e.admin, `{"session_id":"s1","tenant":"acme","service":"voice","direction":"outbound","destination":"1555"}`)
	requireError(t, e.do("POST", "/v1/sessions", e.admin, `{"session_id":"s2","tenant":"acme","service":"voice","direction":"outbound","destination":"1555"}`),
		429, "too_many_sessions", "")

	// 404 for unknown things.
	requireError(t, e.do("GET", "/v1/tenants/ghost/wallet", e.admin, ""), 404, "not_found", "")
	requireError(t, e.do("POST", "/v1/events", e.admin, `{"event_id":"e","tenant":"ghost","service":"sms","destination":"1","text":"x"}`), 404, "not_found", "")

	// 413: a body of 1 MiB + 1 is refused from its Content-Length, before
	// fasthttp reads it (so the client may not even finish sending it), with
	// the JSON error; and a batch of 1,001 items.
	r = e.rawPost("/v1/events", 1<<20+1)
	requireError(t, r, 413, "payload_too_large", "")
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; i < 1001; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event_id":"b%d","tenant":"acme","service":"sms","destination":"1","text":"x"}`, i)
	}
	b.WriteString(`]}`)
	requireError(t, e.do("POST", "/v1/events/batch", e.admin, b.String()), 413, "payload_too_large", "")
	require.Equal(t, "10.000000", e.balance("acme"))
	m := string(e.must(200, "GET", "/metrics", "", "").raw)
	require.Contains(t, m, `salio_limit_hits_total{limit="body_bytes"} 1`)
	require.Contains(t, m, `salio_limit_hits_total{limit="batch_items"} 1`)

	// 503: the store is gone; the engine fails closed.
	require.NoError(t, e.st.Close())
	requireError(t, e.do("POST", "/v1/tenants/acme/topups", e.admin, `{"amount":"1","method":"manual","reference":"late"}`), 503, "unavailable", "")
	r = e.do("GET", "/readyz", "", "")
	if !e.eng.Ready() {
		require.Equal(t, 503, r.status)
		require.Equal(t, false, r.get("ready"))
	}
}

// rawPost sends only the headers of a POST announcing a body of n bytes and
// reads the answer the server gives without waiting for the body.
func (e *testEnv) rawPost(path string, n int) resp {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	require.NoError(e.t, err)
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		path, e.admin, n)
	hr, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(e.t, err)
	defer hr.Body.Close()
	raw, err := io.ReadAll(hr.Body)
	require.NoError(e.t, err)
	r := resp{status: hr.StatusCode, raw: raw, header: hr.Header}
	require.NoError(e.t, json.NewDecoder(bytes.NewReader(raw)).Decode(&r.body), "%s", raw)
	return r
}

// TestHandlerBodyLimit: a body over the limit that reaches the handler
// (chunked, or a handler driven directly) is 413 too, before any decoding.
func TestHandlerBodyLimit(t *testing.T) {
	e := newEnv(t)
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetRequestURI("/v1/events")
	ctx.Request.Header.Set("Authorization", "Bearer "+e.admin)
	ctx.Request.SetBody(bytes.Repeat([]byte(" "), 1<<20+1))
	e.srv.Handler()(&ctx)
	require.Equal(t, 413, ctx.Response.StatusCode())
	require.Contains(t, string(ctx.Response.Body()), `"code":"payload_too_large"`)
}
