package api

import (
	"github.com/salio/salio/charging"
)

// Bodies of the administrative routes: tenants, top-ups, auto-recharge,
// numbers, invoices, keys and roles.

// topUpMethods are the spec's payment methods (section 4).
var topUpMethods = []string{"mpesa", "tigopesa", "airtel_money", "visa", "mastercard", "bank_transfer", "manual"}

// tenantBody is POST /v1/tenants and PATCH /v1/tenants/{t}.
type tenantBody struct {
	create charging.TenantParams
	patch  charging.TenantPatch
}

// decodeTenant decodes a tenant; patch forbids id and currency (they are
// fixed at creation: the wallet's money is in that currency).
func (d *decoder) decodeTenant(b *tenantBody, patch bool) *apiError {
	var it objIter
	if d.object(&it, "") {
		for d.next(&it) {
			d.tenantField(b, patch)
		}
	}
	if e := d.finish(); e != nil {
		return e
	}
	if !patch && b.create.ID == "" {
		d.bad("id", "required")
	}
	if !patch && b.create.Tariff == "" {
		d.bad("tariff", "required")
	}
	return d.err()
}

func (d *decoder) tenantField(b *tenantBody, patch bool) {
	c, p := &b.create, &b.patch
	key := string(d.key)
	switch {
	case key == "id" && !patch:
		c.ID, _ = d.id("id")
	case key == "currency" && !patch:
		c.Currency, _ = d.currency("currency")
	case key == "name":
		if v, ok := d.text("name", maxNameLen, limitName); ok {
			c.Name, p.Name = v, &v
		}
	case key == "tariff":
		if v, ok := d.id("tariff"); ok {
			c.Tariff, p.Tariff = v, &v
		}
	case key == "low_balance_threshold":
		if v, ok := d.money("low_balance_threshold", 0, d.maxMoney); ok {
			c.LowBalanceThresholdMicros, p.LowBalanceThresholdMicros = v, &v
		}
	case key == "grace_period_seconds":
		if v, ok := d.integer("grace_period_seconds", 0, maxGracePeriodSeconds, limitSetting); ok {
			c.GracePeriodSeconds, c.GracePeriodSet, p.GracePeriodSeconds = v, true, &v
		}
	case key == "grace_overdraft_limit":
		if v, ok := d.money("grace_overdraft_limit", 0, d.maxMoney); ok {
			c.GraceOverdraftMicros, c.GraceOverdraftSet, p.GraceOverdraftMicros = v, true, &v
		}
	case key == "max_concurrent_sessions":
		if v, ok := d.integer("max_concurrent_sessions", 0, maxConcurrentSessions, limitSetting); ok {
			c.MaxConcurrentSessions, p.MaxConcurrentSessions = v, &v
		}
	default:
		d.unknown()
	}
}

// currency reads an ISO 4217 code: three capital letters.
func (d *decoder) currency(field string) (string, bool) {
	b, ok := d.str(field)
	if !ok {
		return "", false
	}
	if len(b) != 3 || !isUpper(b[0]) || !isUpper(b[1]) || !isUpper(b[2]) {
		d.bad(field, "must be an ISO 4217 code such as USD")
		return "", false
	}
	return string(b), true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// decodeTopUp decodes POST /v1/tenants/{t}/topups.
func (d *decoder) decodeTopUp(r *charging.TopUpRequest) *apiError {
	var it objIter
	if d.object(&it, "") {
		for d.next(&it) {
			switch string(d.key) {
			case "amount":
				r.AmountMicros, _ = d.money("amount", 1, d.maxMoney)
			case "method":
				r.Method, _ = d.enum("method", topUpMethods...)
			case "reference":
				r.Reference, _ = d.id("reference")
			default:
				d.unknown()
			}
		}
	}
	if e := d.finish(); e != nil {
		return e
	}
	d.required(r.AmountMicros != 0, "amount")
	d.required(r.Method != "", "method")
	d.required(r.Reference != "", "reference")
	return d.err()
}

func (d *decoder) required(ok bool, field string) {
	if !ok {
		d.bad(field, "required")
	}
}

// decodeAutoRecharge decodes PUT /v1/tenants/{t}/auto-recharge. Enabling
// needs an amount and a method; a threshold of 0 means "below zero".
func (d *decoder) decodeAutoRecharge(a *charging.AutoRecharge) *apiError {
	var it objIter
	hasEnabled := false
	if d.object(&it, "") {
		for d.next(&it) {
			switch string(d.key) {
			case "enabled":
				a.Enabled, hasEnabled = d.boolean("enabled")
			case "threshold":
				a.ThresholdMicros, _ = d.money("threshold", 0, d.maxMoney)
			case "amount":
				a.AmountMicros, _ = d.money("amount", 1, d.maxMoney)
			case "method":
				a.Method, _ = d.enum("method", topUpMethods...)
			default:
				d.unknown()
			}
		}
	}
	if e := d.finish(); e != nil {
		return e
	}
	d.required(hasEnabled, "enabled")
	if a.Enabled {
		d.required(a.AmountMicros != 0, "amount")
		d.required(a.Method != "", "method")
	}
	return d.err()
}

// numberTypes are the spec's number types.
var numberTypes = []string{"toll_free", "premium", "normal"}

// decodeNumber decodes POST /v1/tenants/{t}/numbers. The number is kept as
// digits only (a leading '+' dropped) so that every route names it one way.
func (d *decoder) decodeNumber(r *charging.NumberRequest) *apiError {
	var it objIter
	hasMonthly := false
	if d.object(&it, "") {
		for d.next(&it) {
			switch string(d.key) {
			case "number":
				if n, ok := d.destination("number"); ok {
					r.Number = normalizeNumber(n)
				}
			case "type":
				r.Type, _ = d.enum("type", numberTypes...)
			case "capabilities":
				r.Capabilities = d.capabilities()
			case "monthly_fee":
				r.MonthlyFeeMicros, hasMonthly = d.money("monthly_fee", 0, d.maxMoney)
			case "setup_fee":
				r.SetupFeeMicros, _ = d.money("setup_fee", 0, d.maxMoney)
			default:
				d.unknown()
			}
		}
	}
	if e := d.finish(); e != nil {
		return e
	}
	d.required(r.Number != "", "number")
	d.required(r.Type != "", "type")
	d.required(hasMonthly, "monthly_fee")
	return d.err()
}

func normalizeNumber(n string) string {
	if len(n) > 0 && n[0] == '+' {
		return n[1:]
	}
	return n
}

// capabilities reads a list of capability names (ids, no duplicates).
func (d *decoder) capabilities() []string {
	var ai arrIter
	if !d.array(&ai, "capabilities") {
		return nil
	}
	out := []string{}
	for d.elem(&ai) {
		if d.elemNull("capabilities") {
			continue
		}
		v, ok := d.id("capabilities")
		if !ok {
			continue
		}
		if len(out) == maxCapabilities {
			d.setErr(overLimit(limitList, "capabilities", "at most 16 capabilities"))
			continue
		}
		if contains(out, v) {
			d.bad("capabilities", "duplicate "+v)
			continue
		}
		out = append(out, v)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decodeMonth decodes POST /v1/tenants/{t}/invoices {month}.
func (d *decoder) decodeMonth() (string, *apiError) {
	var it objIter
	month := ""
	if d.object(&it, "") {
		for d.next(&it) {
			if string(d.key) != "month" {
				d.unknown()
				continue
			}
			if b, ok := d.str("month"); ok {
				if !validMonth(b) {
					d.bad("month", "must be YYYY-MM")
				} else {
					month = string(b)
				}
			}
		}
	}
	if e := d.finish(); e != nil {
		return "", e
	}
	d.required(month != "", "month")
	return month, d.err()
}

// validMonth checks YYYY-MM with a month 01–12 and a year 2000–9999.
func validMonth(b []byte) bool {
	if len(b) != 7 || b[4] != '-' {
		return false
	}
	for i, c := range b {
		if i != 4 && (c < '0' || c > '9') {
			return false
		}
	}
	m := int(b[5]-'0')*10 + int(b[6]-'0')
	return b[0] >= '2' && m >= 1 && m <= 12
}

// keyBody is POST /v1/keys.
type keyBody struct {
	name, role, tenant string
}

func (d *decoder) decodeKey(k *keyBody) *apiError {
	var it objIter
	if d.object(&it, "") {
		for d.next(&it) {
			switch string(d.key) {
			case "name":
				k.name, _ = d.text("name", maxNameLen, limitName)
			case "role":
				k.role, _ = d.id("role")
			case "tenant":
				k.tenant, _ = d.keyTenant()
			default:
				d.unknown()
			}
		}
	}
	if e := d.finish(); e != nil {
		return e
	}
	d.required(k.role != "", "role")
	d.required(k.tenant != "", "tenant")
	return d.err()
}

// keyTenant reads a key's tenant: an id or "*" (every tenant).
func (d *decoder) keyTenant() (string, bool) {
	if d.peek() == '"' && d.literal(`"*"`) {
		return allTenants, true
	}
	return d.id("tenant")
}

// decodeRole decodes PUT /v1/tenants/{t}/roles/{name} {permissions}.
func (d *decoder) decodeRole() (permSet, *apiError) {
	var it objIter
	var set permSet
	has := false
	if d.object(&it, "") {
		for d.next(&it) {
			if string(d.key) != "permissions" {
				d.unknown()
				continue
			}
			if d.null() {
				continue // absent, as null is elsewhere: required below
			}
			has = true
			set = d.permissions()
		}
	}
	if e := d.finish(); e != nil {
		return 0, e
	}
	d.required(has, "permissions")
	return set, d.err()
}

func (d *decoder) permissions() permSet {
	var ai arrIter
	var set permSet
	n := 0
	if !d.array(&ai, "permissions") {
		return 0
	}
	for d.elem(&ai) {
		if d.elemNull("permissions") {
			continue
		}
		b, ok := d.str("permissions")
		if !ok {
			continue
		}
		p, known := permByName(b)
		switch {
		case !known:
			d.bad("permissions", "unknown permission "+string(b))
		case set.has(p):
			d.bad("permissions", "duplicate permission "+string(b))
		case n == maxPermissions:
			d.setErr(overLimit(limitList, "permissions", "too many permissions"))
		default:
			set |= p.bit()
			n++
		}
	}
	return set
}
