package charging

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Small wrappers over the script harness (newHarness) for the spec_*_test.go
// files: each spec test tells its story with engine calls and asserts the
// one rule it is named after.

type walletSpecEnv struct {
	*harness
	refs int
}

func newWalletSpecEnv(t *testing.T) *walletSpecEnv {
	t.Helper()
	s := &walletSpecEnv{harness: newHarness(t)}
	t.Cleanup(func() { checkMoney(t, s.e, s.sink) })
	return s
}

// tenant creates a tenant on the standard tariff; mutate sets the rest.
func (s *walletSpecEnv) tenant(id string, mutate func(*TenantParams)) {
	s.t.Helper()
	p := TenantParams{ID: id, Tariff: "standard"}
	if mutate != nil {
		mutate(&p)
	}
	_, err := s.e.CreateTenant(p)
	require.NoError(s.t, err)
}

// topUp credits amount with a fresh reference and returns the wallet after.
func (s *walletSpecEnv) topUp(tenant, amount string) WalletView {
	s.t.Helper()
	s.refs++
	res, replay, err := s.e.TopUp(tenant, TopUpRequest{AmountMicros: money(amount), Method: "manual", Reference: fmt.Sprintf("spec-ref-%d", s.refs)})
	require.NoError(s.t, err)
	require.False(s.t, replay)
	return res.Wallet
}

func (s *walletSpecEnv) wallet(tenant string) WalletView {
	s.t.Helper()
	v, err := s.e.Wallet(tenant)
	require.NoError(s.t, err)
	return v
}

func (s *walletSpecEnv) advance(d time.Duration) {
	s.clock.Advance(d)
	s.e.RunTimers()
}

func (s *walletSpecEnv) sms(id, tenant string, segments int64) (EventAnswer, error) {
	a, _, err := s.e.Event(EventRequest{EventID: id, Tenant: tenant, Service: "sms", Destination: "15551234567", Segments: segments})
	return a, err
}

// storage debits gb (a decimal string) of storage at 0.0230/GB.
func (s *walletSpecEnv) storage(id, tenant, gb string) (EventAnswer, error) {
	a, _, err := s.e.Event(EventRequest{EventID: id, Tenant: tenant, Service: "storage", GBMicros: money(gb)})
	return a, err
}

func (s *walletSpecEnv) start(id, tenant, service, direction, dest string, req int64) (SessionReply, error) {
	rep, _, err := s.e.StartSession(StartRequest{SessionID: id, Tenant: tenant, Service: service, Direction: direction, Destination: dest, RequestedSeconds: req})
	return rep, err
}

// eventTypes returns the types of the wallet events of tenant since the last call.
func (s *walletSpecEnv) eventTypes(tenant string) []string {
	var out []string
	for _, ev := range s.sink.takeEvents() {
		if ev.Tenant == tenant {
			out = append(out, ev.Type)
		}
	}
	return out
}

// requireFundsRefused checks a 402 whose details name the wallet status.
func requireFundsRefused(t *testing.T, err error, status string, what string) {
	t.Helper()
	var fe *FundsError
	require.Truef(t, errors.As(err, &fe), "%s: got %v, want insufficient_funds (wallet %s)", what, err, status)
	require.Equalf(t, status, fe.WalletStatus, "%s: wallet_status", what)
}
