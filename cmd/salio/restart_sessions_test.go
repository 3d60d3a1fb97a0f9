package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallAnswersSurviveRestart: a call's retried start and stop answer as
// they first did after the server was killed (SIGKILL: no checkpoint, the
// store replays its redo records) and again after a clean restart. The
// stopped call's answers come back from the CDR log, where its closed image
// is kept; an open call can still be stopped once, with its reservation
// released; and an id in use refuses a different start (SPEC 7 sessions,
// SPEC 9).
func TestCallAnswersSurviveRestart(t *testing.T) {
	f := newFixture(t)
	r := f.start(t)
	key := f.adminKey(t)
	must := func(want int, method, path, body string) map[string]any {
		t.Helper()
		code, m := call(t, r.base, key, method, path, body)
		require.Equal(t, want, code, "%s %s: %v", method, path, m)
		return m
	}
	must(201, "POST", "/v1/tenants", `{"id":"acme","tariff":"standard"}`)
	must(201, "POST", "/v1/tenants/acme/topups", `{"amount":"10.00","method":"manual","reference":"seed"}`)
	startBody := func(id string) string {
		return `{"session_id":"` + id + `","tenant":"acme","service":"voice","direction":"outbound","destination":"447700900123","requested_seconds":60}`
	}
	stopBody := `{"request_number":1,"used_seconds":42}`
	startDone := must(201, "POST", "/v1/sessions", startBody("done"))
	stopDone := must(200, "POST", "/v1/sessions/done/stop", stopBody)
	startOpen := must(201, "POST", "/v1/sessions", startBody("open"))
	walletBefore := must(200, "GET", "/v1/tenants/acme/wallet", "")

	replays := func(when string) {
		t.Helper()
		code, m := call(t, r.base, key, "POST", "/v1/sessions", startBody("done"))
		require.Equal(t, 200, code, "%s: a repeated start is 200 (SPEC 7)", when)
		require.Equal(t, startDone, m, "%s: the stopped call's start", when)
		code, m = call(t, r.base, key, "POST", "/v1/sessions/done/stop", stopBody)
		require.Equal(t, 200, code, when)
		require.Equal(t, stopDone, m, "%s: the stopped call's stop", when)
		code, m = call(t, r.base, key, "POST", "/v1/sessions", startBody("open"))
		require.Equal(t, 200, code, when)
		require.Equal(t, startOpen, m, "%s: the open call's start", when)
		code, _ = call(t, r.base, key, "POST", "/v1/sessions", strings.Replace(startBody("done"), "447700900123", "447700900124", 1))
		require.Equal(t, 409, code, "%s: another start under a used id", when)
	}

	require.NoError(t, r.cmd.Process.Kill())
	<-r.waited
	r = f.start(t)
	replays("after SIGKILL")
	require.Equal(t, walletBefore, must(200, "GET", "/v1/tenants/acme/wallet", ""), "the wallet after SIGKILL")

	r.stop(t)
	r = f.start(t)
	replays("after a clean restart")
	must(200, "POST", "/v1/sessions/open/stop", `{"request_number":1,"used_seconds":5}`)
	w := must(200, "GET", "/v1/tenants/acme/wallet", "")
	require.Equal(t, "0.000000", w["reserved"], "the open call's reservation is released: %v", w)
	r.stop(t)
}
