package store

import (
	"fmt"

	"github.com/salio/salio/charging"
)

// Recover streams the durable state into r, kind by kind, each in key order:
// every tariff version (by id, versions ascending), then every wallet, then
// sessions, numbers, event records, top-up records, keys and roles. So each
// wallet and the tariffs arrive before anything that belongs to them, as
// charging.Restorer requires. The first error (from r or a corrupt value)
// stops recovery: the engine must not serve a partial state.
//
// Records are decoded into one reused value per kind and passed by value, so
// the cost is one iterator step and one decode per record; strings are the
// only allocations.
func (s *Store) Recover(r charging.Restorer) error {
	steps := []struct {
		kind byte
		name string
		f    func(v []byte) error
	}{
		{kindTariff, "tariff", restoreWith(decodeTariff, r.RestoreTariff)},
		{kindWallet, "wallet", restoreWith(decodeWallet, r.RestoreWallet)},
		{kindSession, "session", restoreWith(decodeSession, r.RestoreSession)},
		{kindNumber, "number", restoreWith(decodeNumber, r.RestoreNumber)},
		{kindEvent, "event record", restoreWith(decodeEventAnswer, r.RestoreEvent)},
		{kindTopUp, "top-up record", restoreWith(decodeTopUp, r.RestoreTopUp)},
		{kindKey, "key", restoreWith(decodeKeyRecord, r.RestoreKey)},
		{kindRole, "role", restoreWith(decodeRole, r.RestoreRole)},
	}
	for _, st := range steps {
		err := s.scan([]byte{st.kind}, []byte{st.kind + 1}, false, func(k, v []byte) (bool, error) {
			if err := st.f(v); err != nil {
				return false, fmt.Errorf("store: recover %s %q: %w", st.name, k, err)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
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
