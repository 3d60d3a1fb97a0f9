package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSpecAPINumbers: a number costs setup_fee + monthly_fee at once (402
// and not added if the wallet cannot pay), renews monthly on the same day
// (the last day of a shorter month, then back to its day), is suspended
// when a renewal cannot be paid (its number_suspended event: numbers.txt),
// is retried by a later top-up, and is deleted without refund (SPEC 7).
func TestSpecAPINumbers(t *testing.T) {
	clock := clockAt(time.Date(2028, 1, 31, 9, 0, 0, 0, time.UTC))
	e := newEnvOn(t, clock)
	e.tenant("acme", "")
	e.topUp("acme", "5")
	requireError(t, e.do("POST", "/v1/tenants/acme/numbers", e.admin,
		`{"number":"1800999","type":"premium","capabilities":["voice"],"monthly_fee":"5","setup_fee":"0.01"}`), 402, "insufficient_funds", "")
	e.must(201, "POST", "/v1/tenants/acme/numbers", e.admin,
		`{"number":"1800555","type":"toll_free","capabilities":["voice","sms"],"monthly_fee":"2","setup_fee":"1"}`)
	require.Equal(t, "2.000000", e.balance("acme"))
	num := func() map[string]any {
		items := e.must(200, "GET", "/v1/tenants/acme/numbers", e.admin, "").items()
		require.Len(t, items, 1, "the refused number was not added")
		return items[0].(map[string]any)
	}
	at := func(n map[string]any) string {
		ts, err := time.Parse(time.RFC3339, n["next_renewal_at"].(string))
		require.NoError(t, err)
		return ts.UTC().Format(time.RFC3339)
	}
	require.Equal(t, "2028-02-29T09:00:00Z", at(num()), "leap February: its last day")
	waitRenewal := func(status, next string) {
		t.Helper()
		require.Eventually(t, func() bool {
			n := num()
			return n["status"] == status && at(n) == next
		}, 5*time.Second, 10*time.Millisecond, "%v", num())
	}
	clock.set(time.Date(2028, 2, 29, 9, 0, 1, 0, time.UTC))
	waitRenewal("active", "2028-03-31T09:00:00Z")
	require.Equal(t, "0.000000", e.balance("acme"))

	// March 31: nothing to pay with: suspended, the renewal still due.
	clock.set(time.Date(2028, 3, 31, 9, 0, 1, 0, time.UTC))
	waitRenewal("suspended", "2028-03-31T09:00:00Z")
	// A top-up retries it at once.
	e.topUp("acme", "3")
	waitRenewal("active", "2028-04-30T09:00:00Z")
	require.Equal(t, "1.000000", e.balance("acme"))
	charges := e.must(200, "GET", "/v1/tenants/acme/transactions?type=charge", e.admin, "").items()
	require.Len(t, charges, 3)

	// Deleted: no refund.
	e.must(204, "DELETE", "/v1/tenants/acme/numbers/1800555", e.admin, "")
	require.Equal(t, "1.000000", e.balance("acme"))
	require.Len(t, e.must(200, "GET", "/v1/tenants/acme/transactions", e.admin, "").items(), 5)
}
