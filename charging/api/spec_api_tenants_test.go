package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpecAPITenants: only id and tariff are required (with the documented
// defaults for the rest), PATCH changes every field but id and currency,
// and the wallet answers every field SPEC 7 lists, auto_recharge's
// pending_reference included (SPEC 4, 5, 7 tenants).
func TestSpecAPITenants(t *testing.T) {
	e := newEnv(t)
	requireError(t, e.do("POST", "/v1/tenants", e.admin, `{"tariff":"standard"}`), 400, "invalid_request", "id")
	requireError(t, e.do("POST", "/v1/tenants", e.admin, `{"id":"acme"}`), 400, "invalid_request", "tariff")
	requireError(t, e.do("POST", "/v1/tenants", e.admin, `{"id":"acme","tariff":"ghost"}`), 400, "invalid_request", "tariff")
	r := e.must(201, "POST", "/v1/tenants", e.admin, `{"id":"acme","tariff":"standard"}`)
	require.Equal(t, "USD", r.str("currency"))
	require.Equal(t, "0.000000", r.str("low_balance_threshold"))
	require.Equal(t, json.Number("300"), r.get("grace_period_seconds"))
	require.Equal(t, "5.000000", r.str("grace_overdraft_limit"))
	require.Equal(t, json.Number("0"), r.get("max_concurrent_sessions"))
	require.Equal(t, "standard", r.str("tariff"))

	r = e.must(200, "PATCH", "/v1/tenants/acme", e.admin,
		`{"low_balance_threshold":"2","grace_period_seconds":60,"grace_overdraft_limit":"1.5","max_concurrent_sessions":3,"name":"A"}`)
	require.Equal(t, "2.000000", r.str("low_balance_threshold"))
	require.Equal(t, json.Number("60"), r.get("grace_period_seconds"))
	require.Equal(t, "1.500000", r.str("grace_overdraft_limit"))
	require.Equal(t, json.Number("3"), r.get("max_concurrent_sessions"))
	r = e.must(200, "GET", "/v1/tenants/acme", e.admin, "")
	require.Equal(t, "A", r.str("name"))
	require.Equal(t, "2.000000", r.str("low_balance_threshold"))

	// The wallet, with auto-recharge armed and a recharge pending.
	e.topUp("acme", "3")
	e.must(200, "PUT", "/v1/tenants/acme/auto-recharge", e.admin, `{"enabled":true,"threshold":"2.5","amount":"20","method":"mpesa"}`)
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"x","tenant":"acme","service":"storage","gb":"50"}`)
	w := e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "acme", w.str("tenant"))
	require.Equal(t, "1.850000", w.str("balance"))
	require.Equal(t, "low", w.str("status"))
	require.Equal(t, "2.000000", w.str("low_balance_threshold"))
	for _, f := range []string{"enabled", "threshold", "amount", "method", "pending_reference"} {
		require.Contains(t, w.get("auto_recharge"), f, "%s", w.raw)
	}
	ref := w.str("auto_recharge.pending_reference")
	require.NotEmpty(t, ref, "%s", w.raw)
	// The integration pays with that reference: the pending recharge clears.
	e.must(201, "POST", "/v1/tenants/acme/topups", e.admin, `{"amount":"20","method":"mpesa","reference":"`+ref+`"}`)
	w = e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Empty(t, w.str("auto_recharge.pending_reference"), "%s", w.raw)
	require.Equal(t, "21.850000", w.str("balance"))
	require.Equal(t, "ok", w.str("status"))
}
