package tariff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Tariff is one validated, compiled version of a tariff document. It is
// immutable once Parse returns it (the engine sets Version before sharing it).
type Tariff struct {
	ID                  string
	Currency            string
	Version             int64 // set by the engine when it stores a version (1, 2, ...)
	DefaultQuotaSeconds int64
	Doc                 []byte // the document as stored (canonical JSON)

	voice      [2]prefixRates[VoiceRate] // by Direction
	ivr        VoiceRate
	hasIVR     bool
	sms        prefixRates[int64]
	whatsapp   [len(whatsAppCategories)]prefixRates[int64]
	ai         map[string]aiRate
	storage    int64
	hasStorage bool
	tiers      []Tier
}

type aiRate struct{ inPicos, outPicos int64 }

var whatsAppCategories = [...]string{"marketing", "utility", "authentication", "service"}

func whatsAppCategory(name string) int {
	for i, c := range whatsAppCategories {
		if c == name {
			return i
		}
	}
	return -1
}

var directionNames = [...]string{Outbound: "outbound", Inbound: "inbound"}

// Canonical document shape: Doc is this, encoded.
type (
	docJSON struct {
		ID                  string        `json:"id"`
		Currency            string        `json:"currency"`
		DefaultQuotaSeconds int64         `json:"default_quota_seconds"`
		Voice               []docVoice    `json:"voice,omitempty"`
		IVR                 *docIVR       `json:"ivr,omitempty"`
		SMS                 []docSMS      `json:"sms,omitempty"`
		WhatsApp            []docWhatsApp `json:"whatsapp,omitempty"`
		AI                  []docAI       `json:"ai,omitempty"`
		Storage             *docStorage   `json:"storage,omitempty"`
		Tiers               []docTier     `json:"tiers"`
	}
	docVoice struct {
		Direction           string `json:"direction"`
		Prefix              string `json:"prefix"`
		PerMinute           string `json:"per_minute"`
		ConnectionFee       string `json:"connection_fee"`
		InitialIncrement    int64  `json:"initial_increment"`
		SubsequentIncrement int64  `json:"subsequent_increment"`
	}
	docIVR struct {
		ExecutionFee        string `json:"execution_fee"`
		PerMinute           string `json:"per_minute"`
		InitialIncrement    int64  `json:"initial_increment"`
		SubsequentIncrement int64  `json:"subsequent_increment"`
	}
	docSMS struct {
		Prefix     string `json:"prefix"`
		PerSegment string `json:"per_segment"`
	}
	docWhatsApp struct {
		Category   string `json:"category"`
		Prefix     string `json:"prefix"`
		PerMessage string `json:"per_message"`
	}
	docAI struct {
		Model      string `json:"model"`
		PerKInput  string `json:"per_1k_input"`
		PerKOutput string `json:"per_1k_output"`
	}
	docStorage struct {
		PerGB string `json:"per_gb"`
	}
	docTier struct {
		Name       string `json:"name"`
		MinSpend   string `json:"min_spend"`
		Multiplier string `json:"multiplier"`
	}
)

// Parse decodes and validates a whole tariff document. Errors are *FieldError
// naming the first offending field; a JSON syntax error names "document".
func Parse(data []byte) (*Tariff, error) {
	root, err := decodeObject(data, "", "id", "currency", "default_quota_seconds",
		"voice", "ivr", "sms", "whatsapp", "ai", "storage", "tiers")
	if err != nil {
		return nil, err
	}
	p := parser{t: &Tariff{}}
	steps := []func(object) error{
		p.header, p.voiceRows, p.ivrObject, p.smsRows, p.whatsAppRows, p.aiRows,
		p.storageObject, p.tierRows,
	}
	for _, step := range steps {
		if err := step(root); err != nil {
			return nil, err
		}
	}
	return p.finish()
}

// parser accumulates the compiled tariff and its canonical document.
type parser struct {
	t   *Tariff
	doc docJSON
}

func (p *parser) finish() (*Tariff, error) {
	t := p.t
	for d := range t.voice {
		t.voice[d].build()
	}
	t.sms.build()
	for c := range t.whatsapp {
		t.whatsapp[c].build()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p.doc); err != nil {
		return nil, &FieldError{Field: "document", Msg: err.Error()} // unreachable: plain structs
	}
	t.Doc = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return t, nil
}

func (p *parser) header(o object) error {
	id, err := o.str("id", true)
	if err != nil {
		return err
	}
	if !validID(id) {
		return o.errf("id", "must be 1-128 characters of A-Z a-z 0-9 . _ : - @")
	}
	cur, err := o.str("currency", true)
	if err != nil {
		return err
	}
	if !validCurrency(cur) {
		return o.errf("currency", "must be an ISO 4217 code: 3 uppercase letters")
	}
	quota, err := o.integer("default_quota_seconds", 1, MaxQuotaSeconds, DefaultQuotaSeconds)
	if err != nil {
		return err
	}
	p.t.ID, p.t.Currency, p.t.DefaultQuotaSeconds = id, cur, quota
	p.doc.ID, p.doc.Currency, p.doc.DefaultQuotaSeconds = id, cur, quota
	return nil
}

func (p *parser) voiceRows(root object) error {
	seen := [2]map[string]int{{}, {}}
	return root.array("voice", func(i int, raw json.RawMessage, path string) error {
		o, err := decodeObject(raw, path, "direction", "prefix", "per_minute",
			"connection_fee", "initial_increment", "subsequent_increment")
		if err != nil {
			return err
		}
		dirName, err := o.str("direction", true)
		if err != nil {
			return err
		}
		dir := slices.Index(directionNames[:], dirName)
		if dir < 0 {
			return o.errf("direction", `must be "outbound" or "inbound"`)
		}
		prefix, err := o.prefix(seen[dir], i, "voice", dirName+" ")
		if err != nil {
			return err
		}
		rate, row, err := o.voiceRate("per_minute", "connection_fee")
		if err != nil {
			return err
		}
		rate.Prefix = prefix
		p.t.voice[dir].add(prefix, rate)
		p.doc.Voice = append(p.doc.Voice, docVoice{
			Direction: dirName, Prefix: prefix, PerMinute: row.PerMinute,
			ConnectionFee: row.ExecutionFee, InitialIncrement: row.InitialIncrement,
			SubsequentIncrement: row.SubsequentIncrement,
		})
		return nil
	})
}

func (p *parser) ivrObject(root object) error {
	raw, ok := root.get("ivr")
	if !ok {
		return nil
	}
	o, err := decodeObject(raw, "ivr", "execution_fee", "per_minute",
		"initial_increment", "subsequent_increment")
	if err != nil {
		return err
	}
	rate, row, err := o.voiceRate("per_minute", "execution_fee")
	if err != nil {
		return err
	}
	p.t.ivr, p.t.hasIVR = rate, true
	p.doc.IVR = &row
	return nil
}

// voiceRate reads the rate, fee and increments shared by voice and IVR; the
// fee's string lands in ExecutionFee of the returned row.
func (o object) voiceRate(rateKey, feeKey string) (VoiceRate, docIVR, error) {
	var r VoiceRate
	var row docIVR
	var err error
	if row.PerMinute, r.PerMinutePicos, err = o.rate(rateKey); err != nil {
		return r, row, err
	}
	if row.ExecutionFee, r.FeePicos, err = o.rate(feeKey); err != nil {
		return r, row, err
	}
	if r.InitialIncrement, err = o.integer("initial_increment", 1, MaxIncrementSeconds, -1); err != nil {
		return r, row, err
	}
	if r.SubsequentIncrement, err = o.integer("subsequent_increment", 1, MaxIncrementSeconds, -1); err != nil {
		return r, row, err
	}
	row.InitialIncrement, row.SubsequentIncrement = r.InitialIncrement, r.SubsequentIncrement
	return r, row, nil
}

func (p *parser) smsRows(root object) error {
	seen := map[string]int{}
	return root.array("sms", func(i int, raw json.RawMessage, path string) error {
		o, err := decodeObject(raw, path, "prefix", "per_segment")
		if err != nil {
			return err
		}
		prefix, err := o.prefix(seen, i, "sms", "")
		if err != nil {
			return err
		}
		s, picos, err := o.rate("per_segment")
		if err != nil {
			return err
		}
		p.t.sms.add(prefix, picos)
		p.doc.SMS = append(p.doc.SMS, docSMS{Prefix: prefix, PerSegment: s})
		return nil
	})
}

func (p *parser) whatsAppRows(root object) error {
	var seen [len(whatsAppCategories)]map[string]int
	return root.array("whatsapp", func(i int, raw json.RawMessage, path string) error {
		o, err := decodeObject(raw, path, "category", "prefix", "per_message")
		if err != nil {
			return err
		}
		cat, err := o.str("category", true)
		if err != nil {
			return err
		}
		c := whatsAppCategory(cat)
		if c < 0 {
			return o.errf("category", "must be one of marketing, utility, authentication, service")
		}
		if seen[c] == nil {
			seen[c] = map[string]int{}
		}
		prefix, err := o.prefix(seen[c], i, "whatsapp", cat+" ")
		if err != nil {
			return err
		}
		s, picos, err := o.rate("per_message")
		if err != nil {
			return err
		}
		p.t.whatsapp[c].add(prefix, picos)
		p.doc.WhatsApp = append(p.doc.WhatsApp, docWhatsApp{Category: cat, Prefix: prefix, PerMessage: s})
		return nil
	})
}

func (p *parser) aiRows(root object) error {
	seen := map[string]int{}
	p.t.ai = map[string]aiRate{}
	return root.array("ai", func(i int, raw json.RawMessage, path string) error {
		o, err := decodeObject(raw, path, "model", "per_1k_input", "per_1k_output")
		if err != nil {
			return err
		}
		model, err := o.str("model", true)
		if err != nil {
			return err
		}
		if !validModel(model) {
			return o.errf("model", "must be 1-128 printable ASCII characters without spaces")
		}
		if j, dup := seen[model]; dup {
			return o.errf("model", fmt.Sprintf("duplicate of ai[%d] (%q)", j, model))
		}
		seen[model] = i
		var row docAI
		var r aiRate
		if row.PerKInput, r.inPicos, err = o.rate("per_1k_input"); err != nil {
			return err
		}
		if row.PerKOutput, r.outPicos, err = o.rate("per_1k_output"); err != nil {
			return err
		}
		row.Model = model
		p.t.ai[model] = r
		p.doc.AI = append(p.doc.AI, row)
		return nil
	})
}

func (p *parser) storageObject(root object) error {
	raw, ok := root.get("storage")
	if !ok {
		return nil
	}
	o, err := decodeObject(raw, "storage", "per_gb")
	if err != nil {
		return err
	}
	s, picos, err := o.rate("per_gb")
	if err != nil {
		return err
	}
	p.t.storage, p.t.hasStorage = picos, true
	p.doc.Storage = &docStorage{PerGB: s}
	return nil
}

// implicitTier stands in for an absent tiers list: everyone at list price.
var implicitTier = docTier{Name: "standard", MinSpend: "0", Multiplier: "1.00"}

func (p *parser) tierRows(root object) error {
	if _, ok := root.get("tiers"); !ok {
		p.t.tiers = []Tier{{Name: implicitTier.Name, MultiplierMicros: MultiplierOne}}
		p.doc.Tiers = []docTier{implicitTier}
		return nil
	}
	names := map[string]int{}
	err := root.array("tiers", func(i int, raw json.RawMessage, path string) error {
		o, err := decodeObject(raw, path, "name", "min_spend", "multiplier")
		if err != nil {
			return err
		}
		tier, row, err := o.tier()
		if err != nil {
			return err
		}
		if j, dup := names[tier.Name]; dup {
			return o.errf("name", fmt.Sprintf("duplicate of tiers[%d] (%q)", j, tier.Name))
		}
		names[tier.Name] = i
		if i == 0 && tier.MinSpendMicros != 0 {
			return o.errf("min_spend", "first tier must be at 0")
		}
		if i > 0 && tier.MinSpendMicros <= p.t.tiers[i-1].MinSpendMicros {
			return o.errf("min_spend", "tiers must be sorted by min_spend, strictly ascending")
		}
		p.t.tiers = append(p.t.tiers, tier)
		p.doc.Tiers = append(p.doc.Tiers, row)
		return nil
	})
	if err == nil && len(p.t.tiers) == 0 {
		err = root.errf("tiers", "must not be empty (omit it for one tier at list price)")
	}
	return err
}

func (o object) tier() (Tier, docTier, error) {
	var t Tier
	var row docTier
	var err error
	if row.Name, err = o.str("name", true); err != nil {
		return t, row, err
	}
	if !validTierName(row.Name) {
		return t, row, o.errf("name", "must be 1-64 characters without control characters")
	}
	if row.MinSpend, t.MinSpendMicros, err = o.fixed("min_spend", 6, 0, maxInt64); err != nil {
		return t, row, err
	}
	if row.Multiplier, t.MultiplierMicros, err = o.fixed("multiplier", 6, 1, MaxMultiplierMicros); err != nil {
		return t, row, err
	}
	t.Name = row.Name
	return t, row, nil
}

// object is one decoded JSON object and its path for error messages.
type object struct {
	path   string
	fields map[string]json.RawMessage
}

// decodeObject decodes raw as a JSON object whose keys are all in allowed.
// Matching is exact: encoding/json's case-insensitive struct matching would
// let "Per_Minute" through, so objects are decoded as maps.
func decodeObject(raw []byte, path string, allowed ...string) (object, error) {
	o := object{path: path}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		if path == "" { // tell broken JSON from JSON that is not an object
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return o, syntaxError(err)
			}
		}
		return o, &FieldError{Field: pathOr(path), Msg: "must be an object"}
	}
	if err := json.Unmarshal(raw, &o.fields); err != nil {
		return o, syntaxError(err)
	}
	var unknown []string
	for k := range o.fields {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown) // map order is random; errors must not be
		return o, &FieldError{Field: o.field(unknown[0]), Msg: "unknown field"}
	}
	return o, nil
}

func syntaxError(err error) error {
	msg := "invalid JSON: " + err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg = fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return &FieldError{Field: "document", Msg: msg}
}

func pathOr(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func (o object) field(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

func (o object) errf(key, msg string) error {
	return &FieldError{Field: o.field(key), Msg: msg}
}

// get returns a field's raw value; null counts as absent.
func (o object) get(key string) (json.RawMessage, bool) {
	raw, ok := o.fields[key]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// str returns a string field.
func (o object) str(key string, required bool) (string, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return "", o.errf(key, "required")
		}
		return "", nil
	}
	if raw[0] != '"' {
		return "", o.errf(key, "must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", o.errf(key, "must be a string")
	}
	return s, nil
}

// integer returns a whole-number field within [lo, hi]. def < 0 makes the
// field required, else def is its value when absent.
func (o object) integer(key string, lo, hi, def int64) (int64, error) {
	raw, ok := o.get(key)
	if !ok {
		if def < 0 {
			return 0, o.errf(key, "required")
		}
		return def, nil
	}
	if raw[0] == '"' {
		return 0, o.errf(key, "must be an integer, not a string")
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, o.errf(key, "must be an integer")
	}
	switch {
	case v < lo:
		return 0, o.errf(key, fmt.Sprintf("must be >= %d", lo))
	case v > hi:
		return 0, o.errf(key, fmt.Sprintf("must be <= %d", hi))
	}
	return v, nil
}

// rate returns a required rate field: a decimal string of at most 12
// decimals in [0, MaxRatePicos], as given and in picos.
func (o object) rate(key string) (string, int64, error) {
	return o.fixed(key, 12, 0, MaxRatePicos)
}

// fixed returns a required decimal-string field with at most scale decimals,
// within [lo, hi] in 10^-scale units.
func (o object) fixed(key string, scale int, lo, hi int64) (string, int64, error) {
	raw, ok := o.get(key)
	if !ok {
		return "", 0, o.errf(key, "required")
	}
	if raw[0] != '"' {
		if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
			return "", 0, o.errf(key, `must be a decimal string such as "0.0200", not a JSON number`)
		}
		return "", 0, o.errf(key, "must be a decimal string")
	}
	s, err := o.str(key, true)
	if err != nil {
		return "", 0, err
	}
	v, e := parseFixed(s, scale)
	switch {
	case e == fixedSyntax:
		return "", 0, o.errf(key, "must be a decimal number such as \"0.0200\"")
	case e == fixedPrecision:
		return "", 0, o.errf(key, fmt.Sprintf("must have at most %d decimals", scale))
	case e == fixedRange && len(s) > 0 && s[0] == '-', e == fixedOK && v < lo:
		if lo == 0 {
			return "", 0, o.errf(key, "must be >= 0")
		}
		return "", 0, o.errf(key, "must be > 0")
	case e == fixedRange, v > hi:
		return "", 0, o.errf(key, "must be <= "+string(appendFixed(nil, hi, scale, 0)))
	}
	return s, v, nil
}

// prefix returns a row's prefix, checking it is 0–32 digits and new within
// its table (seen maps prefix → row index).
func (o object) prefix(seen map[string]int, i int, table, what string) (string, error) {
	prefix, err := o.str("prefix", true)
	if err != nil {
		return "", err
	}
	if !validPrefix(prefix) {
		return "", o.errf("prefix", "must be 0-32 digits")
	}
	if j, dup := seen[prefix]; dup {
		return "", o.errf("prefix", fmt.Sprintf("duplicate of %s[%d] (%sprefix %q)", table, j, what, prefix))
	}
	seen[prefix] = i
	return prefix, nil
}

// array calls row for each element of an optional array field.
func (o object) array(key string, row func(i int, raw json.RawMessage, path string) error) error {
	raw, ok := o.get(key)
	if !ok {
		return nil
	}
	if raw[0] != '[' {
		return o.errf(key, "must be an array")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return syntaxError(err)
	}
	base := o.field(key)
	for i, item := range items {
		if err := row(i, item, base+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	return nil
}

// validID: spec section 7 identifiers, 1–128 of A-Z a-z 0-9 . _ : - @.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-' || c == '@'
		if !ok {
			return false
		}
	}
	return true
}

func validCurrency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// validModel keeps model names to what fits a usage line item "ai.<model>".
func validModel(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func validTierName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 64 {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
