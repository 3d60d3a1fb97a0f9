package store

import (
	"github.com/salio/salio/charging"
	"github.com/salio/salio/charging/codec"
	"github.com/salio/salio/tariff"
)

// valueV1 is the leading byte of every value written by this version. A new
// field means a new value version and a decoder for both.
const valueV1 byte = 1

// Each record has an appendX (version byte + body) and a decodeX that fills
// *out. Fields are written in declaration order; the round-trip tests fill
// every field by reflection, so a field added to a record and not here fails
// them.

func appendWallet(dst []byte, w *charging.WalletState) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(w.Tenant).Str(w.Name).Str(w.Currency).Str(w.TariffID).I64(w.CreatedAt)
	e = e.I64(w.BalanceMicros).I64(w.ReservedMicros).I64(w.LifetimeSpendMicros).I32(w.TierIndex)
	e = e.I64(w.LowBalanceThresholdMicros).Boolean(w.LowBalanceAlerted)
	e = e.I64(w.GracePeriodSeconds).I64(w.GraceOverdraftMicros).I64(w.GraceEndsAt).Boolean(w.BlockedNotified)
	e = e.I32(w.MaxConcurrentSessions)
	e = e.Boolean(w.AutoRechargeEnabled).I64(w.AutoRechargeThreshold).I64(w.AutoRechargeAmount)
	e = e.Str(w.AutoRechargeMethod).Str(w.AutoRechargePendingRef).I64(w.AutoRechargePendingSince)
	e = e.I64s(w.AutoRechargeRecent)
	return e.U64(w.TxSeq).I32(w.MonthKey).I64(w.MonthSpendMicros)
}

func decodeWallet(b []byte, w *charging.WalletState) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	w.Tenant, w.Name, w.Currency, w.TariffID, w.CreatedAt = d.Str(), d.Str(), d.Str(), d.Str(), d.I64()
	w.BalanceMicros, w.ReservedMicros, w.LifetimeSpendMicros, w.TierIndex = d.I64(), d.I64(), d.I64(), d.I32()
	w.LowBalanceThresholdMicros, w.LowBalanceAlerted = d.I64(), d.Boolean()
	w.GracePeriodSeconds, w.GraceOverdraftMicros, w.GraceEndsAt, w.BlockedNotified = d.I64(), d.I64(), d.I64(), d.Boolean()
	w.MaxConcurrentSessions = d.I32()
	w.AutoRechargeEnabled, w.AutoRechargeThreshold, w.AutoRechargeAmount = d.Boolean(), d.I64(), d.I64()
	w.AutoRechargeMethod, w.AutoRechargePendingRef, w.AutoRechargePendingSince = d.Str(), d.Str(), d.I64()
	w.AutoRechargeRecent = d.I64s()
	w.TxSeq, w.MonthKey, w.MonthSpendMicros = d.U64(), d.I32(), d.I64()
	return d.End()
}

func appendAnswer(e codec.Enc, a *charging.SessionAnswer) codec.Enc {
	e = e.I64(a.RequestNumber).I64(a.GrantedSeconds).Boolean(a.FinalUnit).I64(a.ValiditySeconds)
	e = e.I64(a.ReservedMicros).I64(a.ChargedMicros)
	return e.Boolean(a.Stopped).I64(a.UsageSeconds).I64(a.BilledSeconds).Str(a.CDRID).Str(a.Termination)
}

func decodeAnswer(d *codec.Dec, a *charging.SessionAnswer) {
	a.RequestNumber, a.GrantedSeconds, a.FinalUnit, a.ValiditySeconds = d.I64(), d.I64(), d.Boolean(), d.I64()
	a.ReservedMicros, a.ChargedMicros = d.I64(), d.I64()
	a.Stopped, a.UsageSeconds, a.BilledSeconds, a.CDRID, a.Termination = d.Boolean(), d.I64(), d.I64(), d.Str(), d.Str()
}

func appendRate(e codec.Enc, r *tariff.VoiceRate) codec.Enc {
	return e.Str(r.Prefix).I64(r.PerMinutePicos).I64(r.FeePicos).I64(r.InitialIncrement).I64(r.SubsequentIncrement)
}

func decodeRate(d *codec.Dec, r *tariff.VoiceRate) {
	r.Prefix, r.PerMinutePicos, r.FeePicos, r.InitialIncrement, r.SubsequentIncrement = d.Str(), d.I64(), d.I64(), d.I64(), d.I64()
}

func appendSession(dst []byte, s *charging.SessionState) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(s.ID).Str(s.Tenant).Str(s.Service).Str(s.Direction).Str(s.Destination)
	e = e.Str(s.TariffID).I64(s.TariffVersion)
	e = appendRate(e, &s.Rate)
	e = e.Str(s.TierName).I64(s.MultiplierMicros)
	e = e.U64(s.StartHash).U64(s.LastHash).I64(s.StartedAt).I64(s.LastAt).I64(s.ExpiresAt).I64(s.RequestNum)
	e = e.I64(s.UsedSeconds).I64(s.Charged).I64(s.Granted).I64(s.Reserved).Boolean(s.Grace)
	e = appendAnswer(e, &s.StartAnswer)
	e = appendAnswer(e, &s.LastAnswer)
	return e.Boolean(s.Closed).I64(s.ClosedAt).Str(s.Termination)
}

func decodeSession(b []byte, s *charging.SessionState) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	s.ID, s.Tenant, s.Service, s.Direction, s.Destination = d.Str(), d.Str(), d.Str(), d.Str(), d.Str()
	s.TariffID, s.TariffVersion = d.Str(), d.I64()
	decodeRate(&d, &s.Rate)
	s.TierName, s.MultiplierMicros = d.Str(), d.I64()
	s.StartHash, s.LastHash, s.StartedAt, s.LastAt, s.ExpiresAt, s.RequestNum = d.U64(), d.U64(), d.I64(), d.I64(), d.I64(), d.I64()
	s.UsedSeconds, s.Charged, s.Granted, s.Reserved, s.Grace = d.I64(), d.I64(), d.I64(), d.I64(), d.Boolean()
	decodeAnswer(&d, &s.StartAnswer)
	decodeAnswer(&d, &s.LastAnswer)
	s.Closed, s.ClosedAt, s.Termination = d.Boolean(), d.I64(), d.Str()
	return d.End()
}

func appendTxBody(e codec.Enc, t *charging.Transaction) codec.Enc {
	e = e.Str(t.ID).Str(t.Tenant).U64(t.Seq).Str(t.Type).Str(t.Service).Str(t.Item)
	e = e.I64(t.AmountMicros).I64(t.BalanceAfterMicros).I64(t.QuantityMicros).Str(t.Unit)
	return e.Str(t.Reference).Str(t.Method).I64(t.CreatedAt).Str(t.Description)
}

func decodeTxBody(d *codec.Dec, t *charging.Transaction) {
	t.ID, t.Tenant, t.Seq, t.Type, t.Service, t.Item = d.Str(), d.Str(), d.U64(), d.Str(), d.Str(), d.Str()
	t.AmountMicros, t.BalanceAfterMicros, t.QuantityMicros, t.Unit = d.I64(), d.I64(), d.I64(), d.Str()
	t.Reference, t.Method, t.CreatedAt, t.Description = d.Str(), d.Str(), d.I64(), d.Str()
}

// A transaction's value leaves out its tenant and seq: its key holds them.
func appendTransaction(dst []byte, t *charging.Transaction) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(t.ID).Str(t.Type).Str(t.Service).Str(t.Item)
	e = e.I64(t.AmountMicros).I64(t.BalanceAfterMicros).I64(t.QuantityMicros).Str(t.Unit)
	return e.Str(t.Reference).Str(t.Method).I64(t.CreatedAt).Str(t.Description)
}

func decodeTransaction(b []byte, tenant string, seq uint64, t *charging.Transaction) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	t.Tenant, t.Seq = tenant, seq
	t.ID, t.Type, t.Service, t.Item = d.Str(), d.Str(), d.Str(), d.Str()
	t.AmountMicros, t.BalanceAfterMicros, t.QuantityMicros, t.Unit = d.I64(), d.I64(), d.I64(), d.Str()
	t.Reference, t.Method, t.CreatedAt, t.Description = d.Str(), d.Str(), d.I64(), d.Str()
	return d.End()
}

func appendCDR(dst []byte, c *charging.CDR) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(c.ID).Str(c.Tenant).Str(c.Kind).Str(c.SessionID).Str(c.EventID)
	e = e.Str(c.Service).Str(c.Direction).Str(c.Destination).I64(c.StartedAt).I64(c.EndedAt)
	e = e.I64(c.UsageSeconds).I64(c.BilledSeconds).I64(c.QuantityMicros).Str(c.Unit)
	e = e.I64(c.RatePicos).Str(c.Tier).I64(c.MultiplierMicros).I64(c.AmountMicros).Str(c.Currency)
	return e.Str(c.Termination).I64(c.Requests)
}

func decodeCDR(b []byte, c *charging.CDR) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	c.ID, c.Tenant, c.Kind, c.SessionID, c.EventID = d.Str(), d.Str(), d.Str(), d.Str(), d.Str()
	c.Service, c.Direction, c.Destination, c.StartedAt, c.EndedAt = d.Str(), d.Str(), d.Str(), d.I64(), d.I64()
	c.UsageSeconds, c.BilledSeconds, c.QuantityMicros, c.Unit = d.I64(), d.I64(), d.I64(), d.Str()
	c.RatePicos, c.Tier, c.MultiplierMicros, c.AmountMicros, c.Currency = d.I64(), d.Str(), d.I64(), d.I64(), d.Str()
	c.Termination, c.Requests = d.Str(), d.I64()
	return d.End()
}

func appendWalletEvent(dst []byte, v *charging.WalletEvent) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(v.ID).Str(v.Tenant).Str(v.Type).I64(v.At).I64(v.BalanceMicros)
	return e.I64(v.AmountMicros).Str(v.Method).Str(v.Reference).Str(v.Tier)
}

func decodeWalletEvent(b []byte, v *charging.WalletEvent) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	v.ID, v.Tenant, v.Type, v.At, v.BalanceMicros = d.Str(), d.Str(), d.Str(), d.I64(), d.I64()
	v.AmountMicros, v.Method, v.Reference, v.Tier = d.I64(), d.Str(), d.Str(), d.Str()
	return d.End()
}

// A log key holds one group's entries of that log: valueV1, the append time
// (ms, for retention), the entry count, then the entries. A CDR log entry is
// the length-prefixed CDR and the length-prefixed answer of the event it
// charged (empty for a session): the log is kept for the retention window,
// which is also how long an event id is remembered, so the answer needs no
// key of its own. An event log entry is the length-prefixed wallet event.
func appendLogGroup(dst []byte, appendedAtMs int64, l *logBuf) []byte {
	return append(codec.Enc(append(dst, valueV1)).I64(appendedAtMs).U64(uint64(l.n)), l.body...)
}

// logGroup is a decoded log key: its entries are read with next.
type logGroup struct {
	first uint64 // seq of the first entry (from the key)
	atMs  int64
	n     int
	d     codec.Dec
}

func readLogGroup(first uint64, v []byte) (logGroup, error) {
	g := logGroup{first: first, d: codec.NewDec(v)}
	g.d.Version(valueV1)
	g.atMs, g.n = g.d.I64(), g.d.Count()
	return g, g.d.Err()
}

func (g *logGroup) last() uint64 { return g.first + uint64(g.n) - 1 }

// next returns the next entry: its record and, in the CDR log, its event
// answer (nil if none). withAnswer says which log it is.
func (g *logGroup) next(withAnswer bool) (rec, answer []byte) {
	rec = g.d.Bytes()
	if withAnswer {
		answer = g.d.Bytes()
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
	return codec.Enc(append(dst, valueAnswerFromCDR)).U64(a.Hash).I64(a.BalanceMicros).I64(a.Segments).Str(a.Encoding)
}

// decodeLogAnswer reverses appendLogAnswer given the entry's CDR.
func decodeLogAnswer(b []byte, c *charging.CDR, a *charging.EventAnswer) error {
	if len(b) == 0 || b[0] != valueAnswerFromCDR {
		return decodeEventAnswer(b, a)
	}
	d := codec.NewDec(b[1:])
	*a = charging.EventAnswer{EventID: c.EventID, Tenant: c.Tenant, At: c.EndedAt, AmountMicros: c.AmountMicros,
		QuantityMicros: c.QuantityMicros, Unit: c.Unit, TransactionID: c.ID}
	a.Hash, a.BalanceMicros, a.Segments, a.Encoding = d.U64(), d.I64(), d.I64(), d.Str()
	return d.End()
}

func appendEventAnswer(dst []byte, a *charging.EventAnswer) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(a.EventID).Str(a.Tenant).U64(a.Hash).I64(a.At).I64(a.AmountMicros)
	e = e.I64(a.QuantityMicros).Str(a.Unit).I64(a.BalanceMicros).Str(a.TransactionID)
	return e.I64(a.Segments).Str(a.Encoding)
}

func decodeEventAnswer(b []byte, a *charging.EventAnswer) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	a.EventID, a.Tenant, a.Hash, a.At, a.AmountMicros = d.Str(), d.Str(), d.U64(), d.I64(), d.I64()
	a.QuantityMicros, a.Unit, a.BalanceMicros, a.TransactionID = d.I64(), d.Str(), d.I64(), d.Str()
	a.Segments, a.Encoding = d.I64(), d.Str()
	return d.End()
}

func appendTopUp(dst []byte, t *charging.TopUpRecord) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(t.Tenant).Str(t.Reference).I64(t.AmountMicros).Str(t.Method).I64(t.At)
	return appendTxBody(e, &t.Transaction)
}

func decodeTopUp(b []byte, t *charging.TopUpRecord) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	t.Tenant, t.Reference, t.AmountMicros, t.Method, t.At = d.Str(), d.Str(), d.I64(), d.Str(), d.I64()
	decodeTxBody(&d, &t.Transaction)
	return d.End()
}

func appendNumber(dst []byte, n *charging.NumberState) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(n.Tenant).Str(n.Number).Str(n.Type).Strs(n.Capabilities)
	e = e.I64(n.MonthlyFeeMicros).I64(n.SetupFeeMicros).I64(n.AddedAt).I32(n.AnchorDay)
	return e.I64(n.NextRenewalAt).Str(n.Status).Boolean(n.Deleted)
}

func decodeNumber(b []byte, n *charging.NumberState) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	n.Tenant, n.Number, n.Type, n.Capabilities = d.Str(), d.Str(), d.Str(), d.Strs()
	n.MonthlyFeeMicros, n.SetupFeeMicros, n.AddedAt, n.AnchorDay = d.I64(), d.I64(), d.I64(), d.I32()
	n.NextRenewalAt, n.Status, n.Deleted = d.I64(), d.Str(), d.Boolean()
	return d.End()
}

func appendTariff(dst []byte, t *charging.TariffRecord) []byte {
	return codec.Enc(append(dst, valueV1)).Str(t.ID).I64(t.Version).Raw(t.Doc).I64(t.At)
}

func decodeTariff(b []byte, t *charging.TariffRecord) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	t.ID, t.Version = d.Str(), d.I64()
	if doc := d.Bytes(); doc != nil {
		t.Doc = append([]byte(nil), doc...)
	}
	t.At = d.I64()
	return d.End()
}

func appendKeyRecord(dst []byte, k *charging.KeyRecord) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(k.ID).Raw(k.Hash[:]).Str(k.Name).Str(k.Role).Str(k.Tenant)
	return e.I64(k.CreatedAt).Boolean(k.Deleted)
}

func decodeKeyRecord(b []byte, k *charging.KeyRecord) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	k.ID = d.Str()
	if h := d.Bytes(); len(h) == len(k.Hash) {
		copy(k.Hash[:], h)
	} else {
		d.Fail()
	}
	k.Name, k.Role, k.Tenant, k.CreatedAt, k.Deleted = d.Str(), d.Str(), d.Str(), d.I64(), d.Boolean()
	return d.End()
}

func appendRole(dst []byte, r *charging.RoleRecord) []byte {
	return codec.Enc(append(dst, valueV1)).Str(r.Tenant).Str(r.Name).Strs(r.Permissions)
}

func decodeRole(b []byte, r *charging.RoleRecord) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	r.Tenant, r.Name, r.Permissions = d.Str(), d.Str(), d.Strs()
	return d.End()
}

func appendLine(e codec.Enc, l *charging.UsageLine) codec.Enc {
	return e.Str(l.Item).I64(l.Count).I64(l.QuantityMicros).Str(l.Unit).I64(l.AmountMicros)
}

func decodeLine(d *codec.Dec, l *charging.UsageLine) {
	l.Item, l.Count, l.QuantityMicros, l.Unit, l.AmountMicros = d.Str(), d.I64(), d.I64(), d.Str(), d.I64()
}

func appendInvoice(dst []byte, v *charging.Invoice) []byte {
	e := codec.Enc(append(dst, valueV1))
	e = e.Str(v.Tenant).Str(v.Number).I32(v.Month).I64(v.IssuedAt).Str(v.Currency)
	e = e.I64(v.OpeningMicros).I64(v.PaymentsMicros).U64(uint64(len(v.Lines)))
	for i := range v.Lines {
		e = appendLine(e, &v.Lines[i])
	}
	return e.I64(v.TotalMicros).I64(v.ClosingMicros)
}

func decodeInvoice(b []byte, v *charging.Invoice) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	v.Tenant, v.Number, v.Month, v.IssuedAt, v.Currency = d.Str(), d.Str(), d.I32(), d.I64(), d.Str()
	v.OpeningMicros, v.PaymentsMicros = d.I64(), d.I64()
	if n := d.Count(); n > 0 {
		v.Lines = make([]charging.UsageLine, n)
		for i := range v.Lines {
			decodeLine(&d, &v.Lines[i])
		}
	}
	v.TotalMicros, v.ClosingMicros = d.I64(), d.I64()
	return d.End()
}

// A usage value is one merge operand or a merged sum: count, quantity, amount
// and unit. See usageMerger.
func appendUsage(dst []byte, u *charging.UsageDelta) []byte {
	return codec.Enc(append(dst, valueV1)).I64(u.Count).I64(u.QuantityMicros).I64(u.AmountMicros).Str(u.Unit)
}

func decodeUsage(b []byte, l *charging.UsageLine) error {
	d := codec.NewDec(b)
	d.Version(valueV1)
	l.Count, l.QuantityMicros, l.AmountMicros, l.Unit = d.I64(), d.I64(), d.I64(), d.Str()
	return d.End()
}

// Parked record values: valueV1 + parked-at ms + reason + the raw log record
// (empty if it had already been pruned).
func appendParked(dst []byte, atMs int64, reason string, rec []byte) []byte {
	return codec.Enc(append(dst, valueV1)).I64(atMs).Str(reason).Raw(rec)
}
