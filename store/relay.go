package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// ParkedRecord is a log record the broker refused for good, kept for an
// operator. CDR or Event holds a copy of the record (both nil if retention
// had pruned it before it was parked).
type ParkedRecord struct {
	Log      string
	Seq      uint64
	Reason   string
	ParkedAt int64 // ms
	CDR      *charging.CDR
	Event    *charging.WalletEvent
}

// Cursor returns the persisted position of a log consumer (0 if never set).
func (s *Store) Cursor(name string) (uint64, error) {
	var seq uint64
	err := s.readDB(func() error {
		var err error
		seq, err = s.getUint(appendKey1(nil, kindCursor, name))
		return err
	})
	return seq, err
}

// SetCursor persists a consumer's position, fsynced before it returns.
// Retention prunes log entries only up to the minimum of the cursors named in
// Options.LogConsumers.
func (s *Store) SetCursor(name string, seq uint64) error {
	return s.writeDirect(func(b *pebble.Batch) {
		_ = b.Set(appendKey1(nil, kindCursor, name), be64(seq), nil)
	})
}

// Park records that the entry seq of logName was refused for good, with a
// copy of it, fsynced. The relay then moves its cursor past it.
func (s *Store) Park(logName string, seq uint64, reason string) error {
	kind, ok := logKind(logName)
	if !ok {
		return charging.Invalid("log", "unknown log %q", logName)
	}
	if seq == 0 {
		return charging.Invalid("seq", "log sequence numbers start at 1")
	}
	var rec []byte
	err := s.scanLog(kind, seq-1, math.MaxUint64, func(got uint64, _ int64, r, _ []byte) (bool, error) {
		if got == seq {
			rec = append([]byte(nil), r...)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	val := appendParked(nil, s.opts.Now().UnixMilli(), reason, rec)
	return s.writeDirect(func(b *pebble.Batch) {
		_ = b.Set(appendKeySeq(nil, kindParked, logName, seq), val, nil)
	})
}

// Parked lists the parked records of logName in log order.
func (s *Store) Parked(logName string) ([]ParkedRecord, error) {
	kind, ok := logKind(logName)
	if !ok {
		return nil, charging.Invalid("log", "unknown log %q", logName)
	}
	prefix := appendKey1(nil, kindParked, logName)
	var out []ParkedRecord
	err := s.scan(prefix, prefixEnd(prefix), false, func(k, v []byte) (bool, error) {
		if len(k) != len(prefix)+8 {
			return false, fmt.Errorf("%w: parked key %q", errCorrupt, k)
		}
		p, err := decodeParked(kind, v)
		p.Log, p.Seq = logName, binary.BigEndian.Uint64(k[len(prefix):])
		out = append(out, p)
		return err == nil, err
	})
	return out, err
}

func decodeParked(kind byte, v []byte) (ParkedRecord, error) {
	d := dec{b: v}
	d.version(valueV1)
	p := ParkedRecord{ParkedAt: d.i64(), Reason: d.str()}
	rec := d.bytes()
	if err := d.end(); err != nil || len(rec) == 0 {
		return p, err
	}
	if kind == kindCDRLog {
		p.CDR = new(charging.CDR)
		return p, decodeCDR(rec, p.CDR)
	}
	p.Event = new(charging.WalletEvent)
	return p, decodeWalletEvent(rec, p.Event)
}
