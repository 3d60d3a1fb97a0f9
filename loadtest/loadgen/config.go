package loadgen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is everything one run needs. Zero values take the defaults of
// Defaults; main fills it from flags and bench fills it directly.
type Config struct {
	Target   string // http://host:port; empty with Spawn
	AdminKey string // admin key (setup, top-ups, audit); with Spawn a random one

	Spawn        bool   // build and start `salio serve` on a temp data dir
	Kafka        string // "" (off), "embedded" (in-process kfake), or broker list
	Durability   string // passed as --durability when set
	SalioBin     string // prebuilt binary instead of `go build ./cmd/salio`
	SalioModule  string // module root to build in (default: found from cwd)
	KeepData     bool   // keep the spawned server's data dir
	ServerLogOut string // copy of the server's output (default: inside the temp dir)

	Duration    time.Duration
	Concurrency int     // connections and workers
	Rate        float64 // open loop: requests/s (0 = closed loop)
	Scenario    string  // sms | call-start | call-cycle | batch | mixed
	Mix         string  // mixed: weights per request kind
	Tenants     int
	ZipfS       float64
	BatchSize   int
	Interim     int // seconds of simulated time between session updates
	CallsPerWkr int // open calls each worker keeps in flight
	Calls       CallShape

	LowFundedPct   float64 // % of tenants created low-funded
	InitialBalance int64   // micros, funded tenants (0: 100.00 in mixed, 100,000.00 otherwise)
	LowBalance     int64   // micros, low-funded tenants
	TopUpAmount    int64   // micros, the least a traffic top-up credits
	// AutoRechargePct is the percent of funded tenants with auto-recharge on
	// when the mix has top-ups (see recharge.go); 0 = none.
	AutoRechargePct float64

	Audit           bool
	AuditMaxTenants int // 0 = every tenant touched
	MaxErrorRate    float64
	Seed            uint64
	Progress        bool // live line on stderr
	NoSetup         bool // no-op server: no switch key, tenants assumed
	Logf            func(format string, args ...any)
	// OnLoad, if set, is called as the load phase starts (after setup),
	// e.g. to start a CPU profile of the server that covers only the load.
	OnLoad func()
}

// Defaults returns the flags' defaults.
func Defaults() Config {
	return Config{
		Duration:        60 * time.Second,
		Concurrency:     64,
		Scenario:        "mixed",
		Mix:             "call=40,sms=40,batch=5,whatsapp=5,ai=5,topup=5",
		Tenants:         1000,
		ZipfS:           1.1,
		BatchSize:       100,
		Interim:         60,
		CallsPerWkr:     8,
		Calls:           DefaultCallShape(),
		LowFundedPct:    5,
		AutoRechargePct: 20,
		LowBalance:      50_000, // 0.05: a couple of SMS, then 402 and grace
		TopUpAmount:     20 * microsPerUnit,
		Audit:           true,
		MaxErrorRate:    0.01,
	}
}

// opKind is one kind of traffic a worker can draw.
type opKind uint8

const (
	opCall      opKind = iota // realistic call: next request of an open call, or a new one
	opCallStart               // call-start scenario: start; stop the oldest when the window is full
	opCallCycle               // call-cycle scenario: start, 2 updates, stop
	opSMS
	opBatch
	opWhatsApp
	opAI
	opTopUp
	numOpKinds
)

var opNames = [numOpKinds]string{"call", "call-start", "call-cycle", "sms", "batch", "whatsapp", "ai", "topup"}

// mixEntry is a cumulative weight.
type mixEntry struct {
	kind opKind
	upTo uint32
}

// parseMix turns "call=40,sms=40,…" into cumulative weights over 2^32.
func parseMix(s string) ([]mixEntry, error) {
	type w struct {
		kind opKind
		wt   float64
	}
	var ws []w
	total := 0.0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix %q: want name=weight", part)
		}
		k := -1
		for i, n := range opNames {
			if n == strings.TrimSpace(name) {
				k = i
			}
		}
		if k < 0 {
			return nil, fmt.Errorf("mix: unknown kind %q (want one of %s)", name, strings.Join(opNames[:], ", "))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("mix %q: bad weight", part)
		}
		if f > 0 {
			ws = append(ws, w{opKind(k), f})
			total += f
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("mix %q: no positive weight", s)
	}
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].kind < ws[j].kind })
	out := make([]mixEntry, len(ws))
	acc := 0.0
	for i, x := range ws {
		acc += x.wt
		out[i] = mixEntry{x.kind, uint32(acc / total * float64(1<<32-1))}
	}
	out[len(out)-1].upTo = 1<<32 - 1
	return out, nil
}

// pickKind maps a uniform 32-bit draw to a kind.
func pickKind(mix []mixEntry, r uint32) opKind {
	for _, e := range mix {
		if r <= e.upTo {
			return e.kind
		}
	}
	return mix[len(mix)-1].kind
}

// scenarioMix is the mix a scenario stands for.
func scenarioMix(scenario, mixed string) (string, error) {
	switch scenario {
	case "sms":
		return "sms=1", nil
	case "call-start":
		return "call-start=1", nil
	case "call-cycle":
		return "call-cycle=1", nil
	case "batch":
		return "batch=1", nil
	case "mixed", "":
		return mixed, nil
	}
	return "", fmt.Errorf("unknown scenario %q (sms|call-start|call-cycle|batch|mixed)", scenario)
}

func (c *Config) fillDefaults() {
	d := Defaults()
	orDefault(&c.Duration, d.Duration)
	orDefault(&c.Concurrency, d.Concurrency)
	if c.Scenario == "" {
		c.Scenario = d.Scenario
	}
	if c.Mix == "" {
		c.Mix = d.Mix
	}
	orDefault(&c.Tenants, d.Tenants)
	if c.ZipfS == 0 { // a negative one is refused, not replaced
		c.ZipfS = d.ZipfS
	}
	orDefault(&c.BatchSize, d.BatchSize)
	orDefault(&c.Interim, d.Interim)
	orDefault(&c.CallsPerWkr, d.CallsPerWkr)
	c.Calls.fillDefaults()
	// Only the mixed scenario tops up during the run: a single-kind benchmark
	// funds its wallets for the whole run up front, or its hot wallets would
	// soon answer cheap 402s instead of charging.
	if c.Scenario == "mixed" {
		orDefault(&c.InitialBalance, 100*microsPerUnit)
	} else {
		orDefault(&c.InitialBalance, 100_000*microsPerUnit)
	}
	orDefault(&c.LowBalance, d.LowBalance)
	orDefault(&c.TopUpAmount, d.TopUpAmount)
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// orDefault sets *v to def when it is zero or negative: a Config's zero
// values take the defaults.
func orDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
