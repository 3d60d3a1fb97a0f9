package api

// Permissions and the built-in roles (spec section 7, "Keys, roles,
// permissions"). A key holds one role; a role is a set of permissions; a
// route needs one permission. Tenant-scoped keys act for their own tenant
// only; keys of tenant "*" (roles admin and switch) act for every tenant.

// perm is one permission; permSet a set of them.
type perm uint8

type permSet uint32

const (
	permTenantsRead perm = iota
	permTenantsWrite
	permWalletRead
	permWalletTopUp
	permWalletAutoRecharge
	permSessionsRead
	permSessionsWrite
	permEventsWrite
	permRatesRead
	permTariffsRead
	permTariffsWrite
	permTransactionsRead
	permUsageRead
	permInvoicesRead
	permInvoicesWrite
	permNumbersRead
	permNumbersWrite
	permKeysRead
	permKeysWrite
	permRolesRead
	permRolesWrite
	permCDRsRead
	permCount
)

var permNames = [permCount]string{
	"tenants.read", "tenants.write", "wallet.read", "wallet.topup", "wallet.auto_recharge",
	"sessions.read", "sessions.write", "events.write", "rates.read", "tariffs.read",
	"tariffs.write", "transactions.read", "usage.read", "invoices.read", "invoices.write",
	"numbers.read", "numbers.write", "keys.read", "keys.write", "roles.read", "roles.write",
	"cdrs.read",
}

func (p perm) String() string { return permNames[p] }
func (p perm) bit() permSet   { return 1 << p }

func (s permSet) has(p perm) bool { return s&p.bit() != 0 }

// subsetOf reports whether every permission of s is in t.
func (s permSet) subsetOf(t permSet) bool { return s&^t == 0 }

// names lists the permissions of s in their canonical order.
func (s permSet) names() []string {
	out := []string{}
	for p := perm(0); p < permCount; p++ {
		if s.has(p) {
			out = append(out, p.String())
		}
	}
	return out
}

func permByName(b []byte) (perm, bool) {
	for i, n := range permNames {
		if string(b) == n {
			return perm(i), true
		}
	}
	return 0, false
}

func perms(ps ...perm) permSet {
	var s permSet
	for _, p := range ps {
		s |= p.bit()
	}
	return s
}

// allTenants is the tenant of platform keys.
const allTenants = "*"

var (
	allPerms = permSet(1)<<permCount - 1
	// platformPerms only the platform (admin) holds: tenants and tariffs are
	// shared by every tenant.
	platformPerms = perms(permTenantsWrite, permTariffsWrite)
	switchPerms   = perms(permSessionsRead, permSessionsWrite, permEventsWrite, permRatesRead)
	ownerPerms    = allPerms &^ platformPerms
	managerPerms  = ownerPerms &^ perms(permRolesWrite, permWalletTopUp)
	agentPerms    = switchPerms | perms(permWalletRead, permNumbersRead)
	viewerPerms   = perms(permTenantsRead, permWalletRead, permSessionsRead, permRatesRead,
		permTariffsRead, permTransactionsRead, permUsageRead, permInvoicesRead,
		permNumbersRead, permKeysRead, permRolesRead, permCDRsRead)
)

// builtinRole is one of the roles every installation has.
type builtinRole struct {
	name     string
	perms    permSet
	platform bool // keys of this role have tenant "*"
}

var builtinRoles = []builtinRole{
	{"admin", allPerms, true},
	{"switch", switchPerms, true},
	{"owner", ownerPerms, false},
	{"manager", managerPerms, false},
	{"agent", agentPerms, false},
	{"viewer", viewerPerms, false},
}

func builtin(name string) (builtinRole, bool) {
	for _, r := range builtinRoles {
		if r.name == name {
			return r, true
		}
	}
	return builtinRole{}, false
}

// rolePerms resolves a key's role: a built-in one, or a custom role of the
// key's tenant looked up now (so that a changed role applies at once).
// Unknown roles hold nothing, and a custom role never holds the platform's
// permissions nor makes a platform key.
func (s *Server) rolePerms(tenant, role string) permSet {
	if r, ok := builtin(role); ok {
		if r.platform != (tenant == allTenants) {
			return 0
		}
		return r.perms
	}
	if tenant == allTenants {
		return 0
	}
	for _, rr := range s.eng.Roles(tenant) {
		if rr.Name == role {
			set, _ := parsePerms(rr.Permissions)
			return set &^ platformPerms
		}
	}
	return 0
}

// parsePerms parses stored permission names; unknown ones are dropped (a
// name from a newer version grants nothing here).
func parsePerms(names []string) (permSet, bool) {
	var s permSet
	ok := true
	for _, n := range names {
		p, known := permByName([]byte(n))
		if !known {
			ok = false
			continue
		}
		s |= p.bit()
	}
	return s, ok
}
