package charging

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// SPEC 5: the grace window opens the first time the wallet cannot fully fund
// a request, even one partly granted (README: implemented as written).
func TestSpecGraceOpensOnPartialGrant(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "0.10")
	s.sink.takeEvents()
	rep, err := s.start("a", "t", "voice", "outbound", "15551234567", 300)
	require.NoError(t, err)
	require.Equal(t, int64(60), rep.Answer.GrantedSeconds)
	require.True(t, rep.Answer.FinalUnit)
	v := s.wallet("t")
	require.Equal(t, StatusGrace, v.Status)
	require.Equal(t, s.clock.Now().Add(300*time.Second).UnixMilli(), v.GraceEndsAt, "default grace_period_seconds is 300")
	require.Equal(t, []string{"grace_started"}, s.eventTypes("t"))
}

// SPEC 5: a commit that leaves the balance below zero (usage beyond the
// grant) opens the window.
func TestSpecGraceOpensOnCommitBelowZero(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "0.06")
	rep, err := s.start("a", "t", "voice", "outbound", "15551234567", 60)
	require.NoError(t, err)
	require.Equal(t, int64(60), rep.Answer.GrantedSeconds)
	require.False(t, rep.Answer.FinalUnit)
	require.Equal(t, StatusOK, s.wallet("t").Status)
	s.sink.takeEvents()
	stop, _, err := s.e.StopSession("a", StopRequest{RequestNumber: 1, UsedSeconds: 61})
	require.NoError(t, err)
	require.Equal(t, "0.110000", fm(stop.Answer.ChargedMicros), "usage beyond the grant is charged in full")
	v := s.wallet("t")
	require.Equal(t, "-0.050000", fm(v.BalanceMicros))
	require.Equal(t, StatusGrace, v.Status)
	require.Equal(t, []string{"grace_started"}, s.eventTypes("t"))
}

// SPEC 5: the window stays open grace_period_seconds and then closes for
// good (blocked); inbound voice is granted up to its last second.
func TestSpecGraceWindowEnd(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", func(p *TenantParams) { p.GracePeriodSeconds, p.GracePeriodSet = 120, true })
	s.topUp("t", "0.01")
	_, err := s.storage("st", "t", "1") // 0.023 > 0.01
	requireFundsRefused(t, err, StatusGrace, "storage")
	ends := s.wallet("t").GraceEndsAt
	require.Equal(t, s.clock.Now().Add(120*time.Second).UnixMilli(), ends)

	s.advance(119 * time.Second)
	require.Equal(t, StatusGrace, s.wallet("t").Status)
	rep, err := s.start("in", "t", "voice", "inbound", "15551234567", 600)
	require.NoError(t, err)
	require.Equal(t, int64(60), rep.Answer.GrantedSeconds, "funds pay 60 s, more than the 1 s left")
	s.sink.takeEvents()

	s.advance(time.Second)
	v := s.wallet("t")
	require.Equal(t, StatusBlocked, v.Status)
	require.Equal(t, ends, v.GraceEndsAt)
	require.Equal(t, []string{"blocked"}, s.eventTypes("t"))
	s.advance(24 * time.Hour)
	require.Equal(t, StatusBlocked, s.wallet("t").Status, "closed for good")
}

// SPEC 5: the grant is the larger of what the funds pay for and the grace
// grant; the grace grant is at most the seconds left in the window.
func TestSpecGraceGrantLargerOfFundsAndGrace(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil) // grace 300 s, overdraft 5.00
	s.topUp("t", "0.01")
	_, err := s.storage("st", "t", "1")
	requireFundsRefused(t, err, StatusGrace, "storage")
	s.advance(290 * time.Second) // 10 s left

	rep, err := s.start("funded", "t", "voice", "inbound", "15551234567", 600)
	require.NoError(t, err)
	require.Equal(t, int64(60), rep.Answer.GrantedSeconds, "funds (0.01 = 60 s) beat the 10 s grace grant")
	require.True(t, rep.Answer.FinalUnit)
	require.Equal(t, "0.010000", fm(rep.Answer.ReservedMicros))

	rep, err = s.start("grace", "t", "voice", "inbound", "15551234567", 600)
	require.NoError(t, err)
	require.Equal(t, int64(10), rep.Answer.GrantedSeconds, "no funds left: the grace grant, bounded by the 10 s left")
	require.True(t, rep.Answer.FinalUnit)
}

// SPEC 5: the grace grant keeps the balance at or above
// −grace_overdraft_limit (default 5.00), across all open sessions.
func TestSpecGraceGrantBoundedByDefaultOverdraft(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", func(p *TenantParams) { p.GracePeriodSeconds, p.GracePeriodSet = MaxGracePeriodSeconds, true })
	rep, err := s.start("a", "t", "voice", "inbound", "15551234567", 86400)
	require.NoError(t, err)
	require.Equal(t, int64(30000), rep.Answer.GrantedSeconds, "5.00 at 0.0100/min is 500 minutes")
	require.Equal(t, "5.000000", fm(rep.Answer.ReservedMicros))
	require.True(t, rep.Answer.FinalUnit)

	_, err = s.start("b", "t", "voice", "inbound", "15551234567", 60)
	requireFundsRefused(t, err, StatusGrace, "a second call beyond the overdraft")

	_, _, err = s.e.StopSession("a", StopRequest{RequestNumber: 1, UsedSeconds: 30000})
	require.NoError(t, err)
	v := s.wallet("t")
	require.Equal(t, "-5.000000", fm(v.BalanceMicros), "charged at the normal rate, down to the limit")
	require.Equal(t, StatusGrace, v.Status)
}

// SPEC 5: while the window is open only inbound voice gets the grace grant;
// outbound voice, IVR (either direction), SMS, WhatsApp, AI and storage are
// refused as in section 4.
func TestSpecGraceOnlyForInboundVoice(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	rep, err := s.start("in", "t", "voice", "inbound", "15551234567", 60)
	require.NoError(t, err, "an empty wallet's first inbound call opens the window and is granted")
	require.Equal(t, int64(60), rep.Answer.GrantedSeconds)
	require.Equal(t, StatusGrace, s.wallet("t").Status)

	for name, do := range map[string]func() error{
		"outbound voice": func() error { _, err := s.start("o", "t", "voice", "outbound", "15551234567", 60); return err },
		"IVR inbound":    func() error { _, err := s.start("i1", "t", "ivr", "inbound", "15551234567", 60); return err },
		"IVR outbound":   func() error { _, err := s.start("i2", "t", "ivr", "outbound", "15551234567", 60); return err },
		"SMS":            func() error { _, err := s.sms("sms", "t", 1); return err },
		"WhatsApp": func() error {
			_, _, err := s.e.Event(EventRequest{EventID: "wa", Tenant: "t", Service: "whatsapp", Destination: "1555", Category: "utility"})
			return err
		},
		"AI": func() error {
			_, _, err := s.e.Event(EventRequest{EventID: "ai", Tenant: "t", Service: "ai", Model: "gpt-4o-mini", InputTokens: 1000})
			return err
		},
		"storage": func() error { _, err := s.storage("st", "t", "1"); return err },
	} {
		requireFundsRefused(t, do(), StatusGrace, name)
	}
}

// SPEC 5: once blocked, every paid request is refused, even one the balance
// could pay; every open session gets a grant of 0 with final_unit at its next
// update. (Before that, funded requests pass while the window is open.)
func TestSpecBlockedRefusesEverythingAndPausesCalls(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "10.00")
	_, err := s.start("o", "t", "voice", "outbound", "15551234567", 300)
	require.NoError(t, err)
	_, err = s.start("i", "t", "voice", "inbound", "15551234567", 300)
	require.NoError(t, err)
	_, err = s.storage("huge", "t", "1000") // 23.00: refused, the window opens
	requireFundsRefused(t, err, StatusGrace, "storage beyond funds")

	s.advance(50 * time.Second)
	rep, _, err := s.e.UpdateSession("o", UpdateRequest{RequestNumber: 1, UsedSeconds: 50, RequestedSeconds: 300})
	require.NoError(t, err)
	require.Equal(t, int64(300), rep.Answer.GrantedSeconds, "in grace, a funded request is granted (section 4)")
	_, err = s.sms("sms-grace", "t", 1)
	require.NoError(t, err, "in grace, a funded SMS is charged (section 4)")

	s.advance(250 * time.Second) // 300 s: blocked
	v := s.wallet("t")
	require.Equal(t, StatusBlocked, v.Status)
	require.Greater(t, v.AvailableMicros, int64(1_000_000), "the wallet still has funds")

	rep, _, err = s.e.UpdateSession("o", UpdateRequest{RequestNumber: 2, UsedSeconds: 250, RequestedSeconds: 300})
	require.NoError(t, err)
	require.Equal(t, int64(0), rep.Answer.GrantedSeconds)
	require.True(t, rep.Answer.FinalUnit)
	rep, _, err = s.e.UpdateSession("i", UpdateRequest{RequestNumber: 1, UsedSeconds: 300, RequestedSeconds: 60})
	require.NoError(t, err)
	require.Equal(t, int64(0), rep.Answer.GrantedSeconds)
	require.True(t, rep.Answer.FinalUnit)

	for name, do := range map[string]func() error{
		"SMS":            func() error { _, err := s.sms("sms-blocked", "t", 1); return err },
		"outbound voice": func() error { _, err := s.start("o2", "t", "voice", "outbound", "15551234567", 60); return err },
		"inbound voice":  func() error { _, err := s.start("i2", "t", "voice", "inbound", "15551234567", 60); return err },
		"IVR":            func() error { _, err := s.start("v2", "t", "ivr", "inbound", "15551234567", 60); return err },
		"number": func() error {
			_, err := s.e.AddNumber("t", NumberRequest{Number: "255800000001", Type: "normal", MonthlyFeeMicros: money("1")})
			return err
		},
	} {
		requireFundsRefused(t, do(), StatusBlocked, name)
	}

	// The calls were paused, not ended: a top-up restores the wallet (the
	// balance was positive already) and the next update is granted again.
	require.Equal(t, StatusOK, s.topUp("t", "1.00").Status)
	rep, _, err = s.e.UpdateSession("o", UpdateRequest{RequestNumber: 3, UsedSeconds: 0, RequestedSeconds: 60})
	require.NoError(t, err)
	require.Equal(t, int64(60), rep.Answer.GrantedSeconds)
	require.False(t, rep.Answer.FinalUnit)
}

// SPEC 4/5: only a top-up that makes the balance positive clears the grace
// state; one that brings it to exactly zero does not.
func TestSpecTopUpToZeroKeepsGrace(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	_, err := s.start("in", "t", "voice", "inbound", "15551234567", 120)
	require.NoError(t, err)
	_, _, err = s.e.StopSession("in", StopRequest{RequestNumber: 1, UsedSeconds: 120})
	require.NoError(t, err)
	v := s.wallet("t")
	require.Equal(t, "-0.020000", fm(v.BalanceMicros))
	ends := v.GraceEndsAt
	s.sink.takeEvents()

	v = s.topUp("t", "0.02")
	require.Equal(t, "0.000000", fm(v.BalanceMicros))
	require.Equal(t, StatusGrace, v.Status, "a balance of 0 is not positive")
	require.Equal(t, ends, v.GraceEndsAt)
	require.Empty(t, s.eventTypes("t"))

	v = s.topUp("t", "0.000001")
	require.Equal(t, StatusOK, v.Status)
	require.Zero(t, v.GraceEndsAt)
	require.Equal(t, []string{"balance_restored"}, s.eventTypes("t"))
}
