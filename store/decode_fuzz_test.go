package store

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/salio/salio/charging"
)

// FuzzRedoRecord: a damaged redo record is an error, never a panic, and a
// well-formed one, re-encoded (folded: see foldRedo), replays to the same
// state as the operations written.
//
//	go test ./store -run XXX -fuzz FuzzRedoRecord -fuzztime 30s
func FuzzRedoRecord(f *testing.F) {
	var g group
	(&Store{}).appendEffect(&g, chargeEffect("acme", 1, 202610))
	(&Store{}).appendEffect(&g, chargeEffect("acme", 2, 202610))
	g.encodeRedo()
	f.Add(g.redo)
	f.Add([]byte{valueV1})
	f.Add([]byte{valueV1, byte(opDelete), 1, 'k', 0})
	f.Fuzz(func(t *testing.T, v []byte) {
		var again group
		want := newRedoModel()
		err := walkRedo(v, func(o op, key, value []byte) {
			again.addRaw(o, key, value)
			again.recs[len(again.recs)-1].deferred = true
			want.apply(o, key, value)
		})
		if err != nil {
			return
		}
		again.encodeRedo()
		got := newRedoModel()
		if err := walkRedo(again.redo, func(o op, key, value []byte) { got.apply(o, key, value) }); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again.redo, err)
		}
		if w, g := want.String(), got.String(); w != g {
			t.Fatalf("%x: replaying it gives\n%s\nreplaying it folded gives\n%s", v, w, g)
		}
	})
}

// redoModel is what replaying redo operations leaves, as Pebble would: a
// key's last Set or Delete, then its merge operands, usage deltas summed.
type redoModel map[string]*redoKey

type redoKey struct {
	base    string // after the last Set; "" and deleted after a Delete
	deleted bool
	usage   usageSum // decodable usage deltas merged since
	merged  int      // how many of them
	others  []string // other merge operands, in order
}

func newRedoModel() redoModel { return redoModel{} }

func (m redoModel) apply(o op, key, value []byte) {
	k := m[string(key)]
	if k == nil || o != opMerge {
		k = &redoKey{}
		m[string(key)] = k
	}
	switch {
	case o == opSet:
		k.base = string(value)
	case o == opDelete:
		k.deleted = true
	case len(key) > 0 && key[0] == kindUsage && k.usage.add(value, true) == nil:
		k.merged++
	default:
		k.others = append(k.others, fmt.Sprintf("%x", value))
	}
}

func (m redoModel) String() string {
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	for _, key := range keys {
		k := m[key]
		fmt.Fprintf(&b, "%x: base %x deleted %v", key, k.base, k.deleted)
		if k.merged > 0 {
			fmt.Fprintf(&b, " usage %+v", k.usage.line)
		}
		fmt.Fprintf(&b, " others %v\n", k.others)
	}
	return b.String()
}

// FuzzLogGroup: a damaged log key's value is an error, never a panic, and
// so is a damaged event answer or closed session in a CDR log entry.
func FuzzLogGroup(f *testing.F) {
	var c charging.CDR
	fill(&c)
	l := logBuf{first: 1, n: 1}
	l.body = enc(l.body).raw(appendCDR(nil, &c)).raw(nil)
	f.Add(appendLogGroup(nil, 5, &l), true)
	_, stop := callEffects("acme", "call-1", 1)
	l = logBuf{first: 1, n: 1}
	l.body = enc(l.body).raw(appendCDR(nil, stop.CDR)).raw(appendLogSession(nil, stop.Session))
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
			if len(answer) > 0 && answer[0] == valueClosedSession { // as recoverLogAnswers reads it
				var ss charging.SessionState
				_ = decodeSession(answer[1:], &ss)
			} else if decodeCDR(rec, &c) == nil && len(answer) > 0 {
				var a charging.EventAnswer
				_ = decodeLogAnswer(answer, &c, &a)
			}
		}
		_ = lg.d.end()
	})
}
