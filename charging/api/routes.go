package api

// The route table: every route of the API, with the permission it needs.
// This is the one place that says who may call what; the role walk test
// iterates it for every built-in role.
//
// Pattern parameters: {t} is a tenant id and is checked against the key's
// tenant before the handler runs (403 for another tenant, whether or not it
// exists); {id}, {number}, {name} are the handler's. Routes whose tenant is
// in the body (sessions, events, rate) or behind a session id check it in
// the handler, before the engine acts.

// permNone marks the operational routes that need no key.
const permNone = permCount

var routeTable = []routeDef{
	// Operations (no key): spec section 9.
	{method: "GET", pattern: "/healthz", perm: permNone, handle: (*Server).healthz},
	{method: "GET", pattern: "/readyz", perm: permNone, handle: (*Server).readyz},
	{method: "GET", pattern: "/metrics", perm: permNone, handle: (*Server).metricsRoute},

	// Tenants, wallets, top-ups.
	{method: "POST", pattern: "/v1/tenants", perm: permTenantsWrite, handle: (*Server).createTenant},
	{method: "GET", pattern: "/v1/tenants/{t}", perm: permTenantsRead, handle: (*Server).getTenant},
	{method: "PATCH", pattern: "/v1/tenants/{t}", perm: permTenantsWrite, handle: (*Server).patchTenant},
	{method: "GET", pattern: "/v1/tenants/{t}/wallet", perm: permWalletRead, handle: (*Server).getWallet},
	{method: "POST", pattern: "/v1/tenants/{t}/topups", perm: permWalletTopUp, handle: (*Server).topUp},
	{method: "PUT", pattern: "/v1/tenants/{t}/auto-recharge", perm: permWalletAutoRecharge, handle: (*Server).setAutoRecharge},

	// Sessions (voice, IVR).
	{method: "POST", pattern: "/v1/sessions", perm: permSessionsWrite, handle: (*Server).startSession},
	{method: "POST", pattern: "/v1/sessions/{id}/update", perm: permSessionsWrite, handle: (*Server).updateSession},
	{method: "POST", pattern: "/v1/sessions/{id}/stop", perm: permSessionsWrite, handle: (*Server).stopSession},
	{method: "GET", pattern: "/v1/sessions/{id}", perm: permSessionsRead, handle: (*Server).getSession},

	// Events and rating.
	{method: "POST", pattern: "/v1/events", perm: permEventsWrite, handle: (*Server).event},
	{method: "POST", pattern: "/v1/events/batch", perm: permEventsWrite, handle: (*Server).eventBatch},
	{method: "POST", pattern: "/v1/rate", perm: permRatesRead, handle: (*Server).rate},

	// Phone numbers.
	{method: "POST", pattern: "/v1/tenants/{t}/numbers", perm: permNumbersWrite, handle: (*Server).addNumber},
	{method: "GET", pattern: "/v1/tenants/{t}/numbers", perm: permNumbersRead, handle: (*Server).listNumbers},
	{method: "DELETE", pattern: "/v1/tenants/{t}/numbers/{number}", perm: permNumbersWrite, handle: (*Server).deleteNumber},

	// History, usage, invoices.
	{method: "GET", pattern: "/v1/tenants/{t}/transactions", perm: permTransactionsRead, handle: (*Server).transactions},
	{method: "GET", pattern: "/v1/tenants/{t}/usage", perm: permUsageRead, handle: (*Server).usage},
	{method: "POST", pattern: "/v1/tenants/{t}/invoices", perm: permInvoicesWrite, handle: (*Server).closeInvoice},
	{method: "GET", pattern: "/v1/tenants/{t}/invoices", perm: permInvoicesRead, handle: (*Server).listInvoices},
	{method: "GET", pattern: "/v1/tenants/{t}/invoices/{number}", perm: permInvoicesRead, handle: (*Server).getInvoice},

	// Keys and roles.
	{method: "POST", pattern: "/v1/keys", perm: permKeysWrite, handle: (*Server).createKey},
	{method: "GET", pattern: "/v1/keys", perm: permKeysRead, handle: (*Server).listKeys},
	{method: "DELETE", pattern: "/v1/keys/{id}", perm: permKeysWrite, handle: (*Server).deleteKey},
	{method: "PUT", pattern: "/v1/tenants/{t}/roles/{name}", perm: permRolesWrite, handle: (*Server).putRole},
	{method: "GET", pattern: "/v1/tenants/{t}/roles", perm: permRolesRead, handle: (*Server).listRoles},

	// Tariffs and CDRs.
	{method: "PUT", pattern: "/v1/tariffs/{id}", perm: permTariffsWrite, handle: (*Server).putTariff},
	{method: "GET", pattern: "/v1/tariffs/{id}", perm: permTariffsRead, handle: (*Server).getTariff},
	{method: "GET", pattern: "/v1/cdrs", perm: permCDRsRead, handle: (*Server).cdrs},
}
