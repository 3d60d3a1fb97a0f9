package store

import (
	"io"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// usageMergerName is stored by Pebble in the DB's OPTIONS: a DB written with
// usage operands must always be opened with this merger.
const usageMergerName = "salio.usage.sum.v1"

// usageMerger sums usage operands (count, quantity, amount) and keeps the
// newest non-empty unit. Deltas are written with batch.Merge, so concurrent
// groups never read-modify-write a sum: the sum is exact whatever the order
// in which Pebble folds operands (addition commutes), and recovery needs no
// in-memory state.
var usageMerger = &pebble.Merger{
	Name: usageMergerName,
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		m := &usageSum{}
		return m, m.add(value, true)
	},
}

type usageSum struct {
	line charging.UsageLine
}

func (m *usageSum) add(value []byte, newer bool) error {
	var l charging.UsageLine
	if err := decodeUsage(value, &l); err != nil {
		return err
	}
	m.line.Count += l.Count
	m.line.QuantityMicros += l.QuantityMicros
	m.line.AmountMicros += l.AmountMicros
	if l.Unit != "" && (newer || m.line.Unit == "") {
		m.line.Unit = l.Unit
	}
	return nil
}

func (m *usageSum) MergeNewer(value []byte) error { return m.add(value, true) }
func (m *usageSum) MergeOlder(value []byte) error { return m.add(value, false) }

func (m *usageSum) Finish(bool) ([]byte, io.Closer, error) {
	return m.appendTo(nil), nil, nil
}

// appendTo appends the sum as one usage operand.
func (m *usageSum) appendTo(dst []byte) []byte {
	d := charging.UsageDelta{Count: m.line.Count, QuantityMicros: m.line.QuantityMicros,
		AmountMicros: m.line.AmountMicros, Unit: m.line.Unit}
	return appendUsage(dst, &d)
}
