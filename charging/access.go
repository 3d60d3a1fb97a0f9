package charging

import (
	"sort"
	"sync"
)

// accessRegistry holds API keys and custom roles. Their meaning (permissions,
// scopes) is the API's; the engine only keeps them and makes them durable.
type accessRegistry struct {
	mu     sync.RWMutex
	byID   map[string]*KeyRecord
	byHash map[[32]byte]*KeyRecord
	roles  map[string]map[string]RoleRecord // tenant → name → role
}

func (r *accessRegistry) init() {
	r.byID = make(map[string]*KeyRecord)
	r.byHash = make(map[[32]byte]*KeyRecord)
	r.roles = make(map[string]map[string]RoleRecord)
}

func (r *accessRegistry) putKey(k KeyRecord) {
	if k.Deleted {
		if old := r.byID[k.ID]; old != nil {
			delete(r.byHash, old.Hash)
			delete(r.byID, k.ID)
		}
		return
	}
	r.byID[k.ID] = &k
	r.byHash[k.Hash] = &k
}

func (r *accessRegistry) putRole(role RoleRecord) {
	m := r.roles[role.Tenant]
	if m == nil {
		m = make(map[string]RoleRecord)
		r.roles[role.Tenant] = m
	}
	m[role.Name] = role
}

// PutKey stores a new key (its secret's hash only). An existing id is a conflict.
func (e *Engine) PutKey(k KeyRecord) error {
	if err := e.checkUsable(); err != nil {
		return err
	}
	e.access.mu.Lock()
	defer e.access.mu.Unlock()
	if e.access.byID[k.ID] != nil || e.access.byHash[k.Hash] != nil {
		return conflict("key " + k.ID + " exists")
	}
	if err := e.wait(e.sink.Submit(&Effect{Key: &k})); err != nil {
		return err
	}
	e.access.putKey(k)
	return nil
}

// DeleteKey revokes a key at once.
func (e *Engine) DeleteKey(id string) (KeyRecord, error) {
	if err := e.checkUsable(); err != nil {
		return KeyRecord{}, err
	}
	e.access.mu.Lock()
	defer e.access.mu.Unlock()
	k := e.access.byID[id]
	if k == nil {
		return KeyRecord{}, notFound("key")
	}
	del := *k
	del.Deleted = true
	// Revoke in memory before the write is durable: refusing a key early is
	// safe, honouring a revoked one is not.
	e.access.putKey(del)
	if err := e.wait(e.sink.Submit(&Effect{Key: &del})); err != nil {
		return KeyRecord{}, err
	}
	return *k, nil
}

// KeyByHash finds a live key by the SHA-256 of its secret.
func (e *Engine) KeyByHash(h [32]byte) (KeyRecord, bool) {
	e.access.mu.RLock()
	defer e.access.mu.RUnlock()
	k := e.access.byHash[h]
	if k == nil {
		return KeyRecord{}, false
	}
	return *k, true
}

// Keys lists keys of tenant ("" = all), oldest first.
func (e *Engine) Keys(tenant string) []KeyRecord {
	e.access.mu.RLock()
	out := make([]KeyRecord, 0, len(e.access.byID))
	for _, k := range e.access.byID {
		if tenant == "" || k.Tenant == tenant {
			out = append(out, *k)
		}
	}
	e.access.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt != out[j].CreatedAt {
			return out[i].CreatedAt < out[j].CreatedAt
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// PutRole creates or replaces a tenant's custom role.
func (e *Engine) PutRole(r RoleRecord) error {
	if err := e.checkUsable(); err != nil {
		return err
	}
	e.access.mu.Lock()
	defer e.access.mu.Unlock()
	if err := e.wait(e.sink.Submit(&Effect{Role: &r})); err != nil {
		return err
	}
	e.access.putRole(r)
	return nil
}

// Roles lists a tenant's custom roles by name.
func (e *Engine) Roles(tenant string) []RoleRecord {
	e.access.mu.RLock()
	out := make([]RoleRecord, 0, len(e.access.roles[tenant]))
	for _, r := range e.access.roles[tenant] {
		out = append(out, r)
	}
	e.access.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
