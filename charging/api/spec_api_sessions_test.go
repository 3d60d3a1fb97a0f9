package api

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// sessionAnswerFields are the fields of a start answer (SPEC 7); an update
// answers the same shape plus charged_amount.
var sessionAnswerFields = []string{"session_id", "granted_seconds", "final_unit", "validity_seconds", "reserved_amount", "rate", "tier"}

// TestSpecAPISessionGrants follows one call on a wallet too small for it,
// over HTTP (SPEC 7 sessions): the grant is the largest g ≤ requested whose
// cost(used + g) − cost(used) the available funds pay, reserved_amount is
// that difference, a grant below the request sets final_unit, a grant of 0
// means "end now", usage beyond the grant is charged in full even below
// zero, and a repeated request number replays and changes nothing.
func TestSpecAPISessionGrants(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "0.10")
	// "44": 1/1, 0.0300/min (0.0005/s), no fee.
	r := e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"c1","tenant":"acme","service":"voice","direction":"outbound","destination":"447700900123","requested_seconds":60}`)
	for _, f := range sessionAnswerFields {
		require.Contains(t, r.body, f)
	}
	require.Equal(t, json.Number("60"), r.get("granted_seconds"))
	require.Equal(t, json.Number("90"), r.get("validity_seconds"), "validity = grant + 30 s")
	require.Equal(t, "0.030000", r.str("reserved_amount"))
	w := e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "0.100000", w.str("balance"))
	require.Equal(t, "0.030000", w.str("reserved"))
	require.Equal(t, "0.070000", w.str("available"))
	require.Equal(t, json.Number("1"), w.get("open_sessions"))

	// 60 s used, 300 asked: 0.03 committed, 0.07 left buys 140 s.
	up1 := `{"request_number":1,"used_seconds":60,"requested_seconds":300}`
	r = e.must(200, "POST", "/v1/sessions/c1/update", e.admin, up1)
	for _, f := range append(sessionAnswerFields, "charged_amount") {
		require.Contains(t, r.body, f)
	}
	require.Equal(t, json.Number("140"), r.get("granted_seconds"))
	require.Equal(t, true, r.get("final_unit"))
	require.Equal(t, json.Number("170"), r.get("validity_seconds"))
	require.Equal(t, "0.070000", r.str("reserved_amount"))
	require.Equal(t, "0.030000", r.str("charged_amount"))
	w = e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "0.070000", w.str("balance"))
	require.Equal(t, "0.070000", w.str("reserved"))
	require.Equal(t, "0.000000", w.str("available"))

	// The same request number again: the stored answer, nothing changes.
	r2 := e.must(200, "POST", "/v1/sessions/c1/update", e.admin, up1)
	require.Equal(t, string(r.raw), string(r2.raw))
	w2 := e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, w.str("balance"), w2.str("balance"))
	require.Equal(t, w.str("reserved"), w2.str("reserved"))
	require.Equal(t, w.str("lifetime_spend"), w2.str("lifetime_spend"))

	// All 140 s used: nothing left, grant 0 with final_unit ("end now").
	r = e.must(200, "POST", "/v1/sessions/c1/update", e.admin, `{"request_number":2,"used_seconds":140,"requested_seconds":60}`)
	require.Equal(t, json.Number("0"), r.get("granted_seconds"))
	require.Equal(t, true, r.get("final_unit"))
	require.Equal(t, "0.000000", r.str("reserved_amount"))
	require.Equal(t, "0.100000", r.str("charged_amount"))

	// The switch reports 30 s beyond the grant: charged in full, below zero.
	stop := `{"request_number":3,"used_seconds":30}`
	r = e.must(200, "POST", "/v1/sessions/c1/stop", e.admin, stop)
	require.Equal(t, json.Number("230"), r.get("usage_seconds"))
	require.Equal(t, json.Number("230"), r.get("billed_seconds"))
	require.Equal(t, "0.115000", r.str("charged_amount"))
	require.Equal(t, "-0.015000", e.balance("acme"))
	r2 = e.must(200, "POST", "/v1/sessions/c1/stop", e.admin, stop)
	require.Equal(t, string(r.raw), string(r2.raw))
	w = e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "-0.015000", w.str("balance"))
	require.Equal(t, "0.000000", w.str("reserved"))
	require.Equal(t, "0.115000", w.str("lifetime_spend"))
	require.Equal(t, "0.115000", w.str("month_to_date_spend"))
	require.Equal(t, json.Number("0"), w.get("open_sessions"))
	// One transaction for the whole call.
	tx := e.must(200, "GET", "/v1/tenants/acme/transactions?type=charge", e.admin, "").items()
	require.Len(t, tx, 1)
	require.Equal(t, "-0.115000", tx[0].(map[string]any)["amount"])
}

// TestSpecAPISessionRequestedSeconds: requested_seconds defaults to the
// tariff's default_quota_seconds (300 in standard) and may be up to 86400;
// max_concurrent_sessions 0 means unlimited (SPEC 7).
func TestSpecAPISessionRequestedSeconds(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", `,"max_concurrent_sessions":0`)
	e.topUp("acme", "100")
	r := e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"d","tenant":"acme","service":"voice","direction":"outbound","destination":"447700900123"}`)
	require.Equal(t, json.Number("300"), r.get("granted_seconds"))
	require.Equal(t, false, r.get("final_unit"))
	r = e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"max","tenant":"acme","service":"voice","direction":"outbound","destination":"447700900123","requested_seconds":86400}`)
	require.Equal(t, json.Number("86400"), r.get("granted_seconds"))
	require.Equal(t, "43.200000", r.str("reserved_amount"))
	for i := 0; i < 20; i++ {
		e.must(201, "POST", "/v1/sessions", e.admin,
			fmt.Sprintf(`{"session_id":"u%d","tenant":"acme","service":"voice","direction":"inbound","destination":"1555","requested_seconds":60}`, i))
	}
	require.Equal(t, json.Number("22"), e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "").get("open_sessions"))

	// A limit set by PATCH applies to the next start.
	e.must(200, "PATCH", "/v1/tenants/acme", e.admin, `{"max_concurrent_sessions":22}`)
	requireError(t, e.do("POST", "/v1/sessions", e.admin,
		`{"session_id":"over","tenant":"acme","service":"voice","direction":"inbound","destination":"1555"}`), 429, "too_many_sessions", "")
	e.must(200, "POST", "/v1/sessions/u0/stop", e.admin, `{"request_number":1,"used_seconds":0}`)
	e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"over","tenant":"acme","service":"voice","direction":"inbound","destination":"1555"}`)
}
