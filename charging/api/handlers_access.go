package api

import (
	"time"

	"github.com/salio/salio/charging"
)

// Keys and roles. The rules (spec section 7):
//   - keys of tenant "*" (roles admin and switch) only an admin makes;
//   - a tenant-scoped key makes keys for its own tenant only;
//   - no key is given a role with a permission its maker lacks, and no key
//     revokes a key whose role has a permission it lacks;
//   - custom roles belong to one tenant and never hold the platform's
//     permissions;
//   - redefining a custom role changes every key that holds it, whoever made
//     the key: the redefining key must hold every permission of the new set,
//     so it is that key (roles.write: an owner) that gives them.

func (s *Server) createKey(r *request) error {
	var b keyBody
	if err := s.decoder(r).decodeKey(&b); err != nil {
		return err
	}
	if !r.key.mayActFor(b.tenant) {
		return errForbiddenTenant
	}
	if b.tenant == allTenants && r.key.role != "admin" {
		return forbidden(`only an admin makes keys of tenant "*"`)
	}
	set, err := s.grantableRole(r, b.role, b.tenant)
	if err != nil {
		return err
	}
	if !set.subsetOf(r.key.perms) {
		return forbidden("the role has permissions this key lacks")
	}
	if b.tenant != allTenants {
		if _, err := s.eng.Tenant(b.tenant); err != nil {
			return err
		}
	}
	rec, secret, err := newKeyRecord(b)
	if err != nil {
		return err
	}
	if err := s.eng.PutKey(rec); err != nil {
		return err
	}
	e := r.begin()
	e.str("id", rec.ID)
	e.str("key", secret)
	e.str("name", rec.Name)
	e.str("role", rec.Role)
	e.str("tenant", rec.Tenant)
	e.time("created_at", rec.CreatedAt)
	return r.reply(201)
}

// grantableRole resolves the permissions of role for a key of tenant.
func (s *Server) grantableRole(r *request, role, tenant string) (permSet, error) {
	if br, ok := builtin(role); ok {
		if br.platform && tenant != allTenants {
			return 0, invalid("tenant", `keys of role `+role+` have tenant "*"`)
		}
		if !br.platform && tenant == allTenants {
			return 0, invalid("role", `keys of tenant "*" have role admin or switch`)
		}
		return br.perms, nil
	}
	if tenant == allTenants {
		return 0, invalid("role", `keys of tenant "*" have role admin or switch`)
	}
	for _, rr := range s.eng.Roles(tenant) {
		if rr.Name == role {
			set, _ := parsePerms(rr.Permissions)
			return set &^ platformPerms, nil
		}
	}
	return 0, invalid("role", "no such role")
}

func newKeyRecord(b keyBody) (charging.KeyRecord, string, error) {
	secret, err := newSecret()
	if err != nil {
		return charging.KeyRecord{}, "", err
	}
	id, err := newKeyID()
	if err != nil {
		return charging.KeyRecord{}, "", err
	}
	return charging.KeyRecord{ID: id, Hash: hashSecret(secret), Name: b.name, Role: b.role,
		Tenant: b.tenant, CreatedAt: time.Now().UnixMilli()}, secret, nil
}

// listKeys: ?tenant= ; a tenant-scoped key lists its own tenant's keys (the
// default), a platform key any tenant's or, without ?tenant, all.
func (s *Server) listKeys(r *request) error {
	q, err := parseQuery(r.ctx.QueryArgs(), "tenant")
	if err != nil {
		return err
	}
	tenant := string(q[0])
	switch {
	case tenant == "" && !r.key.platform():
		tenant = r.key.tenant
	case tenant != "" && tenant != allTenants:
		if err := checkID("tenant", q[0]); err != nil {
			return err
		}
	}
	if tenant != "" && !r.key.mayActFor(tenant) {
		return errForbiddenTenant
	}
	keys := s.eng.Keys(tenant)
	e := r.begin()
	e.arr("items")
	for i := range keys {
		e.open()
		writeKey(e, &keys[i])
		e.close()
	}
	e.closeArr()
	return r.reply(200)
}

// deleteKey revokes a key at once. A tenant-scoped key sees only its
// tenant's keys: any other id is "not found".
func (s *Server) deleteKey(r *request) error {
	if err := checkID("id", r.params[0]); err != nil {
		return err
	}
	id := r.param(0)
	target, ok := s.findKey(r, id)
	if !ok {
		return notFound("key not found")
	}
	if !s.rolePerms(target.Tenant, target.Role).subsetOf(r.key.perms) {
		return forbidden("the key's role has permissions this key lacks")
	}
	if _, err := s.eng.DeleteKey(id); err != nil {
		return err
	}
	return r.noContent()
}

func (s *Server) findKey(r *request, id string) (charging.KeyRecord, bool) {
	scope := r.key.tenant
	if r.key.platform() {
		scope = ""
	}
	for _, k := range s.eng.Keys(scope) {
		if k.ID == id {
			return k, true
		}
	}
	return charging.KeyRecord{}, false
}

// putRole creates or replaces a custom role of {t}. Keys holding it get the
// new permissions at their next request.
func (s *Server) putRole(r *request) error {
	if err := checkID("name", r.params[1]); err != nil {
		return err
	}
	name := r.param(1)
	if _, ok := builtin(name); ok {
		return invalid("name", "a built-in role cannot be redefined")
	}
	set, err := s.decoder(r).decodeRole()
	if err != nil {
		return err
	}
	if set&platformPerms != 0 {
		return invalid("permissions", "tenants.write and tariffs.write belong to the platform")
	}
	if !set.subsetOf(r.key.perms) {
		return forbidden("the role would have permissions this key lacks")
	}
	tenant := r.param(0)
	if _, err := s.eng.Tenant(tenant); err != nil {
		return err
	}
	if err := s.eng.PutRole(charging.RoleRecord{Tenant: tenant, Name: name, Permissions: set.names()}); err != nil {
		return err
	}
	e := r.begin()
	writeRole(e, tenant, name, set, false)
	return r.reply(200)
}

// listRoles lists the built-in roles a tenant's keys can hold, then its own.
func (s *Server) listRoles(r *request) error {
	tenant := r.param(0)
	if _, err := s.eng.Tenant(tenant); err != nil {
		return err
	}
	e := r.begin()
	e.arr("items")
	for _, br := range builtinRoles {
		if !br.platform {
			e.open()
			writeRole(e, tenant, br.name, br.perms, true)
			e.close()
		}
	}
	for _, rr := range s.eng.Roles(tenant) {
		set, _ := parsePerms(rr.Permissions)
		e.open()
		writeRole(e, tenant, rr.Name, set, false)
		e.close()
	}
	e.closeArr()
	return r.reply(200)
}

func writeRole(e *enc, tenant, name string, set permSet, isBuiltin bool) {
	e.str("tenant", tenant)
	e.str("name", name)
	e.arr("permissions")
	for _, n := range set.names() {
		e.elemStr(n)
	}
	e.closeArr()
	e.bool("builtin", isBuiltin)
}
