package store

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// overlay is what queries must see of the deferred records that no
// checkpoint has written to their keys yet: usage deltas summed by line, and
// transactions by tenant. There are two generations: the records sealed since
// the last hand-off (Store.ovNew) and those of the checkpoint being written
// (Store.ovOld). Both are guarded by Store.ovMu.
type overlay struct {
	usage map[string]map[string]*charging.UsageLine // line prefix ('u' tenant month) → item component → sum
	txs   map[string]*[]pendingTx                   // tenant → transactions, in seq order
	txBuf []byte                                    // their encoded values
}

// pendingTx locates an encoded transaction in overlay.txBuf.
type pendingTx struct {
	seq      uint64
	off, len uint32
}

func newOverlay() *overlay {
	return &overlay{usage: map[string]map[string]*charging.UsageLine{}, txs: map[string]*[]pendingTx{}}
}

// add takes one deferred record that queries read; others are ignored.
func (o *overlay) add(op op, key, value []byte) error {
	switch {
	case op == opMerge && key[0] == kindUsage:
		return o.addUsage(key, value)
	case op == opSet && key[0] == kindTransaction:
		return o.addTx(key, value)
	}
	return nil
}

func (o *overlay) addUsage(key, value []byte) error {
	prefix, item, ok := splitUsageKey(key)
	if !ok {
		return fmt.Errorf("%w: usage key %q", errCorrupt, key)
	}
	var l charging.UsageLine
	if err := decodeUsage(value, &l); err != nil {
		return err
	}
	items := o.usage[string(prefix)]
	if items == nil {
		items = map[string]*charging.UsageLine{}
		o.usage[string(prefix)] = items
	}
	sum := items[string(item)]
	if sum == nil {
		sum = &charging.UsageLine{}
		items[string(item)] = sum
	}
	sum.Count += l.Count
	sum.QuantityMicros += l.QuantityMicros
	sum.AmountMicros += l.AmountMicros
	if l.Unit != "" {
		sum.Unit = l.Unit
	}
	return nil
}

// addTx appends a transaction to its tenant's list. The list is found by the
// key's bytes (no string is made for a tenant already listed): it runs on the
// committer's path, once per transaction.
func (o *overlay) addTx(key, value []byte) error {
	tenant, rest, ok := componentView(key[1:])
	if !ok || len(rest) != 8 {
		return fmt.Errorf("%w: transaction key %q", errCorrupt, key)
	}
	p := pendingTx{seq: binary.BigEndian.Uint64(rest), off: uint32(len(o.txBuf)), len: uint32(len(value))}
	if list := o.txs[string(tenant)]; list != nil {
		*list = append(*list, p)
	} else {
		o.txs[string(tenant)] = &[]pendingTx{p}
	}
	o.txBuf = append(o.txBuf, value...)
	return nil
}

// appendUsageMerges adds one merge operand per usage line, the line's sum, to
// b (sorted, for the memtable's sake) and returns how many.
func (o *overlay) appendUsageMerges(b *pebble.Batch) int {
	prefixes := slices.Sorted(maps.Keys(o.usage))
	n := 0
	var key []byte
	for _, prefix := range prefixes {
		items := o.usage[prefix]
		for _, item := range slices.Sorted(maps.Keys(items)) {
			sum := items[item]
			key = append(append(key[:0], prefix...), item...)
			_ = b.Merge(key, appendUsage(nil, &charging.UsageDelta{Count: sum.Count, QuantityMicros: sum.QuantityMicros,
				AmountMicros: sum.AmountMicros, Unit: sum.Unit}), nil)
			n++
		}
	}
	return n
}

// eachTransaction calls f with every transaction's key and value, sorted by
// key: tenants in order, each tenant's in seq order.
func (o *overlay) eachTransaction(f func(key, value []byte)) {
	var key []byte
	for _, tenant := range slices.Sorted(maps.Keys(o.txs)) {
		for _, p := range *o.txs[tenant] {
			key = appendKeySeq(key[:0], kindTransaction, tenant, p.seq)
			f(key, o.txBuf[p.off:p.off+p.len])
		}
	}
}

// splitUsageKey splits 'u' tenant month item into the line prefix (up to the
// month) and the item component.
func splitUsageKey(k []byte) (prefix, item []byte, ok bool) {
	if len(k) == 0 || k[0] != kindUsage {
		return nil, nil, false
	}
	_, rest, ok := readComponent(k[1:])
	if !ok || len(rest) < 4 {
		return nil, nil, false
	}
	n := len(k) - len(rest) + 4
	return k[:n], k[n:], true
}

// pendingUsage adds the overlays' sums for the line prefix to lines.
func (s *Store) pendingUsage(lines []charging.UsageLine, prefix []byte) []charging.UsageLine {
	s.ovMu.Lock()
	defer s.ovMu.Unlock()
	added := false
	for _, o := range []*overlay{s.ovOld, s.ovNew} {
		if o == nil {
			continue
		}
		for itemKey, sum := range o.usage[string(prefix)] {
			item, _, _ := readComponent([]byte(itemKey))
			i := slices.IndexFunc(lines, func(l charging.UsageLine) bool { return l.Item == item })
			if i < 0 {
				lines = append(lines, charging.UsageLine{Item: item})
				i, added = len(lines)-1, true
			}
			l := &lines[i]
			l.Count += sum.Count
			l.QuantityMicros += sum.QuantityMicros
			l.AmountMicros += sum.AmountMicros
			if sum.Unit != "" {
				l.Unit = sum.Unit
			}
		}
	}
	if added {
		slices.SortFunc(lines, func(a, b charging.UsageLine) int { return strings.Compare(a.Item, b.Item) })
	}
	return lines
}

// pendingTransactions returns the overlays' transactions of tenant with seq
// < beforeSeq (0 = all) and of type typ ("" = all), newest first, at most limit.
func (s *Store) pendingTransactions(tenant string, beforeSeq uint64, limit int, typ string) ([]charging.Transaction, error) {
	s.ovMu.Lock()
	defer s.ovMu.Unlock()
	var out []charging.Transaction
	for _, o := range []*overlay{s.ovNew, s.ovOld} { // newer generation first
		if o == nil {
			continue
		}
		var txs []pendingTx
		if list := o.txs[tenant]; list != nil {
			txs = *list
		}
		for i := len(txs) - 1; i >= 0 && len(out) < limit; i-- {
			p := txs[i]
			if beforeSeq != 0 && p.seq >= beforeSeq {
				continue
			}
			var t charging.Transaction
			if err := decodeTransaction(o.txBuf[p.off:p.off+p.len], tenant, p.seq, &t); err != nil {
				return nil, err
			}
			if typ == "" || t.Type == typ {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// mergeNewestFirst merges two lists of one tenant's transactions, each newest
// first, into one, dropping a seq found in both (a checkpoint's batch of
// images can land in Pebble a moment before its overlay is dropped), and cuts
// it to limit.
func mergeNewestFirst(a, b []charging.Transaction, limit int) []charging.Transaction {
	out := make([]charging.Transaction, 0, min(limit, len(a)+len(b)))
	for len(out) < limit && (len(a) > 0 || len(b) > 0) {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0].Seq > b[0].Seq):
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0].Seq > a[0].Seq:
			out, b = append(out, b[0]), b[1:]
		default: // the same transaction in both
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}
