// Package api is Salio's HTTP API (spec section 7) on fasthttp.
//
// A request goes: route (routes.go, the one table of every route and the
// permission it needs) → authenticate the bearer key by its SHA-256 (401) →
// the route's permission (403) → the {t} tenant against the key's (403,
// before anything is looked up) → strict decoding of the body with every
// limit of limits.go checked as it is read (400, 413) → one Engine call →
// the JSON answer. Errors are {"error":{"code","message","field"}}, with
// "details":{"wallet_status"} inside the error of a 402.
//
// Decoding is hand-written (decode.go): one pass, no reflection, unknown
// fields, wrong types, JSON numbers for money, more than 6 decimals and
// unknown enum values are all 400 naming the field. Answers are appended
// to a pooled buffer (encode.go) that is swapped into the response, so the
// hot routes (events, sessions) allocate little. Nothing of a
// fasthttp.RequestCtx outlives its handler: every kept string is copied.
//
// Choices where the spec is silent (documented here, tested in the tests):
//   - A session route names no tenant, so a tenant-scoped key asking about
//     another tenant's session gets 404, as if it did not exist.
//   - A batch item naming another tenant gets a per-item 403 error; the
//     other items proceed. A malformed item (wrong field, bad value) gets a
//     per-item 400; malformed JSON or a 1,001st item fails the whole batch.
//   - JSON null for an optional field means "not given".
//   - Quantities (seconds, segments, tokens, GB) print as decimal strings
//     without trailing zeros ("65", "1.5"); rates as tariffs write them
//     ("0.0200"); the tier multiplier with at least 2 decimals ("0.95").
//   - PUT /v1/tariffs/{id} answers 201 {id, version, currency}; GET answers
//     the stored document itself with its version in Salio-Tariff-Version.
//   - GET /v1/cdrs answers {items: [{seq, cdr}], next_after}; a
//     tenant-scoped key with cdrs.read sees only its tenant's CDRs.
//   - Invoices POST: 201 when the call closed the month, 200 if it was
//     closed already.
//   - PATCH /v1/tenants/{t} needs tenants.write, which only admin holds
//     (spec: tenants.write is the platform's).
//   - Unknown query parameters are refused (400) like unknown fields.
//   - A tenant-scoped key may revoke only keys of its own tenant whose role
//     it could have granted.
package api
