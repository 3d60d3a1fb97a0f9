package charging

import (
	"strings"
	"testing"
	"time"

	"github.com/salio/salio/tariff"
	"github.com/stretchr/testify/require"
)

// standardDocWith returns the standard document with one edit applied.
func standardDocWith(t *testing.T, old, new string) []byte {
	t.Helper()
	doc := string(tariff.Standard().Doc)
	require.Contains(t, doc, old)
	return []byte(strings.Replace(doc, old, new, 1))
}

// SPEC 3: a session keeps the tariff version and rate it started with; what
// starts after a PUT is rated at the new version.
func TestSpecSessionKeepsTariffVersion(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "10")
	old, err := s.start("old", "t", "voice", "outbound", "255712345678", 300)
	require.NoError(t, err)
	require.Equal(t, int64(1), old.Rate.TariffVersion)

	v2, err := s.e.PutTariff(standardDocWith(t, `"prefix":"2557","per_minute":"0.0200"`, `"prefix":"2557","per_minute":"0.0400"`))
	require.NoError(t, err)
	require.Equal(t, int64(2), v2.Version)

	rep, _, err := s.e.UpdateSession("old", UpdateRequest{RequestNumber: 1, UsedSeconds: 30, RequestedSeconds: 60})
	require.NoError(t, err)
	require.Equal(t, "0.015000", fm(rep.Answer.ChargedMicros))
	stop, _, err := s.e.StopSession("old", StopRequest{RequestNumber: 2, UsedSeconds: 35})
	require.NoError(t, err)
	require.Equal(t, "0.027000", fm(stop.Answer.ChargedMicros), "65 s at the version-1 rate")

	nu, err := s.start("new", "t", "voice", "outbound", "255712345678", 300)
	require.NoError(t, err)
	require.Equal(t, int64(2), nu.Rate.TariffVersion)
	stop, _, err = s.e.StopSession("new", StopRequest{RequestNumber: 1, UsedSeconds: 65})
	require.NoError(t, err)
	require.Equal(t, "0.049000", fm(stop.Answer.ChargedMicros), "66 s at 0.0400/min + 0.0050")
}

// SPEC 2: a bad document is refused naming the field, and the previous
// version stays in force.
func TestSpecBadTariffKeepsPreviousVersion(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "10")
	for _, c := range []struct{ old, new, field string }{
		{`"initial_increment":30`, `"initial_increment":0`, "voice[1].initial_increment"},
		{`"per_segment":"0.0100"`, `"per_segment":"-0.0100"`, "sms[1].per_segment"},
		{`"multiplier":"0.95"`, `"multiplier":"0"`, "tiers[1].multiplier"},
		{`"min_spend":"0"`, `"min_spend":"1"`, "tiers[0].min_spend"},
		{`"currency":"USD",`, ``, "currency"},
	} {
		_, err := s.e.PutTariff(standardDocWith(t, c.old, c.new))
		require.ErrorIs(t, err, ErrInvalid, c.field)
		var ie *InvalidError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, c.field, ie.Field)
	}
	cur, err := s.e.Tariff("standard")
	require.NoError(t, err)
	require.Equal(t, int64(1), cur.Version)
	a, _, err := s.e.Event(EventRequest{EventID: "sms", Tenant: "t", Service: "sms", Destination: "255712345678", Segments: 1})
	require.NoError(t, err)
	require.Equal(t, "0.010000", fm(a.AmountMicros), "rated at the version in force")
}

// SPEC 2: no matching prefix is 400 invalid_request "no rate for
// destination", for sessions and events alike, and charges nothing.
func TestSpecNoRateForDestination(t *testing.T) {
	s := newWalletSpecEnv(t)
	_, err := s.e.PutTariff([]byte(`{"id":"narrow","currency":"USD",
		"voice":[{"direction":"outbound","prefix":"255","per_minute":"0.01","connection_fee":"0","initial_increment":1,"subsequent_increment":1}],
		"sms":[{"prefix":"255","per_segment":"0.01"}],
		"whatsapp":[{"category":"utility","prefix":"255","per_message":"0.01"}]}`))
	require.NoError(t, err)
	s.tenant("t", func(p *TenantParams) { p.Tariff = "narrow" })
	s.topUp("t", "10")
	_, err = s.start("a", "t", "voice", "outbound", "+447700900123", 60)
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "no rate for destination")
	_, err = s.start("b", "t", "voice", "inbound", "255712345678", 60)
	require.ErrorIs(t, err, ErrInvalid, "no inbound rows at all")
	_, err = s.sms("c", "t", 1) // to 1555...
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "no rate for destination")
	_, _, err = s.e.Event(EventRequest{EventID: "d", Tenant: "t", Service: "whatsapp", Destination: "255712345678", Category: "marketing"})
	require.ErrorIs(t, err, ErrInvalid, "WhatsApp matches on category first")
	rep, err := s.start("e", "t", "voice", "outbound", "255712345678", 60)
	require.NoError(t, err)
	require.Equal(t, "255", rep.Rate.Prefix)
	v := s.wallet("t")
	require.Equal(t, "10.000000", fm(v.BalanceMicros))
	require.Equal(t, StatusOK, v.Status, "an unrateable request is not a funding failure")
}

// SPEC 2: phone numbers are charged at list price, with no tier multiplier.
func TestSpecNumberFeesIgnoreTier(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "200")
	_, err := s.storage("big", "t", "4348") // 100.004: silver
	require.NoError(t, err)
	require.Equal(t, "silver", s.wallet("t").Tier.Name)
	before := s.wallet("t").BalanceMicros
	_, err = s.e.AddNumber("t", NumberRequest{Number: "255800100200", Type: "normal", SetupFeeMicros: money("1.00"), MonthlyFeeMicros: money("2.00")})
	require.NoError(t, err)
	require.Equal(t, "3.000000", fm(before-s.wallet("t").BalanceMicros), "setup + first month at list price")
	before = s.wallet("t").BalanceMicros
	s.advance(31 * 24 * time.Hour) // past the first renewal
	require.Equal(t, "2.000000", fm(before-s.wallet("t").BalanceMicros), "the renewal at list price")
}

// SPEC 6 through the engine: segments are counted from the text and each is
// charged (per_segment · segments · m).
func TestSpecSMSTextSegmentsCharged(t *testing.T) {
	s := newWalletSpecEnv(t)
	s.tenant("t", nil)
	s.topUp("t", "10")
	for _, c := range []struct {
		name, text, amount, encoding string
		segments                     int64
	}{
		{"empty", "", "0.020000", "gsm7", 1},
		{"161 a", strings.Repeat("a", 161), "0.040000", "gsm7", 2},
		{"159 a + €", strings.Repeat("a", 159) + "€", "0.040000", "gsm7", 2},
		{"70 ç", strings.Repeat("ç", 70), "0.020000", "ucs2", 1},
		{"71 ç", strings.Repeat("ç", 71), "0.040000", "ucs2", 2},
		{"152 a € 152 a", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), "0.060000", "gsm7", 3},
		{"66 a 😀 66 a", strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 66), "0.060000", "ucs2", 3},
	} {
		a, _, err := s.e.Event(EventRequest{EventID: "e-" + c.name, Tenant: "t", Service: "sms", Destination: "15551234567", Text: c.text, HasText: true})
		require.NoError(t, err, c.name)
		require.Equal(t, c.segments, a.Segments, c.name)
		require.Equal(t, c.encoding, a.Encoding, c.name)
		require.Equal(t, c.amount, fm(a.AmountMicros), c.name)
	}
}

// SPEC 1: a tariff names its currency and can only be assigned to wallets of
// that currency, at creation and by a later change of tariff.
func TestSpecTariffCurrencyMatchesWallet(t *testing.T) {
	s := newWalletSpecEnv(t)
	eur := standardDocWith(t, `"id":"standard","currency":"USD"`, `"id":"euro","currency":"EUR"`)
	_, err := s.e.PutTariff(eur)
	require.NoError(t, err)
	s.tenant("usd", nil)
	require.Equal(t, "USD", s.wallet("usd").Currency, "default currency")
	id := "euro"
	_, err = s.e.UpdateTenant("usd", TenantPatch{Tariff: &id})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = s.e.CreateTenant(TenantParams{ID: "mixed", Tariff: "euro"})
	require.ErrorIs(t, err, ErrInvalid, "a USD wallet (the default) on an EUR tariff")
	s.tenant("eur", func(p *TenantParams) { p.Tariff, p.Currency = "euro", "EUR" })
	require.Equal(t, "EUR", s.wallet("eur").Currency)
	info, err := s.e.Tenant("usd")
	require.NoError(t, err)
	require.Equal(t, "standard", info.Tariff, "the refused change left the tariff as it was")
}

// SPEC 3: the tier is read from the wallet's tariff. Moving a wallet to a
// tariff whose thresholds put its lifetime spend in another tier, lower or
// higher, changes the tier and emits tier_changed at once, not at the next
// charge.
func TestSpecTierFollowsTariffChange(t *testing.T) {
	s := newWalletSpecEnv(t)
	doc := strings.Replace(string(standardDocWith(t, `"min_spend":"100"`, `"min_spend":"500"`)), `"id":"standard"`, `"id":"premium"`, 1)
	_, err := s.e.PutTariff([]byte(doc))
	require.NoError(t, err)
	s.tenant("t", nil)
	s.topUp("t", "200")
	_, err = s.storage("st", "t", "4348") // 100.004 spent: silver on standard
	require.NoError(t, err)
	require.Equal(t, "silver", s.wallet("t").Tier.Name)
	s.sink.takeEvents()

	premium, standard := "premium", "standard"
	_, err = s.e.UpdateTenant("t", TenantPatch{Tariff: &premium})
	require.NoError(t, err)
	require.Equal(t, "bronze", s.wallet("t").Tier.Name)
	require.Equal(t, []string{"tier_changed"}, s.eventTypes("t"))
	_, err = s.sms("e", "t", 1)
	require.NoError(t, err)
	require.Empty(t, s.eventTypes("t"), "the next charge has nothing more to say")

	_, err = s.e.UpdateTenant("t", TenantPatch{Tariff: &standard})
	require.NoError(t, err)
	require.Equal(t, "silver", s.wallet("t").Tier.Name)
	require.Equal(t, []string{"tier_changed"}, s.eventTypes("t"))
}
