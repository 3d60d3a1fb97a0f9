package tariff

import (
	"fmt"
	"slices"
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
	return slices.Index(whatsAppCategories[:], name)
}

var directionNames = [...]string{Outbound: "outbound", Inbound: "inbound"}

// Field names of each object, as the spec spells them.
var (
	rootKeys = []string{"id", "currency", "default_quota_seconds",
		"voice", "ivr", "sms", "whatsapp", "ai", "storage", "tiers"}
	voiceKeys = []string{"direction", "prefix", "per_minute", "connection_fee",
		"initial_increment", "subsequent_increment"}
	ivrKeys      = []string{"execution_fee", "per_minute", "initial_increment", "subsequent_increment"}
	smsKeys      = []string{"prefix", "per_segment"}
	whatsAppKeys = []string{"category", "prefix", "per_message"}
	aiKeys       = []string{"model", "per_1k_input", "per_1k_output"}
	storageKeys  = []string{"per_gb"}
	tierKeys     = []string{"name", "min_spend", "multiplier"}
)

// Parse decodes and validates a whole tariff document. Errors are *FieldError
// naming the first offending field; a JSON syntax error names "document".
// Rows are checked in document order; a repeated prefix is reported after
// every row has been checked, when the prefix tables are built.
func Parse(data []byte) (*Tariff, error) {
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	var root object
	if err := root.decode(data[skipSpace(data, 0):], "", -1, rootKeys); err != nil {
		return nil, err
	}
	p := parser{t: &Tariff{}}
	steps := []func(*object) error{
		p.header, p.voiceRows, p.ivrObject, p.smsRows, p.whatsAppRows, p.aiRows,
		p.storageObject, p.tierRows, p.buildTables,
	}
	for _, step := range steps {
		if err := step(&root); err != nil {
			return nil, err
		}
	}
	// Room for the defaults an input may omit, so a big deck is not copied
	// again at its last bytes.
	p.t.Doc = p.doc.appendJSON(make([]byte, 0, len(data)+len(data)/16+256))
	return p.t, nil
}

// parser accumulates the compiled tariff and its canonical document.
type parser struct {
	t   *Tariff
	doc docJSON
}

func (p *parser) header(o *object) error {
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

func (p *parser) voiceRows(root *object) error {
	p.doc.Voice = make([]docVoice, 0, root.count("voice"))
	return root.array("voice", func(i int, raw []byte) error {
		var o object
		if err := o.decode(raw, "voice", i, voiceKeys); err != nil {
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
		prefix, err := o.prefix()
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
			Direction: directionNames[dir], Prefix: prefix, PerMinute: row.PerMinute,
			ConnectionFee: row.ExecutionFee, InitialIncrement: row.InitialIncrement,
			SubsequentIncrement: row.SubsequentIncrement,
		})
		return nil
	})
}

func (p *parser) ivrObject(root *object) error {
	raw, ok := root.get("ivr")
	if !ok {
		return nil
	}
	var o object
	if err := o.decode(raw, "ivr", -1, ivrKeys); err != nil {
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
func (o *object) voiceRate(rateKey, feeKey string) (VoiceRate, docIVR, error) {
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

func (p *parser) smsRows(root *object) error {
	return root.array("sms", func(i int, raw []byte) error {
		var o object
		if err := o.decode(raw, "sms", i, smsKeys); err != nil {
			return err
		}
		prefix, err := o.prefix()
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

func (p *parser) whatsAppRows(root *object) error {
	return root.array("whatsapp", func(i int, raw []byte) error {
		var o object
		if err := o.decode(raw, "whatsapp", i, whatsAppKeys); err != nil {
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
		prefix, err := o.prefix()
		if err != nil {
			return err
		}
		s, picos, err := o.rate("per_message")
		if err != nil {
			return err
		}
		p.t.whatsapp[c].add(prefix, picos)
		p.doc.WhatsApp = append(p.doc.WhatsApp, docWhatsApp{Category: whatsAppCategories[c], Prefix: prefix, PerMessage: s})
		return nil
	})
}

func (p *parser) aiRows(root *object) error {
	seen := map[string]int{}
	p.t.ai = map[string]aiRate{}
	return root.array("ai", func(i int, raw []byte) error {
		var o object
		if err := o.decode(raw, "ai", i, aiKeys); err != nil {
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

func (p *parser) storageObject(root *object) error {
	raw, ok := root.get("storage")
	if !ok {
		return nil
	}
	var o object
	if err := o.decode(raw, "storage", -1, storageKeys); err != nil {
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

func (p *parser) tierRows(root *object) error {
	if _, ok := root.get("tiers"); !ok {
		p.t.tiers = []Tier{{Name: implicitTier.Name, MultiplierMicros: MultiplierOne}}
		p.doc.Tiers = []docTier{implicitTier}
		return nil
	}
	names := map[string]int{}
	err := root.array("tiers", func(i int, raw []byte) error {
		var o object
		if err := o.decode(raw, "tiers", i, tierKeys); err != nil {
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

func (o *object) tier() (Tier, docTier, error) {
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

// buildTables builds the prefix tables, refusing a repeated prefix within
// one table: two rates for one destination would make rating ambiguous.
func (p *parser) buildTables(*object) error {
	for d := range p.t.voice {
		if first, again, ok := p.t.voice[d].build(); !ok {
			nth := func(k int) int {
				return nthRow(len(p.doc.Voice), k, func(i int) bool { return p.doc.Voice[i].Direction == directionNames[d] })
			}
			return duplicatePrefix("voice", nth(first), nth(again), directionNames[d]+" ", p.t.voice[d].prefixes[again])
		}
	}
	if first, again, ok := p.t.sms.build(); !ok {
		return duplicatePrefix("sms", first, again, "", p.t.sms.prefixes[again])
	}
	for c := range p.t.whatsapp {
		if first, again, ok := p.t.whatsapp[c].build(); !ok {
			nth := func(k int) int {
				return nthRow(len(p.doc.WhatsApp), k, func(i int) bool { return p.doc.WhatsApp[i].Category == whatsAppCategories[c] })
			}
			return duplicatePrefix("whatsapp", nth(first), nth(again), whatsAppCategories[c]+" ", p.t.whatsapp[c].prefixes[again])
		}
	}
	return nil
}

// nthRow returns the document index of the k-th (from 0) of n rows that in
// selects: a table's position back to the row an operator can find.
func nthRow(n, k int, in func(i int) bool) int {
	for i := range n {
		if in(i) {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return -1
}

func duplicatePrefix(table string, first, again int, what, prefix string) error {
	return &FieldError{
		Field: fmt.Sprintf("%s[%d].prefix", table, again),
		Msg:   fmt.Sprintf("duplicate of %s[%d] (%sprefix %q)", table, first, what, prefix),
	}
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
	return len(s) == 3 && isUpper(s[0]) && isUpper(s[1]) && isUpper(s[2])
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

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
