package api

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var cdrCommonFields = []string{"id", "tenant", "kind", "service", "direction", "destination", "started_at", "ended_at",
	"usage_seconds", "billed_seconds", "quantity", "unit", "rate", "tier", "multiplier", "amount", "currency", "termination", "requests"}

// cdrs reads every CDR from GET /v1/cdrs, following next_after.
func (e *testEnv) cdrs() []map[string]any {
	e.t.Helper()
	var out []map[string]any
	after := "0"
	for {
		r := e.must(200, "GET", "/v1/cdrs?limit=2&after="+after, e.admin, "")
		if len(r.items()) == 0 {
			return out
		}
		for _, it := range r.items() {
			out = append(out, it.(map[string]any)["cdr"].(map[string]any))
		}
		after = fmt.Sprint(r.get("next_after"))
	}
}

// TestSpecCDRFields: every finished session and every event charge produces
// exactly one CDR with SPEC 8's fields, readable in commit order at
// GET /v1/cdrs; a stop's cdr_id is its CDR's id; an expired session's CDR
// says termination "expired" (SPEC 7, 8).
func TestSpecCDRFields(t *testing.T) {
	clock := clockAt(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	e := newEnvOn(t, clock)
	e.tenant("acme", "")
	e.topUp("acme", "10")
	e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"a84b4c76e66710@pc33.example.com","tenant":"acme","service":"voice","direction":"outbound","destination":"+255712345678","requested_seconds":60}`)
	e.must(200, "POST", "/v1/sessions/a84b4c76e66710@pc33.example.com/update", e.admin, `{"request_number":1,"used_seconds":30}`)
	clock.add(65 * time.Second)
	stop := e.must(200, "POST", "/v1/sessions/a84b4c76e66710@pc33.example.com/stop", e.admin, `{"request_number":2,"used_seconds":35}`)
	e.must(200, "POST", "/v1/sessions/a84b4c76e66710@pc33.example.com/stop", e.admin, `{"request_number":2,"used_seconds":35}`) // a replay: no second CDR
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","text":"hi"}`)
	e.must(200, "POST", "/v1/events", e.admin, `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","text":"hi"}`)
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"e2","tenant":"acme","service":"ai","model":"gpt-4o-mini","input_tokens":1200,"output_tokens":350}`)
	// A refused request and a rating produce no CDR.
	e.do("POST", "/v1/events", e.admin, `{"event_id":"e3","tenant":"acme","service":"storage","gb":"100000"}`)
	e.must(200, "POST", "/v1/rate", e.admin, `{"tenant":"acme","service":"sms","destination":"1555","text":"x"}`)
	// A session left alone expires after grant + 30 s.
	e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"gone","tenant":"acme","service":"voice","direction":"inbound","destination":"1555","requested_seconds":60}`)
	e.must(200, "POST", "/v1/sessions/gone/update", e.admin, `{"request_number":1,"used_seconds":60,"requested_seconds":60}`)
	clock.add(91 * time.Second)
	require.Eventually(t, func() bool {
		return e.must(200, "GET", "/v1/sessions/gone", e.admin, "").str("status") != "open"
	}, 5*time.Second, 10*time.Millisecond)

	cdrs := e.cdrs()
	require.Len(t, cdrs, 4, "%v", cdrs)
	call := cdrs[0]
	for _, f := range append(cdrCommonFields, "session_id") {
		require.Contains(t, call, f, "session CDR: %v", call)
	}
	require.Equal(t, stop.str("cdr_id"), call["id"])
	require.Equal(t, "acme", call["tenant"])
	require.Equal(t, "session", call["kind"])
	require.Equal(t, "a84b4c76e66710@pc33.example.com", call["session_id"])
	require.Equal(t, "voice", call["service"])
	require.Equal(t, "outbound", call["direction"])
	require.Equal(t, json.Number("65"), call["usage_seconds"])
	require.Equal(t, json.Number("66"), call["billed_seconds"])
	require.Equal(t, "0.027000", call["amount"])
	require.Equal(t, "USD", call["currency"])
	require.Equal(t, "bronze", call["tier"])
	require.Equal(t, "normal", call["termination"])
	require.Equal(t, json.Number("3"), call["requests"])
	requireTime(t, call["started_at"].(string))
	requireTime(t, call["ended_at"].(string))
	st, _ := time.Parse(time.RFC3339, call["started_at"].(string))
	en, _ := time.Parse(time.RFC3339, call["ended_at"].(string))
	require.Equal(t, 65*time.Second, en.Sub(st))

	for i, id := range []string{"e1", "e2"} {
		c := cdrs[1+i]
		require.Equal(t, "event", c["kind"])
		require.Equal(t, id, c["event_id"])
		for _, f := range []string{"id", "tenant", "kind", "service", "quantity", "unit", "rate", "tier", "multiplier", "amount", "currency"} {
			require.Contains(t, c, f, "event CDR: %v", c)
		}
	}
	require.Equal(t, "0.000390", cdrs[2]["amount"])
	exp := cdrs[3]
	require.Equal(t, "gone", exp["session_id"])
	require.Equal(t, "expired", exp["termination"])
	require.Equal(t, "0.010000", exp["amount"], "what was reported is charged")
	ids := map[any]bool{}
	for _, c := range cdrs {
		ids[c["id"]] = true
	}
	require.Len(t, ids, 4, "CDR ids are unique")
}
