package charging

// eventRecord is an event's idempotency record as a wallet keeps it in
// memory: the answer packed into 64 bytes (EventAnswer is ~180). A busy
// wallet holds a day of these, and growing its map copies them, so their size
// is most of an event debit's cost.
type eventRecord struct {
	hash           uint64
	atMs           int64
	amountMicros   int64
	quantityMicros int64
	balanceMicros  int64
	txID           string
	segments       int32
	unit           uint8
	encoding       uint8
}

var (
	unitNames     = [...]string{"", "segment", "message", "token", "GB"}
	encodingNames = [...]string{"", "gsm7", "ucs2"}
)

func codeOf(names []string, s string) uint8 {
	for i, n := range names {
		if n == s {
			return uint8(i)
		}
	}
	return 0
}

func packEvent(a *EventAnswer) eventRecord {
	return eventRecord{
		hash: a.Hash, atMs: a.At, amountMicros: a.AmountMicros, quantityMicros: a.QuantityMicros,
		balanceMicros: a.BalanceMicros, txID: a.TransactionID, segments: int32(a.Segments),
		unit: codeOf(unitNames[:], a.Unit), encoding: codeOf(encodingNames[:], a.Encoding),
	}
}

func (r *eventRecord) answer(tenant, eventID string) EventAnswer {
	return EventAnswer{
		EventID: eventID, Tenant: tenant, Hash: r.hash, At: r.atMs, AmountMicros: r.amountMicros,
		QuantityMicros: r.quantityMicros, Unit: unitNames[r.unit], BalanceMicros: r.balanceMicros,
		TransactionID: r.txID, Segments: int64(r.segments), Encoding: encodingNames[r.encoding],
	}
}
