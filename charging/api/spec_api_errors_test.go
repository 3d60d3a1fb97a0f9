package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpecAPIEveryRouteNeedsKey: every /v1 route without a key, or with an
// unknown one, is 401 unauthenticated with the error shape (SPEC 7: the
// Authorization header on every /v1 route; errors table, 401).
func TestSpecAPIEveryRouteNeedsKey(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	doc := string(e.must(200, "GET", "/v1/tariffs/standard", e.admin, "").raw)
	n := 0
	for _, rd := range routeTable {
		if !strings.HasPrefix(rd.pattern, "/v1/") {
			continue
		}
		n++
		require.NotEqual(t, permNone, rd.perm, "%s %s needs no permission", rd.method, rd.pattern)
		path, body := fixtures[rd.method+" "+rd.pattern].for_("acme", doc)
		requireError(t, e.do(rd.method, path, "", body), 401, "unauthenticated", "")
		requireError(t, e.do(rd.method, path, "sk_unknown_key_000000", body), 401, "unauthenticated", "")
	}
	require.Greater(t, n, 25)
	require.Equal(t, "0.000000", e.balance("acme"))
}

// TestSpecAPIPayloadLimits: "413 payload_too_large: body over 1 MiB, batch
// over 1000 items" — so a body of exactly 1 MiB and a batch of exactly 1000
// items are served (SPEC 7 errors table).
func TestSpecAPIPayloadLimits(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "25")

	// Exactly 1 MiB: a valid event padded with whitespace.
	ev := `{"event_id":"big","tenant":"acme","service":"sms","destination":"1555","text":"x"}`
	body := ev + strings.Repeat(" ", 1<<20-len(ev))
	require.Len(t, body, 1<<20)
	r := e.must(201, "POST", "/v1/events", e.admin, body)
	require.Equal(t, "0.020000", r.str("amount"))
	// One byte more: 413 (the server may answer before reading the body,
	// so send only the headers, as TestErrorTable does), nothing charged.
	requireError(t, e.rawPost("/v1/events", 1<<20+1), 413, "payload_too_large", "")
	require.Equal(t, "24.980000", e.balance("acme"))

	// Exactly 1000 items: 200 with 1000 results in order.
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event_id":"b%d","tenant":"acme","service":"sms","destination":"1555","text":"x"}`, i)
	}
	b.WriteString(`]}`)
	r = e.must(200, "POST", "/v1/events/batch", e.admin, b.String())
	res := r.get("results").([]any)
	require.Len(t, res, 1000)
	for i, it := range res {
		require.Equal(t, fmt.Sprintf("b%d", i), it.(map[string]any)["event_id"], "result %d out of order", i)
	}
	require.Equal(t, "4.980000", e.balance("acme"))
}

// TestSpecAPINoRate: a destination no prefix of the tariff matches is
// 400 invalid_request "no rate for destination", for events, sessions and
// /v1/rate alike, and charges nothing (SPEC 2 and the errors table).
func TestSpecAPINoRate(t *testing.T) {
	e := newEnv(t)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(e.must(200, "GET", "/v1/tariffs/standard", e.admin, "").raw, &doc))
	doc["id"] = "narrow"
	doc["voice"] = []any{map[string]any{"direction": "outbound", "prefix": "44", "per_minute": "0.0300",
		"connection_fee": "0", "initial_increment": 1, "subsequent_increment": 1}}
	doc["sms"] = []any{map[string]any{"prefix": "255", "per_segment": "0.0100"}}
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	e.must(201, "PUT", "/v1/tariffs/narrow", e.admin, string(raw))
	e.must(201, "POST", "/v1/tenants", e.admin, `{"id":"acme","tariff":"narrow"}`)
	e.topUp("acme", "10")

	for _, c := range []struct{ path, body string }{
		{"/v1/events", `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","text":"x"}`},
		{"/v1/sessions", `{"session_id":"s1","tenant":"acme","service":"voice","direction":"outbound","destination":"1555"}`},
		{"/v1/sessions", `{"session_id":"s2","tenant":"acme","service":"voice","direction":"inbound","destination":"447700900123"}`},
		{"/v1/rate", `{"tenant":"acme","service":"voice","direction":"outbound","destination":"+1555","seconds":60}`},
	} {
		r := e.do("POST", c.path, e.admin, c.body)
		requireError(t, r, 400, "invalid_request", "")
		require.Contains(t, r.str("error.message"), "no rate for destination", "%s", r.raw)
	}
	// The matching prefix works; nothing was charged before it.
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"e2","tenant":"acme","service":"sms","destination":"255712345678","text":"x"}`)
	require.Equal(t, "9.990000", e.balance("acme"))
	requireError(t, e.do("GET", "/v1/sessions/s1", e.admin, ""), 404, "not_found", "")
}

// TestSpecAPIConflicts: 409 for a top-up reference reused with another
// method, a request number lower than the last, a session id reused with
// another payload, and an existing number (SPEC 7 errors table, 409).
func TestSpecAPIConflicts(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.must(201, "POST", "/v1/tenants/acme/topups", e.admin, `{"amount":"10","method":"mpesa","reference":"P1"}`)
	requireError(t, e.do("POST", "/v1/tenants/acme/topups", e.admin, `{"amount":"10","method":"visa","reference":"P1"}`), 409, "conflict", "")
	require.Equal(t, "10.000000", e.balance("acme"))

	start := `{"session_id":"s1","tenant":"acme","service":"voice","direction":"outbound","destination":"447700900123","requested_seconds":60}`
	e.must(201, "POST", "/v1/sessions", e.admin, start)
	requireError(t, e.do("POST", "/v1/sessions", e.admin, strings.Replace(start, `"requested_seconds":60`, `"requested_seconds":61`, 1)), 409, "conflict", "")
	e.must(200, "POST", "/v1/sessions/s1/update", e.admin, `{"request_number":1,"used_seconds":10}`)
	e.must(200, "POST", "/v1/sessions/s1/update", e.admin, `{"request_number":2,"used_seconds":10}`)
	// Lower than the last (even with request 1's own payload): 409.
	requireError(t, e.do("POST", "/v1/sessions/s1/update", e.admin, `{"request_number":1,"used_seconds":10}`), 409, "conflict", "")
	requireError(t, e.do("POST", "/v1/sessions/s1/stop", e.admin, `{"request_number":1,"used_seconds":10}`), 409, "conflict", "")
	r := e.must(200, "GET", "/v1/sessions/s1", e.admin, "")
	require.Equal(t, json.Number("20"), r.get("used_seconds"))

	e.must(201, "POST", "/v1/tenants/acme/numbers", e.admin, `{"number":"1800555","type":"normal","monthly_fee":"0"}`)
	requireError(t, e.do("POST", "/v1/tenants/acme/numbers", e.admin, `{"number":"+1800555","type":"normal","monthly_fee":"0"}`), 409, "conflict", "")
}
