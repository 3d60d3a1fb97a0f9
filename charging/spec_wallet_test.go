package charging

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// SPEC 4: "Status, by priority: blocked > grace > low (0 < balance <=
// low_balance_threshold) > ok".
func TestSpecStatusPriority(t *testing.T) {
	s := newWalletSpecEnv(t)
	low := func(p *TenantParams) { p.LowBalanceThresholdMicros = money("1.00") }

	s.tenant("l", low)
	require.Equal(t, StatusOK, s.wallet("l").Status, "balance 0 is not low")
	require.Equal(t, StatusLow, s.topUp("l", "1.00").Status, "balance = threshold is low")
	require.Equal(t, StatusOK, s.topUp("l", "0.000001").Status, "balance above threshold is ok")

	s.tenant("g", low)
	require.Equal(t, StatusLow, s.topUp("g", "0.50").Status)
	_, err := s.storage("big", "g", "100") // 2.30 > 0.50: refused, the grace window opens
	requireFundsRefused(t, err, StatusGrace, "storage beyond funds")
	v := s.wallet("g")
	require.Equal(t, "0.500000", fm(v.BalanceMicros))
	require.Equal(t, StatusGrace, v.Status, "grace outranks low")
	s.advance(time.Duration(DefaultGracePeriodSeconds) * time.Second)
	v = s.wallet("g")
	require.Equal(t, "0.500000", fm(v.BalanceMicros))
	require.Equal(t, StatusBlocked, v.Status, "blocked outranks low")
}

// SPEC 4 cut-off: outbound voice, IVR, SMS, WhatsApp, AI and storage are
// refused (402) when available funds cannot pay for them; nothing is charged.
func TestSpecCutOffEveryService(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("c", func(p *TenantParams) { p.GracePeriodSeconds, p.GracePeriodSet = 3600, true })
	s.topUp("c", "0.01")
	type attempt struct {
		name string
		do   func() error
	}
	ev := func(r EventRequest) func() error {
		return func() error { r.Tenant = "c"; _, _, err := s.e.Event(r); return err }
	}
	st := func(id, service, dir, dest string) func() error {
		return func() error { _, err := s.start(id, "c", service, dir, dest, 60); return err }
	}
	for _, a := range []attempt{
		{"outbound voice (60/60 + fee: 0.06 for the first second)", st("o", "voice", "outbound", "15551234567")},
		{"IVR inbound (fee 0.02)", st("ivr-in", "ivr", "inbound", "15551234567")},
		{"IVR outbound (fee 0.02)", st("ivr-out", "ivr", "outbound", "15551234567")},
		{"SMS 0.02", ev(EventRequest{EventID: "sms", Service: "sms", Destination: "15551234567", Segments: 1})},
		{"WhatsApp marketing 0.025", ev(EventRequest{EventID: "wa", Service: "whatsapp", Destination: "15551234567", Category: "marketing"})},
		{"AI 20k input tokens 0.02", ev(EventRequest{EventID: "ai", Service: "ai", Model: "some-model", InputTokens: 20_000})},
		{"storage 1 GB 0.023", ev(EventRequest{EventID: "st", Service: "storage", GBMicros: money("1")})},
	} {
		err := a.do()
		require.Truef(t, errors.Is(err, ErrInsufficientFunds), "%s: got %v, want insufficient_funds", a.name, err)
	}
	v := s.wallet("c")
	require.Equal(t, "0.010000", fm(v.BalanceMicros))
	require.Equal(t, "0.000000", fm(v.LifetimeSpendMicros))
	require.Equal(t, int64(0), v.OpenSessions, "a refused start leaves no session")
}

// SPEC 4 cut-off is on available funds (balance − reserved), not the balance.
func TestSpecCutOffUsesAvailable(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("r", nil)
	s.topUp("r", "0.10")
	rep, err := s.start("call", "r", "voice", "outbound", "15551234567", 60)
	require.NoError(t, err)
	require.Equal(t, "0.060000", fm(rep.Answer.ReservedMicros))
	_, err = s.storage("st2", "r", "2") // 0.046 <= balance 0.10 but > available 0.04
	require.ErrorIs(t, err, ErrInsufficientFunds)
	a, err := s.storage("st1", "r", "1.7") // 0.0391 <= available
	require.NoError(t, err)
	require.Equal(t, "0.039100", fm(a.AmountMicros))
	v := s.wallet("r")
	require.Equal(t, "0.060900", fm(v.BalanceMicros))
	require.Equal(t, "0.000900", fm(v.AvailableMicros))
}

// SPEC 4: balance_low is emitted once when the balance falls to (or below)
// the threshold, and re-arms only when the balance rises above it again.
func TestSpecLowBalanceAtThresholdAndRearm(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", func(p *TenantParams) { p.LowBalanceThresholdMicros = money("1.00") })
	s.topUp("t", "1.02")
	require.Empty(t, s.eventTypes("t"))
	_, err := s.sms("a", "t", 1) // 1.02 → 1.00: falls to the threshold
	require.NoError(t, err)
	require.Equal(t, []string{"balance_low"}, s.eventTypes("t"), "falling to exactly the threshold alerts")
	_, err = s.sms("b", "t", 1) // 0.98
	require.NoError(t, err)
	require.Empty(t, s.eventTypes("t"), "once per crossing")
	s.topUp("t", "0.02") // back to 1.00: not above the threshold
	_, err = s.sms("c", "t", 1)
	require.NoError(t, err)
	require.Empty(t, s.eventTypes("t"), "a rise to the threshold (not above) does not re-arm")
	s.topUp("t", "0.03") // 1.01: above
	_, err = s.sms("d", "t", 1)
	require.NoError(t, err)
	require.Equal(t, []string{"balance_low"}, s.eventTypes("t"), "re-armed by the rise above the threshold")
}

// SPEC 4 auto-recharge: asked when a charge leaves the balance below (not at)
// the threshold; the event carries tenant, amount, method and the engine's own
// reference; only a top-up with that reference clears it; one pending at a
// time until it lapses after 15 minutes.
func TestSpecAutoRechargeRequest(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "5.04")
	_, err := s.e.SetAutoRecharge("t", AutoRecharge{Enabled: true, ThresholdMicros: money("5.00"), AmountMicros: money("20.00"), Method: "tigopesa"})
	require.NoError(t, err)
	requests := func() []WalletEvent {
		var out []WalletEvent
		for _, ev := range s.sink.takeEvents() {
			if ev.Type == "recharge_requested" {
				out = append(out, ev)
			}
		}
		return out
	}
	require.Empty(t, requests())
	for _, id := range []string{"a", "b"} { // 5.02, then 5.00: at the threshold, not below
		_, err := s.sms(id, "t", 1)
		require.NoError(t, err)
	}
	require.Empty(t, requests(), "a balance at the threshold is not below it")

	_, err = s.sms("c", "t", 1) // 4.98
	require.NoError(t, err)
	got := requests()
	require.Len(t, got, 1)
	first := got[0]
	require.Equal(t, "t", first.Tenant)
	require.Equal(t, "20.000000", fm(first.AmountMicros))
	require.Equal(t, "tigopesa", first.Method)
	require.NotEmpty(t, first.Reference)
	require.Equal(t, first.Reference, s.wallet("t").AutoRecharge.PendingReference)

	// A top-up with another reference is not the answer to the request.
	s.topUp("t", "0.01")
	require.Equal(t, first.Reference, s.wallet("t").AutoRecharge.PendingReference)

	s.advance(15*time.Minute - time.Second)
	_, err = s.sms("d", "t", 1)
	require.NoError(t, err)
	require.Empty(t, requests(), "one pending at a time, within 15 minutes")
	require.Equal(t, first.Reference, s.wallet("t").AutoRecharge.PendingReference)

	s.advance(time.Second) // 15 minutes: lapsed
	require.Empty(t, s.wallet("t").AutoRecharge.PendingReference, "lapsed after 15 minutes")
	_, err = s.sms("e", "t", 1)
	require.NoError(t, err)
	got = requests()
	require.Len(t, got, 1, "a lapsed request may be asked again")
	second := got[0]
	require.NotEqual(t, first.Reference, second.Reference)

	res, replay, err := s.e.TopUp("t", TopUpRequest{AmountMicros: money("20.00"), Method: "tigopesa", Reference: second.Reference})
	require.NoError(t, err)
	require.False(t, replay)
	require.Empty(t, res.Wallet.AutoRecharge.PendingReference, "the top-up with the reference clears the request")
}

// SPEC 4 top-up: every listed method is accepted; the reference is unique per
// wallet (another wallet may use it); a replay credits nothing.
func TestSpecTopUpMethodsAndReferenceScope(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("a", nil)
	s.tenant("b", nil)
	methods := []string{"mpesa", "tigopesa", "airtel_money", "visa", "mastercard", "bank_transfer", "manual"}
	for _, m := range methods {
		_, replay, err := s.e.TopUp("a", TopUpRequest{AmountMicros: money("1"), Method: m, Reference: "R-" + m})
		require.NoError(t, err, m)
		require.False(t, replay, m)
	}
	require.Equal(t, "7.000000", fm(s.wallet("a").BalanceMicros))

	res, replay, err := s.e.TopUp("b", TopUpRequest{AmountMicros: money("1"), Method: "mpesa", Reference: "R-mpesa"})
	require.NoError(t, err, "a reference is unique per wallet, not globally")
	require.False(t, replay)
	require.Equal(t, "1.000000", fm(res.Wallet.BalanceMicros))

	res, replay, err = s.e.TopUp("a", TopUpRequest{AmountMicros: money("1"), Method: "visa", Reference: "R-visa"})
	require.NoError(t, err)
	require.True(t, replay)
	require.Equal(t, "4.000000", fm(res.Wallet.BalanceMicros), "the original answer: the fourth top-up left 4")
	require.Equal(t, "7.000000", fm(s.wallet("a").BalanceMicros), "a replay credits nothing")
	_, _, err = s.e.TopUp("a", TopUpRequest{AmountMicros: money("1"), Method: "paypal", Reference: "R-x"})
	require.ErrorIs(t, err, ErrInvalid)
}

// SPEC 4: a repeated top-up (same reference, amount and method) "returns the
// original result and credits nothing"; the result is {transaction, wallet}.
func TestSpecTopUpReplayReturnsOriginalResult(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	req := TopUpRequest{AmountMicros: money("10"), Method: "mpesa", Reference: "MP-1"}
	first, _, err := s.e.TopUp("t", req)
	require.NoError(t, err)
	_, err = s.sms("e", "t", 1)
	require.NoError(t, err)
	again, replay, err := s.e.TopUp("t", req)
	require.NoError(t, err)
	require.True(t, replay)
	require.Equal(t, first.Transaction, again.Transaction, "the original transaction")
	require.Equal(t, "9.980000", fm(s.wallet("t").BalanceMicros), "credits nothing")
	require.Equal(t, first.Wallet, again.Wallet, "the wallet as the top-up left it, not as it is now")
	require.Equal(t, "10.000000", fm(again.Wallet.BalanceMicros))
}
