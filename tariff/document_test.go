package tariff

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// minimal is the smallest valid document; cases below add to it.
const minimal = `{"id":"t1","currency":"USD"}`

func TestParseDefaults(t *testing.T) {
	tr, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if tr.DefaultQuotaSeconds != 300 {
		t.Errorf("default quota = %d, want 300", tr.DefaultQuotaSeconds)
	}
	want := []Tier{{Name: "standard", MinSpendMicros: 0, MultiplierMicros: MultiplierOne}}
	if !reflect.DeepEqual(tr.Tiers(), want) {
		t.Errorf("implicit tiers = %+v", tr.Tiers())
	}
	wantDoc := `{"id":"t1","currency":"USD","default_quota_seconds":300,` +
		`"tiers":[{"name":"standard","min_spend":"0","multiplier":"1.00"}]}`
	if string(tr.Doc) != wantDoc {
		t.Errorf("Doc = %s\nwant  %s", tr.Doc, wantDoc)
	}
	if _, err := tr.Voice(Outbound, "1"); !errors.Is(err, ErrNoRate) {
		t.Errorf("voice in an empty tariff: %v", err)
	}
}

func TestStandard(t *testing.T) {
	std := Standard()
	if std != Standard() {
		t.Error("Standard() parses again on each call")
	}
	if std.ID != "standard" || std.Currency != "USD" || std.DefaultQuotaSeconds != 300 || std.Version != 0 {
		t.Errorf("standard header: %+v", std)
	}
	again, err := Parse(std.Doc)
	if err != nil || !bytes.Equal(again.Doc, std.Doc) {
		t.Fatalf("Parse(standard.Doc): %v", err)
	}
	ivr, _ := std.IVR()
	if ivr != (VoiceRate{PerMinutePicos: 10_000_000_000, FeePicos: 20_000_000_000, InitialIncrement: 60, SubsequentIncrement: 60}) {
		t.Errorf("IVR = %+v", ivr)
	}
	if gb, ok := std.Storage(); !ok || FormatPicos(gb) != "0.0230" {
		t.Errorf("storage = %s, %v", FormatPicos(gb), ok)
	}
	if r, _, _ := std.WhatsApp("service", "1"); r != 0 {
		t.Errorf("whatsapp service = %d", r)
	}
	want := []Tier{
		{"bronze", 0, 1_000_000},
		{"silver", 100_000_000, 950_000},
		{"gold", 1_000_000_000, 900_000},
		{"platinum", 10_000_000_000, 850_000},
	}
	if !reflect.DeepEqual(std.Tiers(), want) {
		t.Errorf("tiers = %+v", std.Tiers())
	}
}

// TestParseRejects names the field of each kind of bad document. Each case
// edits the standard document (old → new) or gives a whole document.
func TestParseRejects(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(standardDoc, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(standardDoc, old, new, 1)
	}
	const outbound44 = `{"direction": "outbound", "prefix": "44",   "per_minute": "0.0300", "connection_fee": "0",      "initial_increment": 1,  "subsequent_increment": 1}`
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", `{"id": "x",`, "document: invalid JSON at byte 11: unexpected end of JSON input"},
		{"trailing garbage", minimal + "x", "document: invalid JSON"},
		{"not an object", `[]`, "document: must be an object"},
		{"empty", ``, "document: invalid JSON"},
		{"unknown top field", `{"id":"t","currency":"USD","rates":[]}`, "rates: unknown field"},
		{"keys are case sensitive", `{"id":"t","Currency":"USD"}`, "Currency: unknown field"},
		{"duplicate key", `{"id":"t","id":"u","currency":"USD"}`, "id: duplicate field"},
		{"id missing", `{"currency":"USD"}`, "id: required"},
		{"id bad char", `{"id":"a b","currency":"USD"}`, "id: must be 1-128 characters"},
		{"id too long", `{"id":"` + strings.Repeat("x", 129) + `","currency":"USD"}`, "id: must be 1-128"},
		{"id not a string", `{"id":7,"currency":"USD"}`, "id: must be a string"},
		{"currency missing", `{"id":"t"}`, "currency: required"},
		{"currency null", `{"id":"t","currency":null}`, "currency: required"},
		{"currency lowercase", `{"id":"t","currency":"usd"}`, "currency: must be an ISO 4217 code"},
		{"currency long", `{"id":"t","currency":"USDT"}`, "currency: must be an ISO 4217 code"},
		{"quota zero", edit(`"default_quota_seconds": 300`, `"default_quota_seconds": 0`), "default_quota_seconds: must be >= 1"},
		{"quota too big", edit(`"default_quota_seconds": 300`, `"default_quota_seconds": 86401`), "default_quota_seconds: must be <= 86400"},
		{"quota fraction", edit(`"default_quota_seconds": 300`, `"default_quota_seconds": 30.5`), "default_quota_seconds: must be an integer"},
		{"quota string", edit(`"default_quota_seconds": 300`, `"default_quota_seconds": "300"`), "default_quota_seconds: must be an integer, not a string"},
		{"quota huge", edit(`"default_quota_seconds": 300`, `"default_quota_seconds": 99999999999999999999`), "default_quota_seconds: must be <= 86400"},
		{"voice not array", `{"id":"t","currency":"USD","voice":{}}`, "voice: must be an array"},
		{"voice row not object", edit(`"voice": [`, `"voice": [7, `), "voice[0]: must be an object"},
		{"subsequent increment 0", edit(`"initial_increment": 30, "subsequent_increment": 6`, `"initial_increment": 30, "subsequent_increment": 0`), "voice[1].subsequent_increment: must be >= 1"},
		{"initial increment negative", edit(`"initial_increment": 30`, `"initial_increment": -30`), "voice[1].initial_increment: must be >= 1"},
		{"increment too long", edit(`"initial_increment": 30`, `"initial_increment": 86401`), "voice[1].initial_increment: must be <= 86400"},
		{"increment missing", edit(`, "initial_increment": 30`, ``), "voice[1].initial_increment: required"},
		{"rate as JSON number", edit(`"per_minute": "0.0200"`, `"per_minute": 0.02`), `voice[1].per_minute: must be a decimal string such as "0.0200", not a JSON number`},
		{"rate as bool", edit(`"per_minute": "0.0200"`, `"per_minute": true`), "voice[1].per_minute: must be a decimal string"},
		{"rate negative", edit(`"per_minute": "0.0200"`, `"per_minute": "-0.02"`), "voice[1].per_minute: must be >= 0"},
		{"rate hugely negative", edit(`"per_minute": "0.0200"`, `"per_minute": "-99999999999999999999"`), "voice[1].per_minute: must be >= 0"},
		{"rate 13 decimals", edit(`"per_minute": "0.0200"`, `"per_minute": "0.0000000000001"`), "voice[1].per_minute: must have at most 12 decimals"},
		{"rate too big", edit(`"per_minute": "0.0200"`, `"per_minute": "1000000.000000000001"`), "voice[1].per_minute: must be <= 1000000"},
		{"rate overflow", edit(`"per_minute": "0.0200"`, `"per_minute": "99999999999999999999"`), "voice[1].per_minute: must be <= 1000000"},
		{"rate exponent", edit(`"per_minute": "0.0200"`, `"per_minute": "2e-2"`), `voice[1].per_minute: must be a decimal number such as "0.0200"`},
		{"rate empty", edit(`"per_minute": "0.0200"`, `"per_minute": ""`), "voice[1].per_minute: must be a decimal number"},
		{"fee missing", edit(`"connection_fee": "0.0050", `, ``), "voice[1].connection_fee: required"},
		{"direction bad", edit(`"direction": "inbound"`, `"direction": "both"`), `voice[3].direction: must be "outbound" or "inbound"`},
		{"prefix with plus", edit(`"prefix": "44"`, `"prefix": "+44"`), "voice[2].prefix: must be 0-32 digits"},
		{"prefix too long", edit(`"prefix": "44"`, `"prefix": "`+strings.Repeat("4", 33)+`"`), "voice[2].prefix: must be 0-32 digits"},
		{"prefix missing", edit(`"prefix": "44",`, ``), "voice[2].prefix: required"},
		{"duplicate voice prefix", edit(outbound44, outbound44+","+outbound44), `voice[3].prefix: duplicate of voice[2] (outbound prefix "44")`},
		{"unknown row field", edit(`"connection_fee": "0.0050"`, `"connection_fee": "0.0050", "fee": "1"`), "voice[1].fee: unknown field"},
		{"ivr missing fee", edit(`"execution_fee": "0.0200", `, ``), "ivr.execution_fee: required"},
		{"ivr not object", edit(`"ivr": {"execution_fee": "0.0200", "per_minute": "0.0100", "initial_increment": 60, "subsequent_increment": 60}`, `"ivr": "yes"`), "ivr: must be an object"},
		{"ivr increment", edit(`"per_minute": "0.0100", "initial_increment": 60, "subsequent_increment": 60}`, `"per_minute": "0.0100", "initial_increment": 0, "subsequent_increment": 60}`), "ivr.initial_increment: must be >= 1"},
		{"sms duplicate", edit(`{"prefix": "255", "per_segment": "0.0100"}`, `{"prefix": "255", "per_segment": "0.0100"}, {"prefix": "", "per_segment": "1"}`), `sms[2].prefix: duplicate of sms[0] (prefix "")`},
		{"sms number", edit(`"per_segment": "0.0100"`, `"per_segment": 1`), "sms[1].per_segment: must be a decimal string"},
		{"whatsapp category", edit(`"category": "utility"`, `"category": "promo"`), "whatsapp[1].category: must be one of marketing, utility, authentication, service"},
		{"whatsapp duplicate", edit(`{"category": "service", "prefix": "", "per_message": "0"}`, `{"category": "service", "prefix": "", "per_message": "0"}, {"category": "marketing", "prefix": "", "per_message": "1"}`), `whatsapp[4].prefix: duplicate of whatsapp[0] (marketing prefix "")`},
		{"ai model empty", edit(`"model": "*"`, `"model": ""`), "ai[0].model: must be 1-128 printable ASCII"},
		{"ai model space", edit(`"model": "*"`, `"model": "gpt 4"`), "ai[0].model: must be 1-128 printable ASCII"},
		{"ai duplicate", edit(`"model": "*"`, `"model": "gpt-4o-mini"`), `ai[1].model: duplicate of ai[0] ("gpt-4o-mini")`},
		{"ai rate", edit(`"per_1k_output": "0.0006"`, `"per_1k_output": "-1"`), "ai[1].per_1k_output: must be >= 0"},
		{"storage", edit(`"per_gb": "0.0230"`, `"per_gb": "abc"`), "storage.per_gb: must be a decimal number"},
		{"storage unknown", edit(`"per_gb": "0.0230"`, `"per_tb": "1"`), "storage.per_tb: unknown field"},
		{"tiers empty", edit(`"tiers": [`, `"tiers": [], "x": [`), "x: unknown field"},
		{"tiers explicitly empty", `{"id":"t","currency":"USD","tiers":[]}`, "tiers: must not be empty"},
		{"first tier not at 0", edit(`"min_spend": "0"`, `"min_spend": "1"`), "tiers[0].min_spend: first tier must be at 0"},
		{"tiers unsorted", edit(`"min_spend": "1000"`, `"min_spend": "50"`), "tiers[2].min_spend: tiers must be sorted by min_spend, strictly ascending"},
		{"tiers equal", edit(`"min_spend": "1000"`, `"min_spend": "100"`), "tiers[2].min_spend: tiers must be sorted"},
		{"min_spend 7 decimals", edit(`"min_spend": "100"`, `"min_spend": "100.0000001"`), "tiers[1].min_spend: must have at most 6 decimals"},
		{"multiplier zero", edit(`"multiplier": "0.95"`, `"multiplier": "0"`), "tiers[1].multiplier: must be > 0"},
		{"multiplier negative", edit(`"multiplier": "0.95"`, `"multiplier": "-0.95"`), "tiers[1].multiplier: must be > 0"},
		{"multiplier over 10", edit(`"multiplier": "0.95"`, `"multiplier": "10.000001"`), "tiers[1].multiplier: must be <= 10"},
		{"multiplier 7 decimals", edit(`"multiplier": "0.95"`, `"multiplier": "0.9500001"`), "tiers[1].multiplier: must have at most 6 decimals"},
		{"multiplier number", edit(`"multiplier": "0.95"`, `"multiplier": 0.95`), "tiers[1].multiplier: must be a decimal string"},
		{"tier name duplicate", edit(`"name": "gold"`, `"name": "silver"`), `tiers[2].name: duplicate of tiers[1] ("silver")`},
		{"tier name empty", edit(`"name": "gold"`, `"name": ""`), "tiers[2].name: must be 1-64 characters"},
		{"tier name control", edit(`"name": "gold"`, `"name": "go\u0000ld"`), "tiers[2].name: must be 1-64 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Parse([]byte(tt.doc))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, %v; want a *FieldError", tr, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got  %q\nwant %q...", err, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"null sections are absent", `{"id":"t","currency":"USD","voice":null,"ivr":null,"tiers":null}`},
		{"escaped key", `{"\u0069d":"t","currency":"USD"}`},
		{"whitespace around", " \n\t" + minimal + "\n"},
		{"12-decimal rate", `{"id":"t","currency":"USD","storage":{"per_gb":"0.000000000001"}}`},
		{"max rate", `{"id":"t","currency":"USD","storage":{"per_gb":"1000000"}}`},
		{"multiplier 10", `{"id":"t","currency":"USD","tiers":[{"name":"x","min_spend":"0","multiplier":"10"}]}`},
		{"negative zero rate", `{"id":"t","currency":"USD","storage":{"per_gb":"-0"}}`},
		{"32-digit prefix", `{"id":"t","currency":"USD","sms":[{"prefix":"` + strings.Repeat("1", 32) + `","per_segment":"1"}]}`},
		{"same prefix in both directions", `{"id":"t","currency":"USD","voice":[
			{"direction":"outbound","prefix":"1","per_minute":"1","connection_fee":"0","initial_increment":1,"subsequent_increment":1},
			{"direction":"inbound","prefix":"1","per_minute":"1","connection_fee":"0","initial_increment":1,"subsequent_increment":1}]}`},
		{"tier name with unicode", `{"id":"t","currency":"USD","tiers":[{"name":"Dhahabu ⭐","min_spend":"0","multiplier":"1"}]}`},
		{"model with quote", `{"id":"t","currency":"USD","ai":[{"model":"a\"b\\c","per_1k_input":"1","per_1k_output":"1"}]}`},
	}
	for _, tt := range tests {
		tr, err := Parse([]byte(tt.doc))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		assertReparses(t, tr)
	}
}

// assertReparses checks the Doc contract: Parse(t.Doc) gives the same tariff
// and the same Doc.
func assertReparses(t *testing.T, tr *Tariff) {
	t.Helper()
	again, err := Parse(tr.Doc)
	if err != nil {
		t.Fatalf("Parse(Doc) failed: %v\nDoc: %s", err, tr.Doc)
	}
	if !bytes.Equal(again.Doc, tr.Doc) {
		t.Fatalf("Doc not canonical:\n%s\n%s", tr.Doc, again.Doc)
	}
	a, b := *tr, *again
	a.Doc, b.Doc = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("Parse(Doc) rates differ:\n%+v\n%+v", a, b)
	}
}

func TestDocKeepsAmountStrings(t *testing.T) {
	tr, err := Parse([]byte(`{"id":"t","currency":"TZS","sms":[{"prefix":"255","per_segment":"15.500"}],
		"tiers":[{"name":"a","min_spend":"0.0","multiplier":"1.000"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"per_segment":"15.500"`, `"min_spend":"0.0"`, `"multiplier":"1.000"`} {
		if !bytes.Contains(tr.Doc, []byte(want)) {
			t.Errorf("Doc lacks %s: %s", want, tr.Doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(standardDoc))
	f.Add([]byte(minimal))
	f.Add([]byte(`{"id":"t","currency":"USD","voice":null,"tiers":[{"name":"\u00e9","min_spend":"0","multiplier":"10"}]}`))
	f.Add([]byte(`{"id":"t","currency":"USD","ai":[{"model":"a\"b","per_1k_input":"1","per_1k_output":"-0"}]}`))
	f.Add([]byte(`{"id":"t","currency":"USD","sms":[{"prefix":"1","per_segment":"1"},{"prefix":"1","per_segment":"2"}]}`))
	f.Add([]byte(`{"\u0069d":"t","currency":"USD","storage":{"per_gb":"0.000000000001"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FieldError: %v", err)
			}
			return
		}
		assertReparses(t, tr)
		if len(tr.Tiers()) == 0 || tr.TierIndex(0) != 0 {
			t.Fatal("a valid tariff without a tier at 0")
		}
	})
}

func TestObjectKeysFit(t *testing.T) {
	for _, keys := range [][]string{rootKeys, voiceKeys, ivrKeys, smsKeys, whatsAppKeys, aiKeys, storageKeys, tierKeys} {
		if len(keys) > maxMembers {
			t.Errorf("%v: more keys than object.members holds", keys)
		}
	}
}
