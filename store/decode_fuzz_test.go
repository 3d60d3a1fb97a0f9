package store

import (
	"fmt"
	"testing"

	"github.com/salio/salio/charging"
)

// FuzzRedoRecord: a damaged redo record is an error, never a panic, and a
// well-formed one gives back exactly the operations written.
//
//	go test ./store -run XXX -fuzz FuzzRedoRecord -fuzztime 30s
func FuzzRedoRecord(f *testing.F) {
	var g group
	(&Store{}).appendEffect(&g, chargeEffect("acme", 1, 202610))
	g.encodeRedo()
	f.Add(g.redo)
	f.Add([]byte{valueV1})
	f.Add([]byte{valueV1, byte(opDelete), 1, 'k', 0})
	f.Fuzz(func(t *testing.T, v []byte) {
		var again group
		var ops []string
		err := walkRedo(v, func(o op, key, value []byte) {
			again.addRaw(o, key, value)
			again.recs[len(again.recs)-1].deferred = true
			ops = append(ops, fmt.Sprintf("%d %x %x", o, key, value))
		})
		if err != nil {
			return
		}
		again.encodeRedo()
		var reread []string
		if err := walkRedo(again.redo, func(o op, key, value []byte) {
			reread = append(reread, fmt.Sprintf("%d %x %x", o, key, value))
		}); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again.redo, err)
		}
		if fmt.Sprint(ops) != fmt.Sprint(reread) {
			t.Fatalf("%x: %v, re-encoded: %v", v, ops, reread)
		}
	})
}

// FuzzLogGroup: a damaged log key's value is an error, never a panic.
func FuzzLogGroup(f *testing.F) {
	var c charging.CDR
	fill(&c)
	l := logBuf{first: 1, n: 1}
	l.body = enc(l.body).raw(appendCDR(nil, &c)).raw(nil)
	f.Add(appendLogGroup(nil, 5, &l), true)
	f.Add([]byte{valueV1, 0, 0}, false)
	f.Fuzz(func(t *testing.T, v []byte, cdrLog bool) {
		lg, err := readLogGroup(1, v)
		if err != nil {
			return
		}
		for i := 0; i < lg.n && lg.d.err == nil; i++ {
			rec, answer := lg.next(cdrLog)
			var c charging.CDR
			if decodeCDR(rec, &c) == nil && len(answer) > 0 {
				var a charging.EventAnswer
				_ = decodeLogAnswer(answer, &c, &a)
			}
		}
		_ = lg.d.end()
	})
}
