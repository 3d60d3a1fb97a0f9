package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// specID128 is a 128-character identifier using every character SPEC 7
// allows: A-Z a-z 0-9 . _ : - @.
func specID128(tag string) string {
	s := tag + "AZaz09._:-@"
	return s + strings.Repeat("x", 128-len(s))
}

// TestSpecAPIIdentifiers: every caller-chosen identifier (session_id,
// event_id, reference, tenant id, tariff id) accepts 1–128 characters of
// A-Z a-z 0-9 . _ : - @ and refuses anything else with 400 naming the field
// (SPEC 7, first paragraph).
func TestSpecAPIIdentifiers(t *testing.T) {
	e := newEnv(t)

	// Tenant ids: the longest valid one, a one-character one.
	tid := specID128("T")
	require.Len(t, tid, 128)
	e.tenant(tid, "")
	e.tenant("t", "")
	e.must(200, "GET", "/v1/tenants/"+tid+"/wallet", e.admin, "")
	e.topUp(tid, "10")

	bad := []string{"", strings.Repeat("a", 129), "a b", "a/b", "a#b", "a+b", "é", "a,b", "a%b", "a\"b"}
	for _, id := range bad {
		if id == "a\"b" { // would break the JSON itself
			continue
		}
		requireError(t, e.do("POST", "/v1/tenants", e.admin, `{"id":"`+id+`","tariff":"standard"}`), 400, "invalid_request", "id")
		requireError(t, e.do("POST", "/v1/tenants/"+tid+"/topups", e.admin,
			`{"amount":"1","method":"manual","reference":"`+id+`"}`), 400, "invalid_request", "reference")
		requireError(t, e.do("POST", "/v1/events", e.admin,
			`{"event_id":"`+id+`","tenant":"`+tid+`","service":"sms","destination":"1555","text":"x"}`), 400, "invalid_request", "event_id")
		requireError(t, e.do("POST", "/v1/sessions", e.admin,
			`{"session_id":"`+id+`","tenant":"`+tid+`","service":"voice","direction":"outbound","destination":"1555"}`), 400, "invalid_request", "session_id")
		requireError(t, e.do("POST", "/v1/events", e.admin,
			`{"event_id":"ok","tenant":"`+id+`","service":"sms","destination":"1555","text":"x"}`), 400, "invalid_request", "tenant")
	}
	require.Equal(t, "10.000000", e.balance(tid))

	// The longest valid reference, event id and session id are accepted.
	ref := specID128("R")
	e.must(201, "POST", "/v1/tenants/"+tid+"/topups", e.admin, `{"amount":"1","method":"manual","reference":"`+ref+`"}`)
	r := e.must(200, "GET", "/v1/tenants/"+tid+"/transactions?limit=1", e.admin, "")
	require.Equal(t, ref, r.items()[0].(map[string]any)["reference"])
	ev := specID128("E")
	r = e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"`+ev+`","tenant":"`+tid+`","service":"sms","destination":"1555","text":"x"}`)
	require.Equal(t, ev, r.str("event_id"))
	sid := specID128("S")
	r = e.must(201, "POST", "/v1/sessions", e.admin,
		`{"session_id":"`+sid+`","tenant":"`+tid+`","service":"voice","direction":"outbound","destination":"1555","requested_seconds":60}`)
	require.Equal(t, sid, r.str("session_id"))
	e.must(200, "GET", "/v1/sessions/"+sid, e.admin, "")
	e.must(200, "POST", "/v1/sessions/"+sid+"/stop", e.admin, `{"request_number":1,"used_seconds":5}`)
	e.must(201, "POST", "/v1/events", e.admin, `{"event_id":"1","tenant":"`+tid+`","service":"sms","destination":"1555","text":"x"}`)

	// Tariff ids: the longest valid one is stored; 129 characters are not.
	doc := string(e.must(200, "GET", "/v1/tariffs/standard", e.admin, "").raw)
	trID := specID128("F")
	e.must(201, "PUT", "/v1/tariffs/"+trID, e.admin, strings.Replace(doc, `"id":"standard"`, `"id":"`+trID+`"`, 1))
	e.must(200, "GET", "/v1/tariffs/"+trID, e.admin, "")
	long := strings.Repeat("f", 129)
	r = e.do("PUT", "/v1/tariffs/"+long, e.admin, strings.Replace(doc, `"id":"standard"`, `"id":"`+long+`"`, 1))
	requireError(t, r, 400, "invalid_request", "")
	r = e.do("PUT", "/v1/tariffs/a:b", e.admin, strings.Replace(doc, `"id":"standard"`, `"id":"a b"`, 1))
	requireError(t, r, 400, "invalid_request", "")
	requireError(t, e.do("POST", "/v1/tenants", e.admin, `{"id":"x1","tariff":"`+long+`"}`), 400, "invalid_request", "tariff")
}
