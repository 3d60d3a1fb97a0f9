package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// DefaultPageLimit is used when a query's limit is <= 0; MaxPageLimit caps it.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 10000
)

var _ charging.Reader = (*Store)(nil)
var _ charging.Sink = (*Store)(nil)

func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultPageLimit
	}
	return min(limit, MaxPageLimit)
}

// scan iterates [lower, upper) forward (or backward) calling f with each key
// and value (valid only during the call) until f returns false or an error.
func (s *Store) scan(lower, upper []byte, reverse bool, f func(k, v []byte) (bool, error)) error {
	return s.readDB(func() error {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
		if err != nil {
			return err
		}
		ok := it.First()
		if reverse {
			ok = it.Last()
		}
		for ; ok; ok = step(it, reverse) {
			v, err := it.ValueAndErr()
			if err != nil {
				_ = it.Close()
				return err
			}
			more, err := f(it.Key(), v)
			if err != nil || !more {
				_ = it.Close()
				return err
			}
		}
		return it.Close()
	})
}

func step(it *pebble.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// Transactions returns up to limit transactions of tenant with Seq <
// beforeSeq (0 = from the newest), newest first, of type typ ("" = all): those
// still pending a checkpoint (the overlay), then a reverse scan over
// big-endian sequence numbers.
func (s *Store) Transactions(tenant string, beforeSeq uint64, limit int, typ string) ([]charging.Transaction, error) {
	limit = pageLimit(limit)
	s.ckptMu.RLock()
	defer s.ckptMu.RUnlock()
	pending, err := s.pendingTransactions(tenant, beforeSeq, limit, typ)
	if err != nil {
		return nil, err
	}
	lower := appendKey1(nil, kindTransaction, tenant)
	upper := prefixEnd(lower)
	if beforeSeq > 0 {
		upper = binary.BigEndian.AppendUint64(append([]byte(nil), lower...), beforeSeq)
	}
	var out []charging.Transaction
	err = s.scan(lower, upper, true, func(k, v []byte) (bool, error) {
		var t charging.Transaction
		if len(k) != len(lower)+8 {
			return false, fmt.Errorf("%w: transaction key %q", errCorrupt, k)
		}
		if err := decodeTransaction(v, tenant, binary.BigEndian.Uint64(k[len(lower):]), &t); err != nil {
			return false, err
		}
		if typ == "" || t.Type == typ {
			out = append(out, t)
		}
		return len(out) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	return mergeNewestFirst(pending, out, limit), nil
}

// Usage returns the month's (yyyymm) usage lines of tenant sorted by item,
// "payments" included: the sums of every delta written for them, in Pebble
// and still pending a checkpoint.
func (s *Store) Usage(tenant string, month int32) ([]charging.UsageLine, error) {
	prefix := appendMonth(appendKey1(nil, kindUsage, tenant), month)
	s.ckptMu.RLock() // a checkpoint moves lines from the overlay into Pebble
	defer s.ckptMu.RUnlock()
	var out []charging.UsageLine
	err := s.scan(prefix, prefixEnd(prefix), false, func(k, v []byte) (bool, error) {
		item, rest, ok := readComponent(k[len(prefix):])
		if !ok || len(rest) != 0 {
			return false, fmt.Errorf("%w: usage key %q", errCorrupt, k)
		}
		l := charging.UsageLine{Item: item}
		if err := decodeUsage(v, &l); err != nil {
			return false, err
		}
		out = append(out, l)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return s.pendingUsage(out, prefix), nil
}

// Invoices returns tenant's invoices, oldest first.
func (s *Store) Invoices(tenant string) ([]charging.Invoice, error) {
	prefix := appendKey1(nil, kindInvoice, tenant)
	var out []charging.Invoice
	err := s.scan(prefix, prefixEnd(prefix), false, func(_, v []byte) (bool, error) {
		var inv charging.Invoice
		if err := decodeInvoice(v, &inv); err != nil {
			return false, err
		}
		out = append(out, inv)
		return true, nil
	})
	return out, err
}

// Invoice returns tenant's invoice for month (yyyymm), if closed.
func (s *Store) Invoice(tenant string, month int32) (charging.Invoice, bool, error) {
	var inv charging.Invoice
	found := false
	err := s.readDB(func() error {
		v, ok, err := s.get(appendMonth(appendKey1(nil, kindInvoice, tenant), month))
		if err != nil || !ok {
			return err
		}
		found = true
		return decodeInvoice(v, &inv)
	})
	return inv, found && err == nil, err
}

// TopUp returns the durable record of a top-up reference. Top-up records are
// never deleted, so the engine asks here when its memory (a retention window)
// no longer holds a reference: a payment confirmation retried days later is
// still recognised and never credited twice.
func (s *Store) TopUp(tenant, reference string) (charging.TopUpRecord, bool, error) {
	var rec charging.TopUpRecord
	found := false
	err := s.readDB(func() error {
		v, ok, err := s.get(appendKey2(nil, kindTopUp, tenant, reference))
		if err != nil || !ok {
			return err
		}
		found = true
		return decodeTopUp(v, &rec)
	})
	return rec, found && err == nil, err
}

// CDRs returns up to limit CDRs with log seq > afterSeq, in commit order.
func (s *Store) CDRs(afterSeq uint64, limit int) ([]charging.LoggedCDR, error) {
	return s.ReadCDRs(afterSeq, limit)
}

// ReadCDRs returns up to limit CDRs with log seq > afterSeq and <= LogHead
// ("cdrs"), in commit order. Entries already pruned are skipped.
func (s *Store) ReadCDRs(afterSeq uint64, limit int) ([]charging.LoggedCDR, error) {
	var out []charging.LoggedCDR
	limit = pageLimit(limit)
	err := s.scanLog(kindCDRLog, afterSeq, s.durableCDR.Load(), func(seq uint64, _ int64, rec, _ []byte) (bool, error) {
		l := charging.LoggedCDR{Seq: seq}
		if err := decodeCDR(rec, &l.CDR); err != nil {
			return false, err
		}
		out = append(out, l)
		return len(out) < limit, nil
	})
	return out, err
}

// ReadEvents is ReadCDRs for the wallet-event log.
func (s *Store) ReadEvents(afterSeq uint64, limit int) ([]charging.LoggedEvent, error) {
	var out []charging.LoggedEvent
	limit = pageLimit(limit)
	err := s.scanLog(kindEventLog, afterSeq, s.durableEvent.Load(), func(seq uint64, _ int64, rec, _ []byte) (bool, error) {
		l := charging.LoggedEvent{Seq: seq}
		if err := decodeWalletEvent(rec, &l.Event); err != nil {
			return false, err
		}
		out = append(out, l)
		return len(out) < limit, nil
	})
	return out, err
}

// scanLog calls f with every entry of a log with seq in (afterSeq, head], in
// order, until f returns false. The head cap matters in batch mode, where
// entries are visible before they are fsynced: a relay must not publish what a
// crash could still take back. Each key holds one group's entries, keyed by
// the first one's seq, so the scan starts at the last key at or before
// afterSeq+1.
func (s *Store) scanLog(kind byte, afterSeq, head uint64, f func(seq uint64, atMs int64, rec, answer []byte) (bool, error)) error {
	if afterSeq >= head {
		return nil
	}
	upper := []byte{kind + 1}
	if head < math.MaxUint64 {
		upper = appendLogKey(nil, kind, head+1)
	}
	return s.readDB(func() error {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kind}, UpperBound: upper})
		if err != nil {
			return err
		}
		ok := it.SeekLT(appendLogKey(nil, kind, afterSeq+2)) // afterSeq < head, so no overflow
		if !ok {
			ok = it.First()
		}
		more := true
		for ; ok && more; ok = it.Next() {
			if more, err = scanLogGroup(it, kind, afterSeq, f); err != nil {
				_ = it.Close()
				return err
			}
		}
		return it.Close()
	})
}

// scanLogGroup calls f with the entries of the iterator's key after afterSeq.
func scanLogGroup(it *pebble.Iterator, kind byte, afterSeq uint64, f func(seq uint64, atMs int64, rec, answer []byte) (bool, error)) (bool, error) {
	k := it.Key()
	v, err := it.ValueAndErr()
	if err != nil {
		return false, err
	}
	if len(k) != 9 {
		return false, fmt.Errorf("%w: log key %q", errCorrupt, k)
	}
	lg, err := readLogGroup(binary.BigEndian.Uint64(k[1:]), v)
	if err != nil {
		return false, err
	}
	for i := 0; i < lg.n; i++ {
		rec, answer := lg.next(kind == kindCDRLog)
		if lg.d.err != nil {
			return false, lg.d.err
		}
		if seq := lg.first + uint64(i); seq > afterSeq {
			if more, err := f(seq, lg.atMs, rec, answer); err != nil || !more {
				return false, err
			}
		}
	}
	return true, lg.d.end()
}

// LogHead returns the last durable seq of a log (LogCDRs or LogEvents), 0 for
// an unknown name.
func (s *Store) LogHead(logName string) uint64 {
	switch logName {
	case LogCDRs:
		return s.durableCDR.Load()
	case LogEvents:
		return s.durableEvent.Load()
	}
	return 0
}
