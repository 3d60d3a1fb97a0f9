package store

import (
	"fmt"
	"math"

	"github.com/salio/salio/charging"
)

// Recover streams the durable state into r, kind by kind, each in key order:
// every tariff version (by id, versions ascending), then every wallet, then
// sessions, numbers, event records and closed sessions (from the CDR log),
// top-up records, keys and roles. So each wallet and the tariffs arrive before anything that
// belongs to them, as charging.Restorer requires. The first error (from r or
// a corrupt value) stops recovery: the engine must not serve a partial state.
//
// Records are decoded into one reused value per kind and passed by value, so
// the cost is one iterator step and one decode per record; strings are the
// only allocations.
func (s *Store) Recover(r charging.Restorer) error {
	for _, step := range []func() error{
		s.recoverKind(kindTariff, "tariff", restoreWith(decodeTariff, r.RestoreTariff)),
		s.recoverKind(kindWallet, "wallet", restoreWith(decodeWallet, r.RestoreWallet)),
		s.recoverKind(kindSession, "session", restoreWith(decodeSession, r.RestoreSession)),
		s.recoverKind(kindNumber, "number", restoreWith(decodeNumber, r.RestoreNumber)),
		func() error { return s.recoverLogAnswers(r) },
		s.recoverKind(kindTopUp, "top-up record", restoreWith(decodeTopUp, r.RestoreTopUp)),
		s.recoverKind(kindKey, "key", restoreWith(decodeKeyRecord, r.RestoreKey)),
		s.recoverKind(kindRole, "role", restoreWith(decodeRole, r.RestoreRole)),
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// recoverKind returns the step that hands every record of one key kind to f.
func (s *Store) recoverKind(kind byte, name string, f func(v []byte) error) func() error {
	return func() error {
		return s.scan([]byte{kind}, []byte{kind + 1}, false, func(k, v []byte) (bool, error) {
			if err := f(v); err != nil {
				return false, fmt.Errorf("store: recover %s %q: %w", name, k, err)
			}
			return true, nil
		})
	}
}

// restoreWith adapts a decoder and a Restorer method to one value function.
func restoreWith[T any](decode func([]byte, *T) error, restore func(T) error) func([]byte) error {
	return func(v []byte) error {
		var x T
		if err := decode(v, &x); err != nil {
			return err
		}
		return restore(x)
	}
}

// recoverLogAnswers restores the event idempotency records and the closed
// sessions kept in the CDR log with the CDRs of the events they charged and
// of the sessions they closed. The log holds them for at least the retention
// window (longer while Kafka has not taken them); the engine skips or forgets
// those past it.
func (s *Store) recoverLogAnswers(r charging.Restorer) error {
	var c charging.CDR
	return s.scanLog(kindCDRLog, 0, math.MaxUint64, func(seq uint64, _ int64, rec, answer []byte) (bool, error) {
		switch {
		case len(answer) == 0:
			return true, nil
		case answer[0] == valueClosedSession:
			var ss charging.SessionState
			if err := decodeSession(answer[1:], &ss); err != nil {
				return false, fmt.Errorf("store: recover closed session (CDR log seq %d): %w", seq, err)
			}
			if err := r.RestoreClosedSession(ss); err != nil {
				return false, fmt.Errorf("store: recover closed session %s: %w", ss.ID, err)
			}
			return true, nil
		}
		var a charging.EventAnswer
		if err := decodeCDR(rec, &c); err != nil {
			return false, fmt.Errorf("store: recover event record (CDR log seq %d): %w", seq, err)
		}
		if err := decodeLogAnswer(answer, &c, &a); err != nil {
			return false, fmt.Errorf("store: recover event record (CDR log seq %d): %w", seq, err)
		}
		if err := r.RestoreEvent(a); err != nil {
			return false, fmt.Errorf("store: recover event record %s/%s: %w", a.Tenant, a.EventID, err)
		}
		return true, nil
	})
}
