package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixture is a request for one route, acting for tenant {t}.
type fixture struct{ path, body string }

// fixtures has one request per route of routeTable; {t} is replaced by the
// tenant under test. A route without a fixture fails the walk, so a new
// route cannot be left out.
var fixtures = map[string]fixture{
	"GET /healthz": {"/healthz", ""},
	"GET /readyz":  {"/readyz", ""},
	"GET /metrics": {"/metrics", ""},

	"POST /v1/tenants":                  {"/v1/tenants", `{"id":"walk-new","tariff":"standard"}`},
	"GET /v1/tenants/{t}":               {"/v1/tenants/{t}", ""},
	"PATCH /v1/tenants/{t}":             {"/v1/tenants/{t}", `{"name":"renamed"}`},
	"GET /v1/tenants/{t}/wallet":        {"/v1/tenants/{t}/wallet", ""},
	"POST /v1/tenants/{t}/topups":       {"/v1/tenants/{t}/topups", `{"amount":"1","method":"manual","reference":"walk-ref"}`},
	"PUT /v1/tenants/{t}/auto-recharge": {"/v1/tenants/{t}/auto-recharge", `{"enabled":false}`},

	"POST /v1/sessions":             {"/v1/sessions", `{"session_id":"walk-s","tenant":"{t}","service":"voice","direction":"inbound","destination":"1555","requested_seconds":60}`},
	"POST /v1/sessions/{id}/update": {"/v1/sessions/{t}-call/update", `{"request_number":1,"used_seconds":1}`},
	"POST /v1/sessions/{id}/stop":   {"/v1/sessions/{t}-call/stop", `{"request_number":1,"used_seconds":1}`},
	"GET /v1/sessions/{id}":         {"/v1/sessions/{t}-call", ""},

	"POST /v1/events":       {"/v1/events", `{"event_id":"walk-e","tenant":"{t}","service":"sms","destination":"1555","text":"x"}`},
	"POST /v1/events/batch": {"/v1/events/batch", `{"events":[{"event_id":"walk-b","tenant":"{t}","service":"sms","destination":"1555","text":"x"}]}`},
	"POST /v1/rate":         {"/v1/rate", `{"tenant":"{t}","service":"voice","direction":"outbound","destination":"1555","seconds":60}`},

	"POST /v1/tenants/{t}/numbers":            {"/v1/tenants/{t}/numbers", `{"number":"1800555","type":"normal","monthly_fee":"0"}`},
	"GET /v1/tenants/{t}/numbers":             {"/v1/tenants/{t}/numbers", ""},
	"DELETE /v1/tenants/{t}/numbers/{number}": {"/v1/tenants/{t}/numbers/1999", ""},

	"GET /v1/tenants/{t}/transactions":      {"/v1/tenants/{t}/transactions", ""},
	"GET /v1/tenants/{t}/usage":             {"/v1/tenants/{t}/usage", ""},
	"POST /v1/tenants/{t}/invoices":         {"/v1/tenants/{t}/invoices", `{"month":"2020-01"}`},
	"GET /v1/tenants/{t}/invoices":          {"/v1/tenants/{t}/invoices", ""},
	"GET /v1/tenants/{t}/invoices/{number}": {"/v1/tenants/{t}/invoices/INV-x", ""},

	"POST /v1/keys":                    {"/v1/keys", `{"name":"walk","role":"viewer","tenant":"{t}"}`},
	"GET /v1/keys":                     {"/v1/keys", ""},
	"DELETE /v1/keys/{id}":             {"/v1/keys/key_missing", ""},
	"PUT /v1/tenants/{t}/roles/{name}": {"/v1/tenants/{t}/roles/walk", `{"permissions":["wallet.read"]}`},
	"GET /v1/tenants/{t}/roles":        {"/v1/tenants/{t}/roles", ""},

	"PUT /v1/tariffs/{id}": {"/v1/tariffs/standard", "TARIFF"},
	"GET /v1/tariffs/{id}": {"/v1/tariffs/standard", ""},
	"GET /v1/cdrs":         {"/v1/cdrs", ""},
}

func (f fixture) for_(tenant, tariffDoc string) (string, string) {
	body := strings.ReplaceAll(f.body, "{t}", tenant)
	if body == "TARIFF" {
		body = tariffDoc
	}
	return strings.ReplaceAll(f.path, "{t}", tenant), body
}

// TestRoleWalk walks the route table for every built-in role: a route is
// 403 exactly when the role lacks its permission.
func TestRoleWalk(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.topUp("acme", "100")
	doc := string(e.must(200, "GET", "/v1/tariffs/standard", e.admin, "").raw)
	for _, br := range builtinRoles {
		tenant := "acme"
		if br.platform {
			tenant = allTenants
		}
		key := e.key(br.name, tenant)
		for _, rd := range routeTable {
			name := rd.method + " " + rd.pattern
			f, ok := fixtures[name]
			require.True(t, ok, "no fixture for %s", name)
			path, body := f.for_("acme", doc)
			r := e.do(rd.method, path, key, body)
			allowed := rd.perm == permNone || br.perms.has(rd.perm)
			if allowed {
				require.NotEqual(t, 403, r.status, "role %s, %s: %s", br.name, name, r.raw)
				require.NotEqual(t, 401, r.status, "role %s, %s: %s", br.name, name, r.raw)
			} else {
				requireError(t, r, 403, "forbidden", "")
			}
		}
	}
	require.Len(t, fixtures, len(routeTable))
}

// TestBuiltinRoles pins the built-in roles to the spec's words.
func TestBuiltinRoles(t *testing.T) {
	names := func(s permSet) string { return strings.Join(s.names(), " ") }
	require.Equal(t, allPerms, mustRole(t, "admin").perms)
	require.Equal(t, "sessions.read sessions.write events.write rates.read", names(mustRole(t, "switch").perms))
	require.Equal(t, allPerms&^perms(permTenantsWrite, permTariffsWrite), mustRole(t, "owner").perms)
	require.Equal(t, mustRole(t, "owner").perms&^perms(permRolesWrite, permWalletTopUp), mustRole(t, "manager").perms)
	require.Equal(t, "wallet.read sessions.read sessions.write events.write rates.read numbers.read", names(mustRole(t, "agent").perms))
	for p := perm(0); p < permCount; p++ {
		require.Equal(t, strings.HasSuffix(p.String(), ".read"), mustRole(t, "viewer").perms.has(p), p.String())
	}
	require.Len(t, permNames, 22)
}

func mustRole(t *testing.T, name string) builtinRole {
	r, ok := builtin(name)
	require.True(t, ok)
	return r
}

// TestTenantIsolation: a key of tenant "other" gets 403 for every route
// naming acme (in the URL or the body), the very same answer as for a
// tenant that does not exist, and 404 for acme's sessions and keys.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	e.tenant("other", "")
	e.topUp("acme", "10")
	e.must(201, "POST", "/v1/sessions", e.admin, `{"session_id":"acme-call","tenant":"acme","service":"voice","direction":"inbound","destination":"1555"}`)
	acmeKey := e.must(201, "POST", "/v1/keys", e.admin, `{"name":"k","role":"viewer","tenant":"acme"}`).str("id")
	doc := string(e.must(200, "GET", "/v1/tariffs/standard", e.admin, "").raw)
	owner := e.key("owner", "other")

	for _, rd := range routeTable {
		name := rd.method + " " + rd.pattern
		if rd.perm == permNone || platformPerms.has(rd.perm) {
			continue // no tenant, or the platform's: owner gets 403 anyway
		}
		f := fixtures[name]
		switch {
		case rd.pattern == "/v1/events/batch":
			// per item: below
		case strings.Contains(rd.pattern, "{t}") || strings.Contains(f.body, "{t}"):
			path, body := f.for_("acme", doc)
			r := e.do(rd.method, path, owner, body)
			requireError(t, r, 403, "forbidden", "")
			gpath, gbody := f.for_("ghost", doc)
			g := e.do(rd.method, gpath, owner, gbody)
			require.Equal(t, string(r.raw), string(g.raw), "%s: acme and a missing tenant must look the same", name)
		case strings.HasPrefix(rd.pattern, "/v1/sessions/"):
			path, body := f.for_("acme", doc)
			requireError(t, e.do(rd.method, path, owner, body), 404, "not_found", "")
		}
	}
	// The batch item naming acme is refused on its own.
	r := e.must(200, "POST", "/v1/events/batch", owner, `{"events":[{"event_id":"x","tenant":"acme","service":"sms","destination":"1","text":"x"}]}`)
	require.Contains(t, string(r.raw), `"code":"forbidden"`)
	// Keys: another tenant's list, and its key ids, do not exist for us.
	requireError(t, e.do("GET", "/v1/keys?tenant=acme", owner, ""), 403, "forbidden", "")
	requireError(t, e.do("DELETE", "/v1/keys/"+acmeKey, owner, ""), 404, "not_found", "")
	for _, it := range e.must(200, "GET", "/v1/keys", owner, "").items() {
		require.Equal(t, "other", it.(map[string]any)["tenant"])
	}
	// CDRs: only our own.
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"a1","tenant":"acme","service":"sms","destination":"1","text":"x"}`)
	require.Empty(t, e.must(200, "GET", "/v1/cdrs", owner, "").items())
	// Nothing of acme changed but the admin's event.
	require.Equal(t, "9.980000", e.balance("acme"))
	// Stopped nothing: the session is still open.
	require.Equal(t, "open", e.must(200, "GET", "/v1/sessions/acme-call", e.admin, "").str("status"))
}

// Test401 covers missing, malformed, unknown and revoked keys.
func Test401(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	requireError(t, e.do("GET", "/v1/tenants/acme", "", ""), 401, "unauthenticated", "")
	requireError(t, e.do("GET", "/v1/tenants/acme", "sk_nope", ""), 401, "unauthenticated", "")
	requireError(t, e.do("GET", "/v1/tenants/acme", strings.Repeat("x", 300), ""), 401, "unauthenticated", "")
	r := e.must(201, "POST", "/v1/keys", e.admin, `{"name":"k","role":"viewer","tenant":"acme"}`)
	e.must(200, "GET", "/v1/tenants/acme", r.str("key"), "")
	e.must(204, "DELETE", "/v1/keys/"+r.str("id"), e.admin, "")
	requireError(t, e.do("GET", "/v1/tenants/acme", r.str("key"), ""), 401, "unauthenticated", "")
	// 401 comes before anything else, even for an unknown tenant.
	requireError(t, e.do("GET", "/v1/tenants/ghost", "sk_nope", ""), 401, "unauthenticated", "")
}
