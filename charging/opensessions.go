package charging

import "iter"

// openSessions is a wallet's open sessions. Most wallets carry no call or one
// or two at a time: those sit inline in the wallet, so starting and ending a
// call allocates no map and, with a million wallets, misses cache on none.
// A wallet with more calls keeps the rest in a map. Guarded by the wallet's
// shard lock.
type openSessions struct {
	inline [2]*SessionState
	more   map[string]*SessionState
}

func (o *openSessions) get(id string) *SessionState {
	for _, s := range o.inline {
		if s != nil && s.ID == id {
			return s
		}
	}
	return o.more[id] // nil map: nil
}

// put adds s, whose id is not open in this wallet.
func (o *openSessions) put(s *SessionState) {
	for i, x := range o.inline {
		if x == nil {
			o.inline[i] = s
			return
		}
	}
	if o.more == nil {
		o.more = make(map[string]*SessionState)
	}
	o.more[s.ID] = s
}

// remove drops s.
func (o *openSessions) remove(s *SessionState) {
	for i, x := range o.inline {
		if x == s {
			o.inline[i] = nil
			return
		}
	}
	delete(o.more, s.ID)
}

func (o *openSessions) len() int {
	n := len(o.more)
	for _, s := range o.inline {
		if s != nil {
			n++
		}
	}
	return n
}

// all yields every open session, in no particular order.
func (o *openSessions) all() iter.Seq[*SessionState] {
	return func(yield func(*SessionState) bool) {
		for _, s := range o.inline {
			if s != nil && !yield(s) {
				return
			}
		}
		for _, s := range o.more {
			if !yield(s) {
				return
			}
		}
	}
}
