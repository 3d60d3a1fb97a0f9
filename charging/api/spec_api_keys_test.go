package api

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpecAPIPermissionNames: the permissions are exactly SPEC 7's list, and
// a custom role may name each of them but the platform's two.
func TestSpecAPIPermissionNames(t *testing.T) {
	spec := strings.Fields(`tenants.read tenants.write wallet.read wallet.topup wallet.auto_recharge
  sessions.read sessions.write events.write rates.read tariffs.read tariffs.write
  transactions.read usage.read invoices.read invoices.write numbers.read numbers.write keys.read
  keys.write roles.read roles.write cdrs.read`)
	require.ElementsMatch(t, spec, permNames[:])

	e := newEnv(t)
	e.tenant("acme", "")
	owner := e.key("owner", "acme")
	var quoted []string
	for _, p := range spec {
		if p == "tenants.write" || p == "tariffs.write" {
			continue
		}
		quoted = append(quoted, `"`+p+`"`)
	}
	r := e.must(200, "PUT", "/v1/tenants/acme/roles/everything", owner, `{"permissions":[`+strings.Join(quoted, ",")+`]}`)
	require.Len(t, r.get("permissions"), 20)
}

// TestSpecAPIDelegation: no key can be given a role with a permission its
// maker lacks, whether the role is built in or custom, and a key that may
// write roles cannot define a role beyond its own permissions (SPEC 7 keys).
func TestSpecAPIDelegation(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	owner := e.key("owner", "acme")
	e.must(200, "PUT", "/v1/tenants/acme/roles/reader", owner, `{"permissions":["wallet.read"]}`)
	e.must(200, "PUT", "/v1/tenants/acme/roles/payer", owner, `{"permissions":["wallet.read","wallet.topup"]}`)
	e.must(200, "PUT", "/v1/tenants/acme/roles/keymaker", owner, `{"permissions":["keys.write","keys.read","wallet.read"]}`)
	e.must(200, "PUT", "/v1/tenants/acme/roles/rolemaker", owner, `{"permissions":["roles.write","roles.read","keys.write","wallet.read"]}`)

	// A custom role that can make keys: only roles within its own three.
	km := e.must(201, "POST", "/v1/keys", owner, `{"name":"km","role":"keymaker","tenant":"acme"}`).str("key")
	e.must(201, "POST", "/v1/keys", km, `{"name":"r","role":"reader","tenant":"acme"}`)
	e.must(201, "POST", "/v1/keys", km, `{"name":"r","role":"keymaker","tenant":"acme"}`)
	for _, role := range []string{"viewer", "agent", "manager", "owner", "payer", "rolemaker"} {
		requireError(t, e.do("POST", "/v1/keys", km, `{"name":"x","role":"`+role+`","tenant":"acme"}`), 403, "forbidden", "")
	}
	// A manager lacks wallet.topup and roles.write: no custom role holding one.
	mgr := e.key("manager", "acme")
	e.must(201, "POST", "/v1/keys", mgr, `{"name":"r","role":"reader","tenant":"acme"}`)
	requireError(t, e.do("POST", "/v1/keys", mgr, `{"name":"p","role":"payer","tenant":"acme"}`), 403, "forbidden", "")
	requireError(t, e.do("POST", "/v1/keys", mgr, `{"name":"p","role":"rolemaker","tenant":"acme"}`), 403, "forbidden", "")
	// A key that writes roles cannot widen a role, not even its own.
	rm := e.must(201, "POST", "/v1/keys", owner, `{"name":"rm","role":"rolemaker","tenant":"acme"}`).str("key")
	requireError(t, e.do("PUT", "/v1/tenants/acme/roles/rolemaker", rm,
		`{"permissions":["roles.write","roles.read","keys.write","wallet.read","wallet.topup"]}`), 403, "forbidden", "")
	requireError(t, e.do("PUT", "/v1/tenants/acme/roles/reader", rm, `{"permissions":["wallet.read","usage.read"]}`), 403, "forbidden", "")
	e.must(200, "PUT", "/v1/tenants/acme/roles/narrow", rm, `{"permissions":["wallet.read"]}`)
	requireError(t, e.do("POST", "/v1/tenants/acme/topups", rm, `{"amount":"1","method":"manual","reference":"x"}`), 403, "forbidden", "")
	require.Equal(t, "0.000000", e.balance("acme"))
	// Only an admin makes tenant "*" keys, even an owner asking for switch.
	requireError(t, e.do("POST", "/v1/keys", owner, `{"name":"s","role":"switch","tenant":"*"}`), 403, "forbidden", "")
	requireError(t, e.do("POST", "/v1/keys", owner, `{"name":"s","role":"admin","tenant":"*"}`), 403, "forbidden", "")
}

// TestSpecAPIKeyHashOnly: only a key's hash is stored; the engine's record
// holds its SHA-256 and no field carries the secret (SPEC 7 keys).
func TestSpecAPIKeyHashOnly(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", "")
	r := e.must(201, "POST", "/v1/keys", e.admin, `{"name":"n","role":"viewer","tenant":"acme"}`)
	secret, id := r.str("key"), r.str("id")
	for _, f := range []string{"id", "key", "name", "role", "tenant"} {
		require.Contains(t, r.body, f)
	}
	var found bool
	for _, k := range e.eng.Keys("acme") {
		if k.ID != id {
			continue
		}
		found = true
		require.Equal(t, sha256.Sum256([]byte(secret)), k.Hash)
		v := reflect.ValueOf(k)
		for i := 0; i < v.NumField(); i++ {
			require.NotContains(t, fmt.Sprint(v.Field(i).Interface()), secret, "field %s", v.Type().Field(i).Name)
		}
	}
	require.True(t, found)
	lst := e.must(200, "GET", "/v1/keys?tenant=acme", e.admin, "")
	require.NotContains(t, string(lst.raw), secret)
	for _, it := range lst.items() {
		for _, f := range []string{"id", "name", "role", "tenant", "created_at"} {
			require.Contains(t, it.(map[string]any), f)
		}
	}
}
