package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTenantsWalletTopUps covers the tenant, wallet, top-up and
// auto-recharge routes' success paths and idempotent top-ups over HTTP.
func TestTenantsWalletTopUps(t *testing.T) {
	e := newEnv(t)
	r := e.must(201, "POST", "/v1/tenants", e.admin,
		`{"id":"acme","name":"Acme","currency":"USD","tariff":"standard","low_balance_threshold":"1.50",
		  "grace_period_seconds":120,"grace_overdraft_limit":"2","max_concurrent_sessions":5}`)
	require.Equal(t, "acme", r.str("id"))
	require.Equal(t, "1.500000", r.str("low_balance_threshold"))
	require.Equal(t, "2.000000", r.str("grace_overdraft_limit"))
	require.Equal(t, json.Number("120"), r.get("grace_period_seconds"))
	requireTime(t, r.str("created_at"))

	requireError(t, e.do("POST", "/v1/tenants", e.admin, `{"id":"acme","tariff":"standard"}`), 409, "conflict", "")

	r = e.must(200, "GET", "/v1/tenants/acme", e.admin, "")
	require.Equal(t, "Acme", r.str("name"))
	r = e.must(200, "PATCH", "/v1/tenants/acme", e.admin, `{"name":"Acme Ltd","max_concurrent_sessions":7}`)
	require.Equal(t, "Acme Ltd", r.str("name"))
	require.Equal(t, json.Number("7"), r.get("max_concurrent_sessions"))
	requireError(t, e.do("PATCH", "/v1/tenants/acme", e.admin, `{"currency":"EUR"}`), 400, "invalid_request", "currency")
	requireError(t, e.do("GET", "/v1/tenants/ghost", e.admin, ""), 404, "not_found", "")

	r = e.must(200, "GET", "/v1/tenants/acme/wallet", e.admin, "")
	require.Equal(t, "0.000000", r.str("balance"))
	require.Equal(t, "bronze", r.str("tier.name"))
	require.Equal(t, "1.00", r.str("tier.multiplier"))
	require.Equal(t, "100.000000", r.str("tier.next_tier_at"))
	for _, k := range []string{"tenant", "currency", "balance", "reserved", "available", "lifetime_spend",
		"tier", "status", "grace_ends_at", "low_balance_threshold", "auto_recharge", "open_sessions", "month_to_date_spend"} {
		require.Contains(t, r.body, k)
	}

	// A top-up, its replay (200, same transaction) and a conflicting reuse.
	body := `{"amount":"12.5","method":"mpesa","reference":"MP-001"}`
	r = e.must(201, "POST", "/v1/tenants/acme/topups", e.admin, body)
	txID := r.str("transaction.id")
	require.NotEmpty(t, txID)
	require.Equal(t, "12.500000", r.str("transaction.amount"))
	require.Equal(t, "topup", r.str("transaction.type"))
	require.Equal(t, "12.500000", r.str("wallet.balance"))
	r = e.must(200, "POST", "/v1/tenants/acme/topups", e.admin, body)
	require.Equal(t, txID, r.str("transaction.id"))
	requireError(t, e.do("POST", "/v1/tenants/acme/topups", e.admin,
		`{"amount":"13","method":"mpesa","reference":"MP-001"}`), 409, "conflict", "")
	require.Equal(t, "12.500000", e.balance("acme"))

	r = e.must(200, "PUT", "/v1/tenants/acme/auto-recharge", e.admin,
		`{"enabled":true,"threshold":"5","amount":"20","method":"visa"}`)
	require.Equal(t, true, r.get("auto_recharge.enabled"))
	require.Equal(t, "20.000000", r.str("auto_recharge.amount"))
	require.Equal(t, "visa", r.str("auto_recharge.method"))
}

func requireTime(t *testing.T, s string) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err, s)
	require.Equal(t, time.UTC, ts.Location(), s)
	require.True(t, strings.HasSuffix(s, "Z"), s)
}

// TestSessions covers start, update, get, stop and their replays.
func TestSessions(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	start := `{"session_id":"a84b4c76e66710@pc33.example.com","tenant":"acme","service":"voice",
		"direction":"outbound","destination":"+255712345678","requested_seconds":120}`
	r := e.must(201, "POST", "/v1/sessions", e.admin, start)
	require.Equal(t, "a84b4c76e66710@pc33.example.com", r.str("session_id"))
	require.Equal(t, json.Number("120"), r.get("granted_seconds"))
	require.Equal(t, false, r.get("final_unit"))
	require.Equal(t, json.Number("150"), r.get("validity_seconds"))
	require.Equal(t, "2557", r.str("rate.prefix"))
	require.Equal(t, "0.0200", r.str("rate.per_minute"))
	require.Equal(t, "bronze", r.str("tier"))
	require.Regexp(t, `^\d+\.\d{6}$`, r.str("reserved_amount"))
	// The same start again: the original answer, 200.
	r2 := e.must(200, "POST", "/v1/sessions", e.admin, start)
	require.Equal(t, r.str("reserved_amount"), r2.str("reserved_amount"))

	path := "/v1/sessions/a84b4c76e66710@pc33.example.com"
	r = e.must(200, "POST", path+"/update", e.admin, `{"request_number":1,"used_seconds":65,"requested_seconds":60}`)
	require.Equal(t, "0.027000", r.str("charged_amount"))
	require.Contains(t, r.body, "reserved_amount")
	e.must(200, "POST", path+"/update", e.admin, `{"request_number":1,"used_seconds":65,"requested_seconds":60}`)
	requireError(t, e.do("POST", path+"/update", e.admin, `{"request_number":3,"used_seconds":1}`), 409, "conflict", "")

	r = e.must(200, "GET", path, e.admin, "")
	require.Equal(t, "open", r.str("status"))
	require.Equal(t, json.Number("65"), r.get("used_seconds"))
	require.Equal(t, "acme", r.str("tenant"))

	r = e.must(200, "POST", path+"/stop", e.admin, `{"request_number":2,"used_seconds":0}`)
	require.Equal(t, json.Number("65"), r.get("usage_seconds"))
	require.Equal(t, json.Number("66"), r.get("billed_seconds"))
	require.Equal(t, "0.027000", r.str("charged_amount"))
	require.Equal(t, "normal", r.str("termination"))
	require.NotEmpty(t, r.str("cdr_id"))
	e.must(200, "POST", path+"/stop", e.admin, `{"request_number":2,"used_seconds":0}`)
	require.Equal(t, "9.973000", e.balance("acme"))

	requireError(t, e.do("GET", "/v1/sessions/nope", e.admin, ""), 404, "not_found", "")
}

// TestEventsBatchRate covers events (each service), replays, batches and rating.
func TestEventsBatchRate(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	sms := `{"event_id":"ev-1","tenant":"acme","service":"sms","destination":"255712345678","text":"Hello"}`
	r := e.must(201, "POST", "/v1/events", e.admin, sms)
	require.Equal(t, "0.010000", r.str("amount"))
	require.Equal(t, json.Number("1"), r.get("segments"))
	require.Equal(t, "gsm7", r.str("encoding"))
	require.Equal(t, "9.990000", r.str("balance"))
	txID := r.str("transaction_id")
	r = e.must(200, "POST", "/v1/events", e.admin, sms)
	require.Equal(t, txID, r.str("transaction_id"))
	requireError(t, e.do("POST", "/v1/events", e.admin, strings.Replace(sms, "255712345678", "255712345679", 1)), 409, "conflict", "")

	r = e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"ev-2","tenant":"acme","service":"whatsapp","destination":"15551234567","category":"marketing"}`)
	require.Equal(t, "0.025000", r.str("amount"))
	r = e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"ev-3","tenant":"acme","service":"ai","model":"gpt-4o-mini","input_tokens":1200,"output_tokens":350}`)
	require.Equal(t, "0.000390", r.str("amount"))
	r = e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"ev-4","tenant":"acme","service":"storage","gb":"2.5"}`)
	require.Equal(t, "0.057500", r.str("amount"))
	r = e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"ev-5","tenant":"acme","service":"sms","destination":"1555","segments":3,"encoding":"ucs2"}`)
	require.Equal(t, "0.060000", r.str("amount"))
	require.Equal(t, "ucs2", r.str("encoding"))

	r = e.must(200, "POST", "/v1/events/batch", e.admin, `{"events":[
		{"event_id":"b-1","tenant":"acme","service":"sms","destination":"255712345678","text":"a"},
		{"event_id":"b-2","tenant":"acme","service":"fax","destination":"1"},
		{"event_id":"b-3","tenant":"ghost","service":"sms","destination":"1","text":"a"},
		{"event_id":"ev-1","tenant":"acme","service":"sms","destination":"255712345678","text":"Hello"}]}`)
	res := r.get("results").([]any)
	require.Len(t, res, 4)
	require.Equal(t, "0.010000", res[0].(map[string]any)["amount"])
	require.Equal(t, "service", res[1].(map[string]any)["error"].(map[string]any)["field"])
	require.Equal(t, "not_found", res[2].(map[string]any)["error"].(map[string]any)["code"])
	require.Equal(t, txID, res[3].(map[string]any)["transaction_id"])

	r = e.must(200, "POST", "/v1/rate", e.admin, `{"tenant":"acme","service":"voice","direction":"outbound","destination":"15551234567","seconds":65}`)
	require.Equal(t, "0.110000", r.str("amount"))
	require.Equal(t, json.Number("120"), r.get("billed_units"))
	require.Equal(t, "0.0500", r.str("rate.per_minute"))
	require.Equal(t, "1.00", r.str("multiplier"))
	r = e.must(200, "POST", "/v1/rate", e.admin, `{"tenant":"acme","service":"sms","destination":"255712345678","text":"hi"}`)
	require.Equal(t, "0.010000", r.str("amount"))
	requireError(t, e.do("POST", "/v1/rate", e.admin, `{"tenant":"acme","service":"sms","destination":"1","text":"hi","seconds":3}`), 400, "invalid_request", "seconds")
	// Rating charges nothing.
	before := e.balance("acme")
	e.must(200, "POST", "/v1/rate", e.admin, `{"tenant":"acme","service":"ai","model":"x","input_tokens":5000}`)
	require.Equal(t, before, e.balance("acme"))
}

// TestNumbersHistoryInvoices covers numbers, transactions, usage, invoices and CDRs.
func TestNumbersHistoryInvoices(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "100")
	r := e.must(201, "POST", "/v1/tenants/acme/numbers", e.admin,
		`{"number":"+255800100200","type":"toll_free","capabilities":["voice","sms"],"monthly_fee":"5","setup_fee":"1.25"}`)
	require.Equal(t, "255800100200", r.str("number"))
	require.Equal(t, "5.000000", r.str("monthly_fee"))
	require.Equal(t, "active", r.str("status"))
	require.Equal(t, "93.750000", e.balance("acme"))
	r = e.must(200, "GET", "/v1/tenants/acme/numbers", e.admin, "")
	require.Len(t, r.items(), 1)
	e.must(204, "DELETE", "/v1/tenants/acme/numbers/+255800100200", e.admin, "")
	require.Empty(t, e.must(200, "GET", "/v1/tenants/acme/numbers", e.admin, "").items())
	requireError(t, e.do("DELETE", "/v1/tenants/acme/numbers/255800100200", e.admin, ""), 404, "not_found", "")

	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","text":"x"}`)
	r = e.must(200, "GET", "/v1/tenants/acme/transactions?limit=2", e.admin, "")
	require.Len(t, r.items(), 2)
	first := r.items()[0].(map[string]any)
	require.Equal(t, "charge", first["type"])
	require.Equal(t, "-0.020000", first["amount"])
	require.Equal(t, "sms", first["service"])
	cursor := r.str("next_cursor")
	require.NotEmpty(t, cursor)
	r = e.must(200, "GET", "/v1/tenants/acme/transactions?limit=2&cursor="+cursor, e.admin, "")
	require.Len(t, r.items(), 1)
	r = e.must(200, "GET", "/v1/tenants/acme/transactions?type=topup", e.admin, "")
	require.Len(t, r.items(), 1)
	requireError(t, e.do("GET", "/v1/tenants/acme/transactions?type=refund", e.admin, ""), 400, "invalid_request", "type")
	requireError(t, e.do("GET", "/v1/tenants/acme/transactions?limit=0", e.admin, ""), 400, "invalid_request", "limit")
	requireError(t, e.do("GET", "/v1/tenants/acme/transactions?lmit=5", e.admin, ""), 400, "invalid_request", "lmit")

	month := time.Now().UTC().Format("2006-01")
	r = e.must(200, "GET", "/v1/tenants/acme/usage?month="+month, e.admin, "")
	require.Equal(t, month, r.str("month"))
	require.Equal(t, "USD", r.str("currency"))
	require.Equal(t, "6.270000", r.str("total"))
	items := map[string]bool{}
	for _, l := range r.get("lines").([]any) {
		items[l.(map[string]any)["item"].(string)] = true
	}
	require.Equal(t, map[string]bool{"sms": true, "number.setup": true, "number.monthly": true}, items)
	requireError(t, e.do("GET", "/v1/tenants/acme/usage?month=2026-13", e.admin, ""), 400, "invalid_request", "month")

	// The current month cannot be closed; nothing closed yet.
	requireError(t, e.do("POST", "/v1/tenants/acme/invoices", e.admin, `{"month":"`+month+`"}`), 400, "invalid_request", "month")
	r = e.must(200, "GET", "/v1/tenants/acme/invoices", e.admin, "")
	require.Empty(t, r.items())
	requireError(t, e.do("GET", "/v1/tenants/acme/invoices/INV-acme-2020-01", e.admin, ""), 404, "not_found", "")

	r = e.must(200, "GET", "/v1/cdrs?after=0&limit=10", e.admin, "")
	require.Len(t, r.items(), 1)
	c := r.items()[0].(map[string]any)["cdr"].(map[string]any)
	require.Equal(t, "event", c["kind"])
	require.Equal(t, "e1", c["event_id"])
	require.Equal(t, "0.020000", c["amount"])
	next := fmt.Sprint(r.get("next_after"))
	r = e.must(200, "GET", "/v1/cdrs?after="+next, e.admin, "")
	require.Empty(t, r.items())
}

// TestKeysRolesTariffs covers keys, roles and tariffs.
func TestKeysRolesTariffs(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	r := e.must(201, "POST", "/v1/keys", e.admin, `{"name":"ops","role":"owner","tenant":"acme"}`)
	owner := r.str("key")
	require.True(t, strings.HasPrefix(owner, "sk_"))
	ownerID := r.str("id")
	require.Equal(t, "owner", r.str("role"))
	e.must(200, "GET", "/v1/tenants/acme", owner, "")

	r = e.must(200, "GET", "/v1/keys?tenant=acme", e.admin, "")
	require.Len(t, r.items(), 1)
	require.NotContains(t, string(r.raw), owner)
	require.NotContains(t, r.items()[0].(map[string]any), "key")
	r = e.must(200, "GET", "/v1/keys", owner, "")
	require.Len(t, r.items(), 1)

	// Custom role: made by the owner, given to a key, changed at once.
	r = e.must(200, "PUT", "/v1/tenants/acme/roles/billing", owner, `{"permissions":["wallet.read","transactions.read"]}`)
	require.Equal(t, []any{"wallet.read", "transactions.read"}, r.get("permissions"))
	billing := e.must(201, "POST", "/v1/keys", owner, `{"name":"b","role":"billing","tenant":"acme"}`).str("key")
	e.must(200, "GET", "/v1/tenants/acme/wallet", billing, "")
	e.must(403, "GET", "/v1/tenants/acme/usage", billing, "")
	e.must(200, "PUT", "/v1/tenants/acme/roles/billing", owner, `{"permissions":["usage.read"]}`)
	e.must(403, "GET", "/v1/tenants/acme/wallet", billing, "")
	e.must(200, "GET", "/v1/tenants/acme/usage", billing, "")
	r = e.must(200, "GET", "/v1/tenants/acme/roles", owner, "")
	names := []string{}
	for _, it := range r.items() {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	require.Equal(t, []string{"owner", "manager", "agent", "viewer", "billing"}, names)
	requireError(t, e.do("PUT", "/v1/tenants/acme/roles/owner", owner, `{"permissions":[]}`), 400, "invalid_request", "name")
	requireError(t, e.do("PUT", "/v1/tenants/acme/roles/x", owner, `{"permissions":["tariffs.write"]}`), 400, "invalid_request", "permissions")
	requireError(t, e.do("PUT", "/v1/tenants/acme/roles/x", owner, `{"permissions":["wallet.fly"]}`), 400, "invalid_request", "permissions")

	// Delegation rules.
	manager := e.must(201, "POST", "/v1/keys", owner, `{"name":"m","role":"manager","tenant":"acme"}`).str("key")
	requireError(t, e.do("POST", "/v1/keys", manager, `{"name":"o","role":"owner","tenant":"acme"}`), 403, "forbidden", "")
	e.must(201, "POST", "/v1/keys", manager, `{"name":"v","role":"viewer","tenant":"acme"}`)
	requireError(t, e.do("DELETE", "/v1/keys/"+ownerID, manager, ""), 403, "forbidden", "")
	requireError(t, e.do("POST", "/v1/keys", owner, `{"name":"s","role":"switch","tenant":"*"}`), 403, "forbidden", "")
	requireError(t, e.do("POST", "/v1/keys", owner, `{"name":"a","role":"admin","tenant":"acme"}`), 400, "invalid_request", "tenant")
	requireError(t, e.do("POST", "/v1/keys", e.admin, `{"name":"s","role":"owner","tenant":"*"}`), 400, "invalid_request", "role")
	requireError(t, e.do("POST", "/v1/keys", e.admin, `{"name":"s","role":"nope","tenant":"acme"}`), 400, "invalid_request", "role")
	requireError(t, e.do("POST", "/v1/keys", e.admin, `{"name":"s","role":"owner","tenant":"ghost"}`), 404, "not_found", "")
	sw := e.must(201, "POST", "/v1/keys", e.admin, `{"name":"sbc","role":"switch","tenant":"*"}`)
	require.Equal(t, "*", sw.str("tenant"))

	// Revocation is immediate.
	e.must(204, "DELETE", "/v1/keys/"+ownerID, e.admin, "")
	requireError(t, e.do("GET", "/v1/tenants/acme", owner, ""), 401, "unauthenticated", "")
	requireError(t, e.do("DELETE", "/v1/keys/"+ownerID, e.admin, ""), 404, "not_found", "")

	// Tariffs: a new version; the id in the URL must be the document's.
	doc := strings.Replace(string(e.must(200, "GET", "/v1/tariffs/standard", e.admin, "").raw), `"id":"standard"`, `"id":"cheap"`, 1)
	require.Contains(t, doc, `"cheap"`)
	r = e.must(201, "PUT", "/v1/tariffs/cheap", e.admin, doc)
	require.Equal(t, "cheap", r.str("id"))
	require.Equal(t, json.Number("1"), r.get("version"))
	r = e.must(201, "PUT", "/v1/tariffs/cheap", e.admin, doc)
	require.Equal(t, json.Number("2"), r.get("version"))
	r = e.must(200, "GET", "/v1/tariffs/cheap", e.admin, "")
	require.Equal(t, "2", r.header.Get("Salio-Tariff-Version"))
	require.Equal(t, "cheap", r.str("id"))
	requireError(t, e.do("PUT", "/v1/tariffs/other", e.admin, doc), 400, "invalid_request", "id")
	bad := strings.Replace(doc, `"initial_increment":60`, `"initial_increment":0`, 1)
	requireError(t, e.do("PUT", "/v1/tariffs/cheap", e.admin, bad), 400, "invalid_request", "")
	requireError(t, e.do("GET", "/v1/tariffs/ghost", e.admin, ""), 404, "not_found", "")
	viewer := e.key("viewer", "acme")
	e.must(200, "GET", "/v1/tariffs/standard", viewer, "")
	e.must(403, "GET", "/v1/tariffs/cheap", viewer, "")
}

// TestOps covers /healthz, /readyz and /metrics (no key needed).
func TestOps(t *testing.T) {
	e := newEnv(t)
	e.must(200, "GET", "/healthz", "", "")
	r := e.must(200, "GET", "/readyz", "", "")
	require.Equal(t, true, r.get("ready"))
	e.do("GET", "/v1/tenants/x", "", "")
	r = e.must(200, "GET", "/metrics", "", "")
	for _, m := range []string{"salio_http_requests_total", "salio_http_request_duration_seconds",
		"salio_open_sessions", "salio_reserved_micros", `salio_wallets{status="ok"}`,
		"salio_idempotent_replays_total", "salio_limit_hits_total", "salio_session_grants_total",
		"salio_idempotency_evictions_total", "salio_idempotency_event_window_seconds 86400\n"} {
		require.Contains(t, string(r.raw), m)
	}
	require.Contains(t, string(r.raw), `salio_http_requests_total{route="/v1/tenants/{t}",status="401"} 1`)
	requireError(t, e.do("GET", "/nope", "", ""), 404, "not_found", "")
	requireError(t, e.do("DELETE", "/v1/tenants", e.admin, ""), 405, "method_not_allowed", "")
}
