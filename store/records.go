package store

import (
	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// valueV1 is the leading byte of every value written by this version. A new
// field means a new value version and a decoder for both.
const valueV1 byte = 1

// Each record has an appendX (version byte + body) and a decodeX that fills
// *out. Fields are written in the order each format was first declared in,
// which the Go structs need not keep (WalletState puts its hot fields first);
// the round-trip tests fill every field by reflection, so a field added to a
// record and not here fails them.

func appendWallet(dst []byte, w *charging.WalletState) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(w.Tenant).str(w.Name).str(w.Currency).str(w.TariffID).i64(w.CreatedAt)
	e = e.i64(w.BalanceMicros).i64(w.ReservedMicros).i64(w.LifetimeSpendMicros).i32(w.TierIndex)
	e = e.i64(w.LowBalanceThresholdMicros).boolean(w.LowBalanceAlerted)
	e = e.i64(w.GracePeriodSeconds).i64(w.GraceOverdraftMicros).i64(w.GraceEndsAt).boolean(w.BlockedNotified)
	e = e.i32(w.MaxConcurrentSessions)
	e = e.boolean(w.AutoRechargeEnabled).i64(w.AutoRechargeThreshold).i64(w.AutoRechargeAmount)
	e = e.str(w.AutoRechargeMethod).str(w.AutoRechargePendingRef).i64(w.AutoRechargePendingSince)
	e = e.i64s(w.AutoRechargeRecent)
	return e.u64(w.TxSeq).i32(w.MonthKey).i64(w.MonthSpendMicros)
}

func decodeWallet(b []byte, w *charging.WalletState) error {
	d := dec{b: b}
	d.version(valueV1)
	w.Tenant, w.Name, w.Currency, w.TariffID, w.CreatedAt = d.str(), d.str(), d.str(), d.str(), d.i64()
	w.BalanceMicros, w.ReservedMicros, w.LifetimeSpendMicros, w.TierIndex = d.i64(), d.i64(), d.i64(), d.i32()
	w.LowBalanceThresholdMicros, w.LowBalanceAlerted = d.i64(), d.boolean()
	w.GracePeriodSeconds, w.GraceOverdraftMicros, w.GraceEndsAt, w.BlockedNotified = d.i64(), d.i64(), d.i64(), d.boolean()
	w.MaxConcurrentSessions = d.i32()
	w.AutoRechargeEnabled, w.AutoRechargeThreshold, w.AutoRechargeAmount = d.boolean(), d.i64(), d.i64()
	w.AutoRechargeMethod, w.AutoRechargePendingRef, w.AutoRechargePendingSince = d.str(), d.str(), d.i64()
	w.AutoRechargeRecent = d.i64s()
	w.TxSeq, w.MonthKey, w.MonthSpendMicros = d.u64(), d.i32(), d.i64()
	return d.end()
}

func appendAnswer(e enc, a *charging.SessionAnswer) enc {
	e = e.i64(a.RequestNumber).i64(a.GrantedSeconds).boolean(a.FinalUnit).i64(a.ValiditySeconds)
	e = e.i64(a.ReservedMicros).i64(a.ChargedMicros)
	return e.boolean(a.Stopped).i64(a.UsageSeconds).i64(a.BilledSeconds).str(a.CDRID).str(a.Termination)
}

func decodeAnswer(d *dec, a *charging.SessionAnswer) {
	a.RequestNumber, a.GrantedSeconds, a.FinalUnit, a.ValiditySeconds = d.i64(), d.i64(), d.boolean(), d.i64()
	a.ReservedMicros, a.ChargedMicros = d.i64(), d.i64()
	a.Stopped, a.UsageSeconds, a.BilledSeconds, a.CDRID, a.Termination = d.boolean(), d.i64(), d.i64(), d.str(), d.str()
}

func appendRate(e enc, r *tariff.VoiceRate) enc {
	return e.str(r.Prefix).i64(r.PerMinutePicos).i64(r.FeePicos).i64(r.InitialIncrement).i64(r.SubsequentIncrement)
}

func decodeRate(d *dec, r *tariff.VoiceRate) {
	r.Prefix, r.PerMinutePicos, r.FeePicos, r.InitialIncrement, r.SubsequentIncrement = d.str(), d.i64(), d.i64(), d.i64(), d.i64()
}

func appendSession(dst []byte, s *charging.SessionState) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(s.ID).str(s.Tenant).str(s.Service).str(s.Direction).str(s.Destination)
	e = e.str(s.TariffID).i64(s.TariffVersion)
	e = appendRate(e, &s.Rate)
	e = e.str(s.TierName).i64(s.MultiplierMicros)
	e = e.u64(s.StartHash).u64(s.LastHash).i64(s.StartedAt).i64(s.LastAt).i64(s.ExpiresAt).i64(s.RequestNum)
	e = e.i64(s.UsedSeconds).i64(s.Charged).i64(s.Granted).i64(s.Reserved).boolean(s.Grace)
	e = appendAnswer(e, &s.StartAnswer)
	e = appendAnswer(e, &s.LastAnswer)
	return e.boolean(s.Closed).i64(s.ClosedAt).str(s.Termination)
}

func decodeSession(b []byte, s *charging.SessionState) error {
	d := dec{b: b}
	d.version(valueV1)
	s.ID, s.Tenant, s.Service, s.Direction, s.Destination = d.str(), d.str(), d.str(), d.str(), d.str()
	s.TariffID, s.TariffVersion = d.str(), d.i64()
	decodeRate(&d, &s.Rate)
	s.TierName, s.MultiplierMicros = d.str(), d.i64()
	s.StartHash, s.LastHash, s.StartedAt, s.LastAt, s.ExpiresAt, s.RequestNum = d.u64(), d.u64(), d.i64(), d.i64(), d.i64(), d.i64()
	s.UsedSeconds, s.Charged, s.Granted, s.Reserved, s.Grace = d.i64(), d.i64(), d.i64(), d.i64(), d.boolean()
	decodeAnswer(&d, &s.StartAnswer)
	decodeAnswer(&d, &s.LastAnswer)
	s.Closed, s.ClosedAt, s.Termination = d.boolean(), d.i64(), d.str()
	return d.end()
}

func appendTxBody(e enc, t *charging.Transaction) enc {
	e = e.str(t.ID).str(t.Tenant).u64(t.Seq).str(t.Type).str(t.Service).str(t.Item)
	e = e.i64(t.AmountMicros).i64(t.BalanceAfterMicros).i64(t.QuantityMicros).str(t.Unit)
	return e.str(t.Reference).str(t.Method).i64(t.CreatedAt).str(t.Description)
}

func decodeTxBody(d *dec, t *charging.Transaction) {
	t.ID, t.Tenant, t.Seq, t.Type, t.Service, t.Item = d.str(), d.str(), d.u64(), d.str(), d.str(), d.str()
	t.AmountMicros, t.BalanceAfterMicros, t.QuantityMicros, t.Unit = d.i64(), d.i64(), d.i64(), d.str()
	t.Reference, t.Method, t.CreatedAt, t.Description = d.str(), d.str(), d.i64(), d.str()
}

// A transaction's value leaves out its tenant and seq: its key holds them.
func appendTransaction(dst []byte, t *charging.Transaction) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(t.ID).str(t.Type).str(t.Service).str(t.Item)
	e = e.i64(t.AmountMicros).i64(t.BalanceAfterMicros).i64(t.QuantityMicros).str(t.Unit)
	return e.str(t.Reference).str(t.Method).i64(t.CreatedAt).str(t.Description)
}

func decodeTransaction(b []byte, tenant string, seq uint64, t *charging.Transaction) error {
	d := dec{b: b}
	d.version(valueV1)
	t.Tenant, t.Seq = tenant, seq
	t.ID, t.Type, t.Service, t.Item = d.str(), d.str(), d.str(), d.str()
	t.AmountMicros, t.BalanceAfterMicros, t.QuantityMicros, t.Unit = d.i64(), d.i64(), d.i64(), d.str()
	t.Reference, t.Method, t.CreatedAt, t.Description = d.str(), d.str(), d.i64(), d.str()
	return d.end()
}

func appendCDR(dst []byte, c *charging.CDR) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(c.ID).str(c.Tenant).str(c.Kind).str(c.SessionID).str(c.EventID)
	e = e.str(c.Service).str(c.Direction).str(c.Destination).i64(c.StartedAt).i64(c.EndedAt)
	e = e.i64(c.UsageSeconds).i64(c.BilledSeconds).i64(c.QuantityMicros).str(c.Unit)
	e = e.i64(c.RatePicos).str(c.Tier).i64(c.MultiplierMicros).i64(c.AmountMicros).str(c.Currency)
	return e.str(c.Termination).i64(c.Requests)
}

func decodeCDR(b []byte, c *charging.CDR) error {
	d := dec{b: b}
	d.version(valueV1)
	c.ID, c.Tenant, c.Kind, c.SessionID, c.EventID = d.str(), d.str(), d.str(), d.str(), d.str()
	c.Service, c.Direction, c.Destination, c.StartedAt, c.EndedAt = d.str(), d.str(), d.str(), d.i64(), d.i64()
	c.UsageSeconds, c.BilledSeconds, c.QuantityMicros, c.Unit = d.i64(), d.i64(), d.i64(), d.str()
	c.RatePicos, c.Tier, c.MultiplierMicros, c.AmountMicros, c.Currency = d.i64(), d.str(), d.i64(), d.i64(), d.str()
	c.Termination, c.Requests = d.str(), d.i64()
	return d.end()
}

func appendWalletEvent(dst []byte, v *charging.WalletEvent) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(v.ID).str(v.Tenant).str(v.Type).i64(v.At).i64(v.BalanceMicros)
	return e.i64(v.AmountMicros).str(v.Method).str(v.Reference).str(v.Tier)
}

func decodeWalletEvent(b []byte, v *charging.WalletEvent) error {
	d := dec{b: b}
	d.version(valueV1)
	v.ID, v.Tenant, v.Type, v.At, v.BalanceMicros = d.str(), d.str(), d.str(), d.i64(), d.i64()
	v.AmountMicros, v.Method, v.Reference, v.Tier = d.i64(), d.str(), d.str(), d.str()
	return d.end()
}

// A log key holds one group's entries of that log: valueV1, the append time
// (ms, for retention), the entry count, then the entries. A CDR log entry is
// the length-prefixed CDR and the length-prefixed answer of the event it
// charged (empty for a session): the log is kept for the retention window,
// which is also how long an event id is remembered, so the answer needs no
// key of its own. An event log entry is the length-prefixed wallet event.
func appendLogGroup(dst []byte, appendedAtMs int64, l *logBuf) []byte {
	return append(enc(append(dst, valueV1)).i64(appendedAtMs).u64(uint64(l.n)), l.body...)
}

// logGroup is a decoded log key: its entries are read with next.
type logGroup struct {
	first uint64 // seq of the first entry (from the key)
	atMs  int64
	n     int
	d     dec
}

func readLogGroup(first uint64, v []byte) (logGroup, error) {
	g := logGroup{first: first, d: dec{b: v}}
	g.d.version(valueV1)
	g.atMs, g.n = g.d.i64(), g.d.count()
	return g, g.d.err
}

func (g *logGroup) last() uint64 { return g.first + uint64(g.n) - 1 }

// next returns the next entry: its record and, in the CDR log, its event
// answer (nil if none). withAnswer says which log it is.
func (g *logGroup) next(withAnswer bool) (rec, answer []byte) {
	rec = g.d.bytes()
	if withAnswer {
		answer = g.d.bytes()
	}
	return rec, answer
}

// valueAnswerFromCDR is the leading byte of an event answer kept in the CDR
// log next to the CDR of its event (appendLogAnswer): only what the CDR does
// not already say.
const valueAnswerFromCDR byte = 2

// appendLogAnswer encodes an event's answer for the CDR log entry that holds
// its CDR c: when the answer's event id, tenant, time, amount, quantity, unit
// and transaction id are the CDR's (the engine makes them so), only the
// payload hash, the balance after and the SMS segments and encoding are
// written, ~15 bytes instead of ~90; otherwise the whole answer.
func appendLogAnswer(dst []byte, a *charging.EventAnswer, c *charging.CDR) []byte {
	if a.EventID != c.EventID || a.Tenant != c.Tenant || a.At != c.EndedAt || a.AmountMicros != c.AmountMicros ||
		a.QuantityMicros != c.QuantityMicros || a.Unit != c.Unit || a.TransactionID != c.ID {
		return appendEventAnswer(dst, a)
	}
	return enc(append(dst, valueAnswerFromCDR)).u64(a.Hash).i64(a.BalanceMicros).i64(a.Segments).str(a.Encoding)
}

// decodeLogAnswer reverses appendLogAnswer given the entry's CDR.
func decodeLogAnswer(b []byte, c *charging.CDR, a *charging.EventAnswer) error {
	if len(b) == 0 || b[0] != valueAnswerFromCDR {
		return decodeEventAnswer(b, a)
	}
	d := dec{b: b[1:]}
	*a = charging.EventAnswer{EventID: c.EventID, Tenant: c.Tenant, At: c.EndedAt, AmountMicros: c.AmountMicros,
		QuantityMicros: c.QuantityMicros, Unit: c.Unit, TransactionID: c.ID}
	a.Hash, a.BalanceMicros, a.Segments, a.Encoding = d.u64(), d.i64(), d.i64(), d.str()
	return d.end()
}

// valueClosedSession is the leading byte of a closed session's image kept in
// the CDR log next to the CDR that closed it (store.closedInLog); the image
// follows as appendSession writes it.
const valueClosedSession byte = 3

func appendLogSession(dst []byte, s *charging.SessionState) []byte {
	return appendSession(append(dst, valueClosedSession), s)
}

func appendEventAnswer(dst []byte, a *charging.EventAnswer) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(a.EventID).str(a.Tenant).u64(a.Hash).i64(a.At).i64(a.AmountMicros)
	e = e.i64(a.QuantityMicros).str(a.Unit).i64(a.BalanceMicros).str(a.TransactionID)
	return e.i64(a.Segments).str(a.Encoding)
}

func decodeEventAnswer(b []byte, a *charging.EventAnswer) error {
	d := dec{b: b}
	d.version(valueV1)
	a.EventID, a.Tenant, a.Hash, a.At, a.AmountMicros = d.str(), d.str(), d.u64(), d.i64(), d.i64()
	a.QuantityMicros, a.Unit, a.BalanceMicros, a.TransactionID = d.i64(), d.str(), d.i64(), d.str()
	a.Segments, a.Encoding = d.i64(), d.str()
	return d.end()
}

// topUpV2 adds the wallet as the top-up left it (the answer a repeat gets).
// Version 1 records decode with an empty Wallet.
const topUpV2 byte = 2

func appendTopUp(dst []byte, t *charging.TopUpRecord) []byte {
	e := enc(append(dst, topUpV2))
	e = e.str(t.Tenant).str(t.Reference).i64(t.AmountMicros).str(t.Method).i64(t.At)
	e = appendTxBody(e, &t.Transaction)
	return appendWalletView(e, &t.Wallet)
}

func decodeTopUp(b []byte, t *charging.TopUpRecord) error {
	d := dec{b: b}
	v := d.versionIn(valueV1, topUpV2)
	t.Tenant, t.Reference, t.AmountMicros, t.Method, t.At = d.str(), d.str(), d.i64(), d.str(), d.i64()
	decodeTxBody(&d, &t.Transaction)
	if v >= topUpV2 {
		decodeWalletView(&d, &t.Wallet)
	}
	return d.end()
}

func appendWalletView(e enc, w *charging.WalletView) enc {
	e = e.str(w.Tenant).str(w.Currency).i64(w.BalanceMicros).i64(w.ReservedMicros).i64(w.AvailableMicros)
	e = e.i64(w.LifetimeSpendMicros).str(w.Tier.Name).i64(w.Tier.MultiplierMicros).i64(w.Tier.NextTierAtMicros)
	e = e.str(w.Status).i64(w.GraceEndsAt).i64(w.LowBalanceThresholdMicros)
	a := &w.AutoRecharge
	e = e.boolean(a.Enabled).i64(a.ThresholdMicros).i64(a.AmountMicros).str(a.Method).str(a.PendingReference)
	return e.i64(w.OpenSessions).i64(w.MonthToDateSpendMicros)
}

func decodeWalletView(d *dec, w *charging.WalletView) {
	w.Tenant, w.Currency, w.BalanceMicros, w.ReservedMicros, w.AvailableMicros = d.str(), d.str(), d.i64(), d.i64(), d.i64()
	w.LifetimeSpendMicros, w.Tier.Name, w.Tier.MultiplierMicros, w.Tier.NextTierAtMicros = d.i64(), d.str(), d.i64(), d.i64()
	w.Status, w.GraceEndsAt, w.LowBalanceThresholdMicros = d.str(), d.i64(), d.i64()
	a := &w.AutoRecharge
	a.Enabled, a.ThresholdMicros, a.AmountMicros, a.Method, a.PendingReference = d.boolean(), d.i64(), d.i64(), d.str(), d.str()
	w.OpenSessions, w.MonthToDateSpendMicros = d.i64(), d.i64()
}

func appendNumber(dst []byte, n *charging.NumberState) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(n.Tenant).str(n.Number).str(n.Type).strs(n.Capabilities)
	e = e.i64(n.MonthlyFeeMicros).i64(n.SetupFeeMicros).i64(n.AddedAt).i32(n.AnchorDay)
	return e.i64(n.NextRenewalAt).str(n.Status).boolean(n.Deleted)
}

func decodeNumber(b []byte, n *charging.NumberState) error {
	d := dec{b: b}
	d.version(valueV1)
	n.Tenant, n.Number, n.Type, n.Capabilities = d.str(), d.str(), d.str(), d.strs()
	n.MonthlyFeeMicros, n.SetupFeeMicros, n.AddedAt, n.AnchorDay = d.i64(), d.i64(), d.i64(), d.i32()
	n.NextRenewalAt, n.Status, n.Deleted = d.i64(), d.str(), d.boolean()
	return d.end()
}

func appendTariff(dst []byte, t *charging.TariffRecord) []byte {
	return enc(append(dst, valueV1)).str(t.ID).i64(t.Version).raw(t.Doc).i64(t.At)
}

func decodeTariff(b []byte, t *charging.TariffRecord) error {
	d := dec{b: b}
	d.version(valueV1)
	t.ID, t.Version = d.str(), d.i64()
	if doc := d.bytes(); doc != nil {
		t.Doc = append([]byte(nil), doc...)
	}
	t.At = d.i64()
	return d.end()
}

func appendKeyRecord(dst []byte, k *charging.KeyRecord) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(k.ID).raw(k.Hash[:]).str(k.Name).str(k.Role).str(k.Tenant)
	return e.i64(k.CreatedAt).boolean(k.Deleted)
}

func decodeKeyRecord(b []byte, k *charging.KeyRecord) error {
	d := dec{b: b}
	d.version(valueV1)
	k.ID = d.str()
	if h := d.bytes(); len(h) == len(k.Hash) {
		copy(k.Hash[:], h)
	} else {
		d.fail()
	}
	k.Name, k.Role, k.Tenant, k.CreatedAt, k.Deleted = d.str(), d.str(), d.str(), d.i64(), d.boolean()
	return d.end()
}

func appendRole(dst []byte, r *charging.RoleRecord) []byte {
	return enc(append(dst, valueV1)).str(r.Tenant).str(r.Name).strs(r.Permissions)
}

func decodeRole(b []byte, r *charging.RoleRecord) error {
	d := dec{b: b}
	d.version(valueV1)
	r.Tenant, r.Name, r.Permissions = d.str(), d.str(), d.strs()
	return d.end()
}

func appendLine(e enc, l *charging.UsageLine) enc {
	return e.str(l.Item).i64(l.Count).i64(l.QuantityMicros).str(l.Unit).i64(l.AmountMicros)
}

func decodeLine(d *dec, l *charging.UsageLine) {
	l.Item, l.Count, l.QuantityMicros, l.Unit, l.AmountMicros = d.str(), d.i64(), d.i64(), d.str(), d.i64()
}

func appendInvoice(dst []byte, v *charging.Invoice) []byte {
	e := enc(append(dst, valueV1))
	e = e.str(v.Tenant).str(v.Number).i32(v.Month).i64(v.IssuedAt).str(v.Currency)
	e = e.i64(v.OpeningMicros).i64(v.PaymentsMicros).u64(uint64(len(v.Lines)))
	for i := range v.Lines {
		e = appendLine(e, &v.Lines[i])
	}
	return e.i64(v.TotalMicros).i64(v.ClosingMicros)
}

func decodeInvoice(b []byte, v *charging.Invoice) error {
	d := dec{b: b}
	d.version(valueV1)
	v.Tenant, v.Number, v.Month, v.IssuedAt, v.Currency = d.str(), d.str(), d.i32(), d.i64(), d.str()
	v.OpeningMicros, v.PaymentsMicros = d.i64(), d.i64()
	if n := d.count(); n > 0 {
		v.Lines = make([]charging.UsageLine, n)
		for i := range v.Lines {
			decodeLine(&d, &v.Lines[i])
		}
	}
	v.TotalMicros, v.ClosingMicros = d.i64(), d.i64()
	return d.end()
}

// A usage value is one merge operand or a merged sum: count, quantity, amount
// and unit. See usageMerger.
func appendUsage(dst []byte, u *charging.UsageDelta) []byte {
	return enc(append(dst, valueV1)).i64(u.Count).i64(u.QuantityMicros).i64(u.AmountMicros).str(u.Unit)
}

func decodeUsage(b []byte, l *charging.UsageLine) error {
	d := dec{b: b}
	d.version(valueV1)
	l.Count, l.QuantityMicros, l.AmountMicros, l.Unit = d.i64(), d.i64(), d.i64(), d.str()
	return d.end()
}

// Parked record values: valueV1 + parked-at ms + reason + the raw log record
// (empty if it had already been pruned).
func appendParked(dst []byte, atMs int64, reason string, rec []byte) []byte {
	return enc(append(dst, valueV1)).i64(atMs).str(reason).raw(rec)
}
