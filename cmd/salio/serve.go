package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/charging/api"
	"github.com/salio/salio/store"
	"github.com/salio/salio/tariff"
)

// serve runs `salio serve` until SIGTERM or SIGINT.
func serve(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "salio:", err)
		return 2
	}
	log := newLogger(o, stderr)
	startPprof(o.pprofAddr, log)
	setRuntime(o, log)
	// Catch signals before starting: a SIGTERM during recovery is then
	// honoured gracefully as soon as the server is up.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	a, err := start(o, log, stdout)
	if err != nil {
		log.Error("salio: cannot start", "err", err)
		return 1
	}
	code := 0
	select {
	case s := <-sig:
		log.Info("salio: shutting down", "signal", s.String())
	case err := <-a.served:
		log.Error("salio: server stopped", "err", err)
		code = 1
	}
	if err := a.stop(); err != nil {
		log.Error("salio: shutdown", "err", err)
		code = 1
	}
	log.Info("salio: stopped")
	return code
}

func newLogger(o *options, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	hopts := &slog.HandlerOptions{Level: level}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, hopts))
	}
	return slog.New(slog.NewTextHandler(w, hopts))
}

// app is a running server: what stop must close, in order.
type app struct {
	log    *slog.Logger
	st     *store.Store
	eng    *charging.Engine
	srv    *api.Server
	addr   string // where the API listens
	relay  relay
	served chan error
}

// start opens, recovers and starts everything, then serves in the background.
func start(o *options, log *slog.Logger, stdout io.Writer) (*app, error) {
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, err
	}
	a := &app{log: log, served: make(chan error, 1)}
	ok := false
	defer func() {
		if !ok {
			a.stopRelay()
			a.closeCore()
		}
	}()
	var err error
	storeMetrics := store.NewMetrics()
	if a.st, err = openStore(o, log, storeMetrics); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	rl := newRelayHook()
	a.eng, err = charging.New(charging.Config{
		Shards: o.shards, Sink: a.st, Reader: a.st, IDEpoch: a.st.BootEpoch(),
		Retention: o.retention, MaxIdempotencyRecords: o.maxIdemRecords, Logger: log, OnLogCommitted: rl.notify,
	})
	if err != nil {
		return nil, err
	}
	recoverStart := time.Now()
	if err := a.st.Recover(a.eng.Restorer()); err != nil {
		return nil, fmt.Errorf("recovery: %w", err)
	}
	if err := loadDemoTariff(a.eng, log); err != nil {
		return nil, err
	}
	boot, err := api.BootstrapAdminKey(a.eng, os.Getenv("SALIO_ADMIN_KEY"), o.adminKeyFile)
	if err != nil {
		return nil, fmt.Errorf("admin key: %w", err)
	}
	a.eng.Start()
	logRecovered(log, a.eng, recoverStart)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	storeMetrics.Bind(a.st)
	reg.MustRegister(storeMetrics.Collectors()...)
	if a.relay, err = startRelay(o, a.st, log, reg, rl); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	a.srv = api.New(api.Config{
		Engine: a.eng, Logger: log, Registry: reg,
		Limits:    api.Limits{MaxBodyBytes: o.maxBodyBytes},
		AccessLog: o.accessLog, AccessLogSample: o.accessLogSample, ShutdownTimeout: o.shutdownTimeout,
		Backlog: rl.backlog,
	})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, err
	}
	a.addr = ln.Addr().String()
	go func() { a.served <- a.srv.Serve(ln) }()
	announce(stdout, ln.Addr().String(), o, boot)
	ok = true
	return a, nil
}

func openStore(o *options, log *slog.Logger, m *store.Metrics) (*store.Store, error) {
	opts := store.Options{
		OnCommit:           m.Observe,
		Durability:         o.durability,
		BatchSyncInterval:  o.batchSyncInterval,
		Retention:          o.retention,
		CheckpointInterval: o.checkpointEvery,
		Logf:               func(format string, args ...any) { log.Debug(fmt.Sprintf(format, args...)) },
	}
	if o.walDir != "" {
		// Absolute, as Pebble records it: the next run may start elsewhere.
		opts.WALDir = absPath(o.walDir)
	}
	if len(o.brokers()) > 0 {
		// Delivered entries only: a log entry is pruned once the relay has
		// passed it, never before.
		opts.LogConsumers = map[string][]string{"cdrs": {"kafka.cdrs"}, "events": {"kafka.events"}}
	}
	return store.Open(filepath.Join(o.dataDir, "store"), opts)
}

// loadDemoTariff stores the built-in tariff "standard" unless one exists
// (an operator's own version of it is kept).
func loadDemoTariff(eng *charging.Engine, log *slog.Logger) error {
	if _, err := eng.Tariff("standard"); err == nil {
		return nil
	} else if !errors.Is(err, charging.ErrNotFound) {
		return err
	}
	t, err := eng.PutTariff(tariff.Standard().Doc)
	if err != nil {
		return fmt.Errorf("demo tariff: %w", err)
	}
	log.Info("salio: demo tariff loaded", "tariff", t.ID, "version", t.Version)
	return nil
}

// announce prints where the server listens and where the admin key is,
// with absolute paths: the operator's next step is to read that file.
func announce(w io.Writer, addr string, o *options, boot api.Bootstrap) {
	fmt.Fprintf(w, "salio %s listening on http://%s (data in %s)\n", version, addr, absPath(o.dataDir))
	switch {
	case boot.Created && boot.FromEnv:
		fmt.Fprintf(w, "admin key: from SALIO_ADMIN_KEY, written to %s\n", absPath(boot.File))
	case boot.Created:
		fmt.Fprintf(w, "admin key: written to %s (mode 0600)\n", absPath(boot.File))
	default:
		fmt.Fprintf(w, "admin key: unchanged (see %s)\n", absPath(o.adminKeyFile))
	}
	if b := o.brokers(); len(b) > 0 {
		fmt.Fprintf(w, "kafka: publishing to %s\n", strings.Join(b, ","))
	} else {
		fmt.Fprintln(w, "kafka: off (CDRs at GET /v1/cdrs)")
	}
}

// stop drains the API, stops the relay, closes the engine and the store.
func (a *app) stop() error {
	var errs []error
	if err := a.srv.Shutdown(); err != nil {
		errs = append(errs, err)
	}
	if err := <-a.served; err != nil {
		errs = append(errs, err)
	}
	a.stopRelay()
	if err := a.closeCore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stopRelay stops the Kafka relay, if any, while the store is still open.
func (a *app) stopRelay() {
	if a.relay != nil {
		a.relay.Stop()
	}
}

// closeCore closes the engine, then the store (which flushes).
func (a *app) closeCore() error {
	if a.eng != nil {
		a.eng.Close()
	}
	if a.st != nil {
		return a.st.Close()
	}
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// logRecovered says what recovery restored and how long it took (Start
// included: it checks every wallet and trims the idempotency records to
// their bound), the first thing to look at after a crash.
func logRecovered(log *slog.Logger, eng *charging.Engine, start time.Time) {
	st := eng.Stats()
	log.Info("salio: recovered", "wallets", st.Wallets, "open_sessions", st.OpenSessions,
		"idempotency_records", st.IdempotencyRecords, "forgotten_early", st.IdempotencyEvictions,
		"took", time.Since(start).Round(time.Millisecond))
}
