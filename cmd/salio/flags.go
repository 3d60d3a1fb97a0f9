package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/salio/salio/charging"
)

// options are salio serve's settings.
type options struct {
	addr              string
	dataDir           string
	walDir            string
	kafkaBrokers      string
	adminKeyFile      string
	shards            int
	durability        string
	batchSyncInterval time.Duration
	retention         time.Duration
	checkpointEvery   time.Duration
	maxIdemRecords    int
	maxBodyBytes      int
	logLevel          string
	logFormat         string
	accessLog         bool
	accessLogSample   int
	shutdownTimeout   time.Duration
	pprofAddr         string
	kafka             kafkaOptions
	gcPercent         int
	gomaxprocs        int
	memoryLimitMiB    int64
}

// envPrefix names the variables: --data-dir ↔ SALIO_DATA_DIR.
const envPrefix = "SALIO_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags reads flags, then SALIO_* variables for the flags not given
// (a flag on the command line wins over the environment).
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("salio serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address of the HTTP API")
	fs.StringVar(&o.dataDir, "data-dir", "./salio-data", "data directory (store and admin key)")
	fs.StringVar(&o.walDir, "wal-dir", "", "the store's write-ahead log in its own directory, ideally on a device that syncs fast and holds nothing else: every answer waits for its fsync (default <data-dir>/store; may change between runs, the old directory's logs are recovered first)")
	fs.StringVar(&o.kafkaBrokers, "kafka-brokers", "", "Kafka brokers, comma-separated host:port (empty: Kafka off, CDRs at GET /v1/cdrs)")
	fs.StringVar(&o.adminKeyFile, "admin-key-file", "", "where the bootstrap admin key is written, mode 0600 (default <data-dir>/admin.key)")
	fs.IntVar(&o.shards, "shards", 64, "wallet shards, a power of two")
	fs.StringVar(&o.durability, "durability", "sync", "sync: fsync every group commit before answering; batch: fsync every --batch-sync-interval (a crash may lose that window)")
	fs.DurationVar(&o.batchSyncInterval, "batch-sync-interval", 10*time.Millisecond, "WAL fsync period with --durability=batch")
	fs.DurationVar(&o.retention, "retention", 24*time.Hour, "how long idempotency records and delivered CDR/event log entries are kept")
	fs.DurationVar(&o.checkpointEvery, "checkpoint-interval", time.Second, "how often wallet, session, usage and transaction records are written from the redo log to their keys (longer: fewer writes of busy wallets, more to replay after a crash)")
	fs.IntVar(&o.maxIdemRecords, "max-idempotency-records", charging.DefaultMaxIdempotencyRecords, "idempotency records held in memory, for events and again for closed sessions and top-ups; past it the oldest are forgotten early (salio_idempotency_evictions_total)")
	fs.IntVar(&o.maxBodyBytes, "max-body-bytes", 1<<20, "largest request body (spec: 1 MiB)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.BoolVar(&o.accessLog, "access-log", false, "log HTTP requests (see --access-log-sample)")
	fs.IntVar(&o.accessLogSample, "access-log-sample", 1, "log one request in N")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	o.kafka.register(fs)
	fs.IntVar(&o.gcPercent, "gc-percent", 400, "Go GC target (GOGC); the live heap is small next to the machine, so collecting less often buys CPU for requests (--memory-limit-mib bounds what that costs in memory)")
	fs.Int64Var(&o.memoryLimitMiB, "memory-limit-mib", 0, "Go's soft memory limit (GOMEMLIMIT) in MiB: the GC works harder as the heap nears it; 0: the GOMEMLIMIT variable if set, else 75% of the container's or the machine's memory; -1: none")
	fs.IntVar(&o.gomaxprocs, "gomaxprocs", 0, "Go's parallelism (GOMAXPROCS); 0: the GOMAXPROCS variable if set, else Go's choice (the CPUs or the cgroup limit) plus 2, so that a goroutine blocked in the WAL's fsync does not hold up requests")
	fs.StringVar(&o.pprofAddr, "pprof-addr", "", "serve net/http/pprof on this address, e.g. 127.0.0.1:6060 (empty: off)")
	fs.Usage = func() { printUsage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := applyEnv(fs); err != nil {
		return nil, err
	}
	if o.adminKeyFile == "" {
		o.adminKeyFile = filepath.Join(o.dataDir, "admin.key")
	}
	return o, o.validate()
}

// applyEnv sets every flag not given on the command line from its variable.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if !ok || given[f.Name] || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
		}
	})
	return err
}

func (o *options) validate() error {
	switch {
	case o.shards < 1 || o.shards&(o.shards-1) != 0:
		return fmt.Errorf("--shards must be a power of two, got %d", o.shards)
	case o.durability != "sync" && o.durability != "batch":
		return fmt.Errorf("--durability must be sync or batch, got %q", o.durability)
	case o.checkpointEvery < time.Millisecond || o.checkpointEvery > time.Hour:
		return fmt.Errorf("--checkpoint-interval must be between 1ms and 1h")
	case o.maxIdemRecords < 1000:
		return fmt.Errorf("--max-idempotency-records must be at least 1000")
	case o.maxBodyBytes < 1024:
		return fmt.Errorf("--max-body-bytes must be at least 1024")
	case o.memoryLimitMiB < -1 || o.memoryLimitMiB > maxMemoryLimitMiB:
		return fmt.Errorf("--memory-limit-mib must be between -1 and %d", maxMemoryLimitMiB)
	case o.gomaxprocs < 0 || o.gomaxprocs > maxGOMAXPROCS:
		return fmt.Errorf("--gomaxprocs must be between 0 and %d", maxGOMAXPROCS)
	case o.accessLogSample < 1:
		return fmt.Errorf("--access-log-sample must be at least 1")
	case o.logFormat != "text" && o.logFormat != "json":
		return fmt.Errorf("--log-format must be text or json")
	}
	return nil
}

// brokers splits --kafka-brokers.
func (o *options) brokers() []string {
	var out []string
	for _, b := range strings.Split(o.kafkaBrokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

func printUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, "usage: salio serve [flags]\n\nEvery flag can be set by its environment variable (the flag wins).\nSALIO_ADMIN_KEY sets the admin key.\n\n")
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		if f.Name == "admin-key-file" {
			def = "<data-dir>/admin.key"
		}
		fmt.Fprintf(w, "  --%s\n    \t%s\n    \t(env %s, default %s)\n", f.Name, f.Usage, envName(f.Name), def)
	})
}
