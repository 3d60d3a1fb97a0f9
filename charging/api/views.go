package api

import (
	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// JSON shapes of the answers (spec section 7). Money: strings with exactly
// 6 decimals; rates: tariff-style decimals ("0.0200"); quantities: decimal
// strings without trailing zeros; times: RFC 3339 UTC, null when unset.

func writeTenant(e *enc, t *charging.TenantInfo) {
	e.str("id", t.ID)
	e.str("name", t.Name)
	e.str("currency", t.Currency)
	e.str("tariff", t.Tariff)
	e.money("low_balance_threshold", t.LowBalanceThresholdMicros)
	e.int("grace_period_seconds", t.GracePeriodSeconds)
	e.money("grace_overdraft_limit", t.GraceOverdraftMicros)
	e.int("max_concurrent_sessions", t.MaxConcurrentSessions)
	e.time("created_at", t.CreatedAt)
}

func writeWallet(e *enc, w *charging.WalletView) {
	e.str("tenant", w.Tenant)
	e.str("currency", w.Currency)
	e.money("balance", w.BalanceMicros)
	e.money("reserved", w.ReservedMicros)
	e.money("available", w.AvailableMicros)
	e.money("lifetime_spend", w.LifetimeSpendMicros)
	e.obj("tier")
	e.str("name", w.Tier.Name)
	e.str("multiplier", tariff.FormatMultiplier(w.Tier.MultiplierMicros))
	if w.Tier.NextTierAtMicros < 0 {
		e.null("next_tier_at")
	} else {
		e.money("next_tier_at", w.Tier.NextTierAtMicros)
	}
	e.close()
	e.str("status", w.Status)
	e.time("grace_ends_at", w.GraceEndsAt)
	e.money("low_balance_threshold", w.LowBalanceThresholdMicros)
	e.obj("auto_recharge")
	writeAutoRecharge(e, &w.AutoRecharge)
	e.close()
	e.int("open_sessions", w.OpenSessions)
	e.money("month_to_date_spend", w.MonthToDateSpendMicros)
}

func writeAutoRecharge(e *enc, a *charging.AutoRecharge) {
	e.bool("enabled", a.Enabled)
	e.money("threshold", a.ThresholdMicros)
	e.money("amount", a.AmountMicros)
	e.strOrNull("method", a.Method)
	e.strOrNull("pending_reference", a.PendingReference)
}

func writeTransaction(e *enc, t *charging.Transaction) {
	e.str("id", t.ID)
	e.str("type", t.Type)
	e.strOrNull("service", t.Service)
	e.money("amount", t.AmountMicros)
	e.money("balance_after", t.BalanceAfterMicros)
	e.quantity("quantity", t.QuantityMicros)
	e.str("unit", t.Unit)
	e.str("reference", t.Reference)
	if t.Method != "" {
		e.str("method", t.Method)
	}
	e.time("created_at", t.CreatedAt)
	e.str("description", charging.Describe(t))
}

func writeRate(e *enc, r *charging.RateView) {
	e.obj("rate")
	e.str("tariff", r.TariffID)
	e.int("tariff_version", r.TariffVersion)
	e.str("prefix", r.Prefix)
	e.str("per_minute", tariff.FormatPicos(r.PerMinutePicos))
	e.str("fee", tariff.FormatPicos(r.FeePicos))
	e.int("initial_increment", r.InitialIncrement)
	e.int("subsequent_increment", r.SubsequentIncrement)
	e.close()
}

// writeSessionGrant is the answer to a start (and, with charged, an update).
func writeSessionGrant(e *enc, rep *charging.SessionReply, charged bool) {
	a := &rep.Answer
	e.str("session_id", rep.SessionID)
	e.int("granted_seconds", a.GrantedSeconds)
	e.bool("final_unit", a.FinalUnit)
	e.int("validity_seconds", a.ValiditySeconds)
	e.money("reserved_amount", a.ReservedMicros)
	if charged {
		e.money("charged_amount", a.ChargedMicros)
	}
	writeRate(e, &rep.Rate)
	e.str("tier", rep.Tier)
	e.str("multiplier", tariff.FormatMultiplier(rep.MultiplierMicros))
}

func writeSessionStop(e *enc, rep *charging.SessionReply) {
	a := &rep.Answer
	e.str("session_id", rep.SessionID)
	e.int("usage_seconds", a.UsageSeconds)
	e.int("billed_seconds", a.BilledSeconds)
	e.money("charged_amount", a.ChargedMicros)
	e.str("cdr_id", a.CDRID)
	e.str("termination", a.Termination)
}

func writeSessionState(e *enc, s *charging.SessionState) {
	e.str("session_id", s.ID)
	e.str("tenant", s.Tenant)
	e.str("service", s.Service)
	e.str("direction", s.Direction)
	e.str("destination", s.Destination)
	if s.Closed {
		e.str("status", "closed")
	} else {
		e.str("status", "open")
	}
	e.time("started_at", s.StartedAt)
	e.time("last_request_at", s.LastAt)
	if s.Closed {
		e.null("expires_at")
	} else {
		e.time("expires_at", s.ExpiresAt)
	}
	e.int("request_number", s.RequestNum)
	e.int("used_seconds", s.UsedSeconds)
	e.money("charged_amount", s.Charged)
	e.int("granted_seconds", s.Granted)
	e.money("reserved_amount", s.Reserved)
	e.bool("grace", s.Grace)
	rv := charging.RateView{Prefix: s.Rate.Prefix, PerMinutePicos: s.Rate.PerMinutePicos,
		FeePicos: s.Rate.FeePicos, InitialIncrement: s.Rate.InitialIncrement,
		SubsequentIncrement: s.Rate.SubsequentIncrement, TariffID: s.TariffID, TariffVersion: s.TariffVersion}
	writeRate(e, &rv)
	e.str("tier", s.TierName)
	e.str("multiplier", tariff.FormatMultiplier(s.MultiplierMicros))
	e.time("closed_at", s.ClosedAt)
	e.strOrNull("termination", s.Termination)
}

func writeEventAnswer(e *enc, a *charging.EventAnswer) {
	e.str("event_id", a.EventID)
	e.money("amount", a.AmountMicros)
	e.quantity("quantity", a.QuantityMicros)
	e.str("unit", a.Unit)
	e.money("balance", a.BalanceMicros)
	e.str("transaction_id", a.TransactionID)
	if a.Encoding != "" {
		e.int("segments", a.Segments)
		e.str("encoding", a.Encoding)
	}
}

func writeQuote(e *enc, q *charging.Quote) {
	e.str("tenant", q.Tenant)
	e.str("service", q.Service)
	e.money("amount", q.AmountMicros)
	if q.Service == svcVoice || q.Service == svcIVR {
		writeRate(e, &q.Rate)
	} else {
		e.str("unit_price", tariff.FormatPicos(q.RatePicos))
		e.str("prefix", q.Rate.Prefix)
	}
	e.int("billed_units", q.BilledUnits)
	e.quantity("quantity", q.QuantityMicros)
	e.str("unit", q.Unit)
	e.money("fee", q.FeeMicros)
	e.str("tier", q.Tier)
	e.str("multiplier", tariff.FormatMultiplier(q.MultiplierMicros))
	if q.Encoding != "" {
		e.int("segments", q.Segments)
		e.str("encoding", q.Encoding)
	}
}

func writeNumber(e *enc, n *charging.NumberState) {
	e.str("number", n.Number)
	e.str("type", n.Type)
	e.arr("capabilities")
	for _, c := range n.Capabilities {
		e.elemStr(c)
	}
	e.closeArr()
	e.money("monthly_fee", n.MonthlyFeeMicros)
	e.money("setup_fee", n.SetupFeeMicros)
	e.str("status", n.Status)
	e.time("added_at", n.AddedAt)
	e.time("next_renewal_at", n.NextRenewalAt)
}

// writeLines writes usage lines; "payments" (top-ups, kept for invoices) is
// not a usage line.
func writeLines(e *enc, lines []charging.UsageLine) {
	e.arr("lines")
	for i := range lines {
		l := &lines[i]
		if l.Item == "payments" {
			continue
		}
		e.open()
		e.str("item", l.Item)
		e.int("count", l.Count)
		e.quantity("quantity", l.QuantityMicros)
		e.str("unit", l.Unit)
		e.money("amount", l.AmountMicros)
		e.close()
	}
	e.closeArr()
}

func writeInvoice(e *enc, inv *charging.Invoice) {
	e.str("number", inv.Number)
	e.str("month", monthString(inv.Month))
	e.time("issued_at", inv.IssuedAt)
	e.str("currency", inv.Currency)
	e.money("opening_balance", inv.OpeningMicros)
	e.money("payments", inv.PaymentsMicros)
	writeLines(e, inv.Lines)
	e.money("total_charges", inv.TotalMicros)
	e.money("closing_balance", inv.ClosingMicros)
}

// monthString formats yyyymm as YYYY-MM.
func monthString(m int32) string {
	y, mm := m/100, m%100
	b := []byte{byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10),
		'-', byte('0' + mm/10), byte('0' + mm%10)}
	return string(b)
}

func writeKey(e *enc, k *charging.KeyRecord) {
	e.str("id", k.ID)
	e.str("name", k.Name)
	e.str("role", k.Role)
	e.str("tenant", k.Tenant)
	e.time("created_at", k.CreatedAt)
}
