package charging

import (
	"sync"
	"sync/atomic"

	"github.com/salio/salio/tariff"
)

// tariffEntry is every version of one tariff; wallets point at the entry and
// rate with its current version, sessions copy what they need at start.
type tariffEntry struct {
	cur      atomic.Pointer[tariff.Tariff]
	versions []*tariff.Tariff // guarded by tariffRegistry.mu
}

func (t *tariffEntry) current() *tariff.Tariff { return t.cur.Load() }

type tariffRegistry struct {
	mu sync.RWMutex
	m  map[string]*tariffEntry
}

func (r *tariffRegistry) init() { r.m = make(map[string]*tariffEntry) }

func (r *tariffRegistry) get(id string) *tariffEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[id]
}

// install adds a version (versions arrive in ascending order).
func (r *tariffRegistry) install(t *tariff.Tariff) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.installLocked(t)
}

func (r *tariffRegistry) installLocked(t *tariff.Tariff) {
	ent := r.m[t.ID]
	if ent == nil {
		ent = &tariffEntry{}
		r.m[t.ID] = ent
	}
	ent.versions = append(ent.versions, t)
	if cur := ent.cur.Load(); cur == nil || t.Version >= cur.Version {
		ent.cur.Store(t)
	}
}

// PutTariff validates doc and stores it as the tariff's next version. A bad
// document is refused with the field named and the previous version stays.
func (e *Engine) PutTariff(doc []byte) (*tariff.Tariff, error) {
	if err := e.checkUsable(); err != nil {
		return nil, err
	}
	t, err := tariff.Parse(doc)
	if err != nil {
		return nil, tariffError(err)
	}
	// One lock over versioning and the durable write: tariff writes are rare,
	// and wallets hold their entry, so rating never waits on this lock.
	e.tariffs.mu.Lock()
	defer e.tariffs.mu.Unlock()
	t.Version = 1
	if ent := e.tariffs.m[t.ID]; ent != nil {
		cur := ent.cur.Load()
		if cur.Currency != t.Currency {
			return nil, Invalid("currency", "cannot change the currency of tariff %q (%s)", t.ID, cur.Currency)
		}
		t.Version = cur.Version + 1
	}
	rec := &TariffRecord{ID: t.ID, Version: t.Version, Doc: t.Doc, At: e.nowMs()}
	if err := e.wait(e.sink.Submit(&Effect{Tariff: rec})); err != nil {
		return nil, err
	}
	e.tariffs.installLocked(t)
	return t, nil
}

// Tariff returns the current version of a tariff.
func (e *Engine) Tariff(id string) (*tariff.Tariff, error) {
	ent := e.tariffs.get(id)
	if ent == nil {
		return nil, notFound("tariff")
	}
	return ent.current(), nil
}

func tariffError(err error) error {
	if fe, ok := err.(*tariff.FieldError); ok {
		return &InvalidError{Field: fe.Field, Msg: fe.Msg}
	}
	return &InvalidError{Msg: err.Error()}
}
