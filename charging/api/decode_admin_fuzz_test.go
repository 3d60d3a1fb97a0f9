package api

import (
	"bytes"
	"encoding/json"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/salio/salio/charging"
)

// Fuzz targets for the administrative bodies (tenants, auto-recharge,
// numbers, invoices, keys, roles) and the query strings of the GET routes.
// Properties as in decode_fuzz_test.go: no panic; rejections are 400 or 413;
// whatever is accepted is valid JSON, holds what encoding/json reads, and
// passes an independent restatement of every rule (spec sections 1, 4, 7).

// The spec's enumerations, restated here rather than taken from the code.
var (
	specPayMethods  = []string{"mpesa", "tigopesa", "airtel_money", "visa", "mastercard", "bank_transfer", "manual"}
	specNumberTypes = []string{"toll_free", "premium", "normal"}
	specPermissions = strings.Fields(`tenants.read tenants.write wallet.read wallet.topup
		wallet.auto_recharge sessions.read sessions.write events.write rates.read tariffs.read
		tariffs.write transactions.read usage.read invoices.read invoices.write numbers.read
		numbers.write keys.read keys.write roles.read roles.write cdrs.read`)

	moneyShape    = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,6})?$`)
	currencyShape = regexp.MustCompile(`^[A-Z]{3}$`)
	numberShape   = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
	monthShape    = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
)

// rejected checks a decoder's refusal: 400 or 413 only.
func rejected(t *testing.T, err *apiError) {
	t.Helper()
	require.Contains(t, []int{400, 413}, err.status, "%v", err)
}

// refObject is encoding/json's reading of an accepted body (numbers kept
// as written), and refuses any key outside allowed.
func refObject(t *testing.T, body []byte, allowed ...string) map[string]any {
	t.Helper()
	require.True(t, json.Valid(body), "accepted invalid JSON %q", body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	require.NotNil(t, m, "accepted a non-object")
	for k := range m {
		require.Contains(t, allowed, k, "unknown field accepted")
	}
	return m
}

// refString: absent or null → ok false; otherwise it must be a string.
func refString(t *testing.T, m map[string]any, key string) (string, bool) {
	t.Helper()
	v, ok := m[key]
	if !ok || v == nil {
		return "", false
	}
	s, isStr := v.(string)
	require.True(t, isStr, "%s: %T accepted", key, v)
	return s, true
}

// refMoney: a decimal string, at most 6 decimals, in [lo, hi] micro-units,
// computed exactly with big.Rat.
func refMoney(t *testing.T, m map[string]any, key string, lo, hi int64) (int64, bool) {
	t.Helper()
	s, ok := refString(t, m, key)
	if !ok {
		return 0, false
	}
	require.Regexp(t, moneyShape, s, key)
	r, ok := new(big.Rat).SetString(s)
	require.True(t, ok, key)
	r.Mul(r, big.NewRat(1_000_000, 1))
	require.True(t, r.IsInt(), key)
	n := r.Num()
	require.True(t, n.IsInt64(), key)
	v := n.Int64()
	require.True(t, v >= lo && v <= hi, "%s = %d outside [%d, %d]", key, v, lo, hi)
	return v, true
}

// refInt: a JSON whole number in [lo, hi].
func refInt(t *testing.T, m map[string]any, key string, lo, hi int64) (int64, bool) {
	t.Helper()
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false
	}
	num, isNum := v.(json.Number)
	require.True(t, isNum, "%s: %T accepted", key, v)
	n, ok := new(big.Int).SetString(string(num), 10)
	require.True(t, ok, "%s: %s is not a whole number", key, num)
	require.True(t, n.IsInt64() && n.Int64() >= lo && n.Int64() <= hi, "%s = %s outside [%d, %d]", key, num, lo, hi)
	return n.Int64(), true
}

func ptrIf[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

// refArray: absent or null → ok false; otherwise it must be an array.
func refArray(t *testing.T, m map[string]any, key string) ([]any, bool) {
	t.Helper()
	v, ok := m[key]
	if !ok || v == nil {
		return nil, false
	}
	a, isArr := v.([]any)
	require.True(t, isArr, "%s: %T accepted", key, v)
	return a, true
}

// Bodies no route accepts, added to every target's seeds.
var adminJunkSeeds = []string{
	``,
	`null`,
	`[]`,
	`"x"`,
	`{}`,
	`{"a":[{"b":[1,2,{"c":null}]}],"d":-0.5e-3}`,
	`{"name":"a","name":"b"}`,
	`{"n\u0061me":"a","name":"b"}`,
	`{"name":"\ud800\udc00\"\\\/\b\f\n\r\t"}`,
	`{"amount":99999999999999999999}`,
	`{"amount":"99999999999999999999.5"}`,
	`{"month":"2024-01"} {}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
	` { "enabled" : true } `,
	"{}\x00",
	"{\"month\":\"2024-01\"}\x00{\"x\":[",
}

func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range append(seeds, adminJunkSeeds...) {
		f.Add([]byte(s))
	}
}

var tenantSeeds = []string{
	`{"id":"acme","name":"Acme Ltd","currency":"TZS","tariff":"standard","low_balance_threshold":"10.00","grace_period_seconds":300,"grace_overdraft_limit":"5.5","max_concurrent_sessions":20}`,
	`{"id":"a84b4c76e66710@pc33.example.com","tariff":"t-1:x_y"}`,
	`{"id":"acme","tariff":"std","currency":null,"name":null,"low_balance_threshold":null,"grace_period_seconds":null}`,
	`{"name":"Renamed \u00e9\ud83d\ude00","tariff":"premium","max_concurrent_sessions":0}`,
	`{"low_balance_threshold":"0","grace_overdraft_limit":"1000000","grace_period_seconds":86400}`,
	`{"id":"acme","tariff":"std","currency":"usd"}`,
	`{"id":"acme","tariff":"std","currency":"US"}`,
	`{"id":"acme","tariff":"std","grace_period_seconds":1e2}`,
	`{"id":"acme","tariff":"std","grace_period_seconds":-0}`,
	`{"id":"acme","tariff":"std","grace_period_seconds":86401}`,
	`{"id":"acme","tariff":"std","max_concurrent_sessions":-99999999999999999999}`,
	`{"id":"acme","tariff":"std","low_balance_threshold":"-1"}`,
	`{"id":"acme","tariff":"std","low_balance_threshold":"1000000.000001"}`,
	`{"id":"acme","tariff":"std","grace_overdraft_limit":"1.1234567"}`,
	`{"id":"acme","tariff":"std","low_balance_threshold":12.5}`,
	`{"id":"ac me","tariff":"std"}`,
	`{"id":"acme","tariff":"std","id":"evil"}`,
	`{"id":"acme","tariff":{"x":[1,{"y":null}]}}`,
	`{"id":"","tariff":"std"}`,
}

func checkTenant(t *testing.T, body []byte, b *tenantBody, patch bool) {
	t.Helper()
	keys := []string{"name", "tariff", "low_balance_threshold", "grace_period_seconds",
		"grace_overdraft_limit", "max_concurrent_sessions"}
	if !patch {
		keys = append(keys, "id", "currency")
	}
	m := refObject(t, body, keys...)
	c, p := &b.create, &b.patch
	name, hasName := refString(t, m, "name")
	require.LessOrEqual(t, len(name), maxNameLen)
	tariff, hasTariff := refString(t, m, "tariff")
	require.True(t, !hasTariff || validID(tariff), "tariff %q", tariff)
	low, hasLow := refMoney(t, m, "low_balance_threshold", 0, defaultMaxTopUpMicros)
	grace, hasGrace := refInt(t, m, "grace_period_seconds", 0, maxGracePeriodSeconds)
	over, hasOver := refMoney(t, m, "grace_overdraft_limit", 0, defaultMaxTopUpMicros)
	conc, hasConc := refInt(t, m, "max_concurrent_sessions", 0, maxConcurrentSessions)
	if patch {
		require.Empty(t, c.ID)
		require.Empty(t, c.Currency)
		require.Equal(t, ptrIf(name, hasName), p.Name)
		require.Equal(t, ptrIf(tariff, hasTariff), p.Tariff)
		require.Equal(t, ptrIf(low, hasLow), p.LowBalanceThresholdMicros)
		require.Equal(t, ptrIf(grace, hasGrace), p.GracePeriodSeconds)
		require.Equal(t, ptrIf(over, hasOver), p.GraceOverdraftMicros)
		require.Equal(t, ptrIf(conc, hasConc), p.MaxConcurrentSessions)
	} else {
		id, hasID := refString(t, m, "id")
		require.True(t, hasID && validID(id), "id %q", id)
		require.True(t, hasTariff, "tariff is required")
		cur, hasCur := refString(t, m, "currency")
		require.True(t, !hasCur || currencyShape.MatchString(cur), "currency %q", cur)
		want := charging.TenantParams{ID: id, Name: name, Currency: cur, Tariff: tariff,
			LowBalanceThresholdMicros: low, GracePeriodSeconds: grace, GracePeriodSet: hasGrace,
			GraceOverdraftMicros: over, GraceOverdraftSet: hasOver, MaxConcurrentSessions: conc}
		require.Equal(t, want, *c)
	}
	sameStrings(t, body, map[string]string{"id": c.ID, "currency": c.Currency, "name": c.Name, "tariff": c.Tariff})
}

func FuzzDecodeTenantCreate(f *testing.F) { fuzzTenant(f, false) }

func FuzzDecodeTenantPatch(f *testing.F) { fuzzTenant(f, true) }

func fuzzTenant(f *testing.F, patch bool) {
	addSeeds(f, tenantSeeds...)
	f.Fuzz(func(t *testing.T, body []byte) {
		var b tenantBody
		if err := newTestDecoder(body).decodeTenant(&b, patch); err != nil {
			rejected(t, err)
			return
		}
		checkTenant(t, body, &b, patch)
	})
}

func FuzzDecodeAutoRecharge(f *testing.F) {
	addSeeds(f,
		`{"enabled":true,"threshold":"5.00","amount":"20.00","method":"mpesa"}`,
		`{"enabled":false}`,
		`{"enabled":false,"threshold":null,"amount":null,"method":null}`,
		`{"enabled":true,"threshold":"0","amount":"0.000001","method":"bank_transfer"}`,
		`{"enabled":true,"amount":"1000000","method":"airtel_money"}`,
		`{"enabled":true,"amount":"1000000.000001","method":"visa"}`,
		`{"enabled":true,"threshold":"1","method":"visa"}`,
		`{"enabled":true,"amount":"1","method":"paypal"}`,
		`{"enabled":true,"amount":"0","method":"manual"}`,
		`{"enabled":"true","amount":"1","method":"manual"}`,
		`{"enabled":1,"amount":"1","method":"manual"}`,
		`{"enabled":null,"amount":"1","method":"manual"}`,
		`{"enabled":true,"amount":1,"method":"manual"}`,
		`{"enabled":true,"amount":"1","method":"m\u0061nual"}`,
		`{"enabled":true,"enabled":false}`,
		`{"enabled":tru}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		var a charging.AutoRecharge
		if err := newTestDecoder(body).decodeAutoRecharge(&a); err != nil {
			rejected(t, err)
			return
		}
		m := refObject(t, body, "enabled", "threshold", "amount", "method")
		enabled, isBool := m["enabled"].(bool)
		require.True(t, isBool, "enabled must be true or false, got %v", m["enabled"])
		threshold, _ := refMoney(t, m, "threshold", 0, defaultMaxTopUpMicros)
		amount, hasAmount := refMoney(t, m, "amount", 1, defaultMaxTopUpMicros)
		method, hasMethod := refString(t, m, "method")
		require.True(t, !hasMethod || contains(specPayMethods, method), "method %q", method)
		if enabled {
			require.True(t, hasAmount && amount > 0, "enabled without an amount")
			require.True(t, hasMethod, "enabled without a method")
		}
		require.Equal(t, charging.AutoRecharge{Enabled: enabled, ThresholdMicros: threshold,
			AmountMicros: amount, Method: method}, a)
	})
}

func FuzzDecodeNumber(f *testing.F) {
	addSeeds(f,
		`{"number":"+255222123456","type":"toll_free","capabilities":["voice","sms"],"monthly_fee":"15.00","setup_fee":"50.00"}`,
		`{"number":"255222123456","type":"normal","monthly_fee":"0"}`,
		`{"number":"1","type":"premium","capabilities":[],"monthly_fee":"1000000","setup_fee":null}`,
		`{"number":"12345678901234567890123456789012","type":"normal","capabilities":null,"monthly_fee":"0.000001"}`,
		`{"number":"123456789012345678901234567890123","type":"normal","monthly_fee":"1"}`,
		`{"number":"+","type":"normal","monthly_fee":"1"}`,
		`{"number":"++1","type":"normal","monthly_fee":"1"}`,
		`{"number":255,"type":"normal","monthly_fee":"1"}`,
		`{"number":"1","type":"mobile","monthly_fee":"1"}`,
		`{"number":"1","type":"normal"}`,
		`{"number":"1","type":"normal","monthly_fee":null}`,
		`{"number":"1","type":"normal","monthly_fee":"-1"}`,
		`{"number":"1","type":"normal","monthly_fee":15}`,
		`{"number":"1","type":"normal","monthly_fee":"1","capabilities":["voice","vo\u0069ce"]}`,
		`{"number":"1","type":"normal","monthly_fee":"1","capabilities":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`,
		`{"number":"1","type":"normal","monthly_fee":"1","capabilities":"voice"}`,
		`{"number":"1","type":"normal","monthly_fee":"1","capabilities":[["voice"],{"a":1}]}`,
		`{"number":"1","type":"normal","monthly_fee":"1","capabilities":["fax",1]}`,
		`{"number":"1","type":"normal","monthly_fee":"1","capabilities":["voice",null]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		var r charging.NumberRequest
		if err := newTestDecoder(body).decodeNumber(&r); err != nil {
			rejected(t, err)
			return
		}
		m := refObject(t, body, "number", "type", "capabilities", "monthly_fee", "setup_fee")
		number, _ := refString(t, m, "number")
		require.Regexp(t, numberShape, number)
		typ, _ := refString(t, m, "type")
		require.Contains(t, specNumberTypes, typ)
		monthly, hasMonthly := refMoney(t, m, "monthly_fee", 0, defaultMaxTopUpMicros)
		require.True(t, hasMonthly, "monthly_fee is required")
		setup, _ := refMoney(t, m, "setup_fee", 0, defaultMaxTopUpMicros)
		var caps []string
		if list, ok := refArray(t, m, "capabilities"); ok {
			caps = []string{}
			for _, v := range list {
				s, isStr := v.(string)
				require.True(t, isStr, "capability %v accepted", v)
				require.True(t, validID(s), "capability %q", s)
				require.NotContains(t, caps, s, "duplicate capability")
				caps = append(caps, s)
			}
			require.LessOrEqual(t, len(caps), maxCapabilities)
		}
		require.Equal(t, charging.NumberRequest{Number: strings.TrimPrefix(number, "+"), Type: typ,
			Capabilities: caps, MonthlyFeeMicros: monthly, SetupFeeMicros: setup}, r)
	})
}

func FuzzDecodeMonth(f *testing.F) {
	addSeeds(f,
		`{"month":"2024-01"}`,
		`{"month":"9999-12"}`,
		`{"month":"2000-01"}`,
		`{"month":"1999-12"}`,
		`{"month":"2024-00"}`,
		`{"month":"2024-13"}`,
		`{"month":"2024-1"}`,
		`{"month":"2024/01"}`,
		`{"month":"+024-01"}`,
		`{"month":"\u0032024-0\u0031"}`,
		`{"month":null}`,
		`{"month":202401}`,
		`{"month":"2024-01","month":"2024-02"}`,
		`{"month":"2024-01","x":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		month, err := newTestDecoder(body).decodeMonth()
		if err != nil {
			rejected(t, err)
			return
		}
		m := refObject(t, body, "month")
		want, ok := refString(t, m, "month")
		require.True(t, ok, "month is required")
		require.Regexp(t, monthShape, want)
		require.GreaterOrEqual(t, want[:4], "2000")
		require.Equal(t, want, month)
	})
}

func FuzzDecodeKey(f *testing.F) {
	addSeeds(f,
		`{"name":"billing gateway","role":"switch","tenant":"*"}`,
		`{"name":"ops","role":"viewer","tenant":"acme"}`,
		`{"role":"custom.role-1","tenant":"a84b4c76e66710@pc33.example.com"}`,
		`{"name":null,"role":"owner","tenant":"acme"}`,
		`{"name":"","role":"owner","tenant":"acme"}`,
		`{"role":"owner","tenant":"\u002a"}`,
		`{"role":"owner","tenant":"**"}`,
		`{"role":"owner","tenant":"*x"}`,
		`{"role":"owner","tenant":null}`,
		`{"role":"owner"}`,
		`{"role":"own er","tenant":"acme"}`,
		`{"role":"owner","tenant":"acme","secret":"x"}`,
		`{"role":["owner"],"tenant":"acme"}`,
		`{"role":"owner","tenant":"*","tenant":"acme"}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		var k keyBody
		if err := newTestDecoder(body).decodeKey(&k); err != nil {
			rejected(t, err)
			return
		}
		m := refObject(t, body, "name", "role", "tenant")
		name, _ := refString(t, m, "name")
		require.LessOrEqual(t, len(name), maxNameLen)
		role, _ := refString(t, m, "role")
		require.True(t, validID(role), "role %q", role)
		tenant, _ := refString(t, m, "tenant")
		require.True(t, tenant == "*" || validID(tenant), "tenant %q", tenant)
		require.Equal(t, keyBody{name: name, role: role, tenant: tenant}, k)
		sameStrings(t, body, map[string]string{"name": k.name, "role": k.role, "tenant": k.tenant})
	})
}

func FuzzDecodeRole(f *testing.F) {
	addSeeds(f,
		`{"permissions":["wallet.read","numbers.read","numbers.write"]}`,
		`{"permissions":["tenants.read","tenants.write","wallet.read","wallet.topup","wallet.auto_recharge","sessions.read","sessions.write","events.write","rates.read","tariffs.read","tariffs.write","transactions.read","usage.read","invoices.read","invoices.write","numbers.read","numbers.write","keys.read","keys.write","roles.read","roles.write","cdrs.read"]}`,
		`{"permissions":[]}`,
		`{"permissions":["wallet.read","wallet.read"]}`,
		`{"permissions":["wallet.read","w\u0061llet.read"]}`,
		`{"permissions":["wallet.*"]}`,
		`{"permissions":["WALLET.READ"]}`,
		`{"permissions":"wallet.read"}`,
		`{"permissions":[1,true,{}]}`,
		`{"permissions":["wallet.read"],"permissions":[]}`,
		`{"perms":["wallet.read"]}`,
		`{"permissions":null}`,
		`{"permissions":["wallet.read",null]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := newTestDecoder(body).decodeRole()
		if err != nil {
			rejected(t, err)
			return
		}
		m := refObject(t, body, "permissions")
		list, ok := refArray(t, m, "permissions")
		require.True(t, ok, "permissions is required and must be a list")
		var names []string
		for _, v := range list {
			s, isStr := v.(string)
			require.True(t, isStr, "permission %v accepted", v)
			require.Contains(t, specPermissions, s)
			require.NotContains(t, names, s, "duplicate permission")
			names = append(names, s)
		}
		require.ElementsMatch(t, names, set.names())
	})
}

// The GET routes' query parameters, as their handlers name them.
var queryRoutes = [][]string{
	{"limit", "cursor", "type"}, // transactions
	{"month"},                   // usage
	{"after", "limit"},          // cdrs
	{"tenant"},                  // keys
	{},                          // numbers, invoices (noQuery)
}

// FuzzParseQuery: parseQuery accepts only the route's own parameters, each
// at most once, and returns exactly their values; a limit it passes on is
// accepted by pageLimit only within 1..1000.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"limit=50&cursor=abc&type=topup", "type=charge", "month=2024-01", "after=12&limit=1000",
		"tenant=acme", "tenant=*", "tenant=%2A", "limit=1&limit=2", "limit=&limit=", "limit",
		"limit=%31%30", "a=b", "", "&&", "=x", "limit=50&", "type=topup;limit=3", "limit=+5",
		"limit=0", "limit=1001", "limit=99999999999999999999", "limit=%zz", "cursor=" + strings.Repeat("9", 200),
		"li%6Dit=5", "month=2024-13", "after=-1&limit=5", "limit=5#frag", "limit=1+0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		var args fasthttp.Args
		args.Parse(q)
		for _, names := range queryRoutes {
			vals, err := parseQuery(&args, names...)
			if err != nil {
				ae, ok := err.(*apiError)
				require.True(t, ok, "%T", err)
				require.Equal(t, 400, ae.status)
				continue
			}
			require.Len(t, vals, len(names))
			present := 0
			for i, n := range names {
				multi := args.PeekMulti(n)
				require.LessOrEqual(t, len(multi), 1, "%s given twice, accepted", n)
				if len(multi) == 0 {
					require.Nil(t, vals[i])
					continue
				}
				present++
				require.NotNil(t, vals[i])
				require.Equal(t, string(multi[0]), string(vals[i]))
				switch n {
				case "limit":
					checkPageLimit(t, vals[i])
				case "month": // the usage route checks it with validMonth
					want := monthShape.Match(vals[i]) && string(vals[i][:4]) >= "2000"
					require.Equal(t, want, validMonth(vals[i]), "month %q", vals[i])
				}
			}
			require.Equal(t, args.Len(), present, "unknown parameter accepted in %q", q)
		}
	})
}

// checkPageLimit: empty means the default; anything else accepted is a
// whole number 1..1000.
func checkPageLimit(t *testing.T, b []byte) {
	t.Helper()
	n, err := pageLimit(b, defaultPageLimit)
	if err != nil {
		ae, ok := err.(*apiError)
		require.True(t, ok, "%T", err)
		require.Equal(t, 400, ae.status)
		return
	}
	if len(b) == 0 {
		require.Equal(t, defaultPageLimit, n)
		return
	}
	v, ok := new(big.Int).SetString(string(b), 10)
	require.True(t, ok, "limit %q is not a whole number", b)
	require.True(t, v.IsInt64() && v.Int64() >= 1 && v.Int64() <= maxPageLimit, "limit %q", b)
	require.Equal(t, v.Int64(), int64(n))
}

func FuzzPageLimit(f *testing.F) {
	for _, s := range []string{"", "1", "50", "1000", "0", "1001", "-1", "+5", "007", " 5", "5 ",
		"1e3", "0x10", "1_000", "99999999999999999999", "-99999999999999999999", "٣"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkPageLimit(t, b) })
}
