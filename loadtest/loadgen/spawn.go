package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// modulePath is the module whose cmd/salio Spawn builds.
const modulePath = "github.com/salio/salio"

// SpawnOptions say how to start a server of our own.
type SpawnOptions struct {
	Bin        string // prebuilt salio binary; "" = build ./cmd/salio
	Module     string // module root; "" = found from the working directory
	Kafka      string // "" off, "embedded" for an in-process kfake broker, else a broker list
	Durability string // --durability when set
	Pprof      bool   // serve net/http/pprof on a free loopback port (Server.PprofAddr)
	KeepData   bool
	Logf       func(format string, args ...any)
}

// Server is a `salio serve` child process on a temp data dir and a free
// loopback port.
type Server struct {
	URL      string
	AdminKey string
	DataDir  string
	LogPath  string
	Brokers  string
	// PprofAddr is the server's net/http/pprof address when
	// SpawnOptions.Pprof was set.
	PprofAddr string

	cmd    *exec.Cmd
	tmp    string
	keep   bool
	kafka  *kfake.Cluster
	exited chan struct{}
	logf   func(string, ...any)
}

// FindModule walks up from the working directory to the go.mod of Salio.
func FindModule() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the " + modulePath + " module: give --salio-bin")
		}
		dir = parent
	}
}

// BuildSalio runs `go build -o <dir>/salio ./cmd/salio` in the module root.
func BuildSalio(module, dir string) (string, error) {
	if module == "" {
		m, err := FindModule()
		if err != nil {
			return "", err
		}
		module = m
	}
	bin := filepath.Join(dir, "salio")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/salio")
	cmd.Dir = module
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/salio: %v\n%s", err, out)
	}
	return bin, nil
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RandomKey returns a fresh 32-hex-digit secret.
func RandomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Spawn builds (unless given a binary) and starts `salio serve`, and returns
// once /readyz answers 200.
func Spawn(o SpawnOptions) (*Server, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	tmp, err := os.MkdirTemp("", "salio-loadtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{tmp: tmp, keep: o.KeepData, DataDir: filepath.Join(tmp, "data"),
		LogPath: filepath.Join(tmp, "server.log"), AdminKey: RandomKey(), exited: make(chan struct{}), logf: o.Logf}
	fail := func(err error) (*Server, error) {
		s.keep = true // leave the log to read
		s.Stop()
		return nil, err
	}
	bin := o.Bin
	if bin == "" {
		o.Logf("building ./cmd/salio")
		if bin, err = BuildSalio(o.Module, tmp); err != nil {
			return fail(err)
		}
	}
	if err := s.startKafka(o.Kafka); err != nil {
		return fail(err)
	}
	if err := s.startProcess(bin, o); err != nil {
		return fail(err)
	}
	o.Logf("salio serve on %s (data %s, pid %d)", strings.TrimPrefix(s.URL, "http://"), s.DataDir, s.cmd.Process.Pid)
	if err := s.waitReady(60 * time.Second); err != nil {
		return fail(fmt.Errorf("%v; server log %s:\n%s", err, s.LogPath, s.LogTail(2000)))
	}
	return s, nil
}

// startKafka starts the embedded broker (kafka "embedded") or takes a broker
// list; "" and "off" leave Kafka off.
func (s *Server) startKafka(kafka string) error {
	switch kafka {
	case "", "off":
	case "embedded":
		// BlackholeProduce: acks like a broker but keeps no records, so a long
		// run does not grow the generator's memory by every CDR.
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(),
			kfake.SeedTopics(8, "salio.cdrs", "salio.events"), kfake.BlackholeProduce())
		if err != nil {
			return fmt.Errorf("kfake: %w", err)
		}
		s.kafka = c
		s.Brokers = strings.Join(c.ListenAddrs(), ",")
	default:
		s.Brokers = kafka
	}
	return nil
}

// startProcess starts `bin serve` on a free loopback port, its output in
// s.LogPath; s.exited closes when it ends.
func (s *Server) startProcess(bin string, o SpawnOptions) error {
	addr, err := FreeAddr()
	if err != nil {
		return err
	}
	s.URL = "http://" + addr
	args := []string{"serve", "--addr", addr, "--data-dir", s.DataDir}
	if s.Brokers != "" {
		args = append(args, "--kafka-brokers", s.Brokers)
	}
	if o.Durability != "" {
		args = append(args, "--durability", o.Durability)
	}
	if o.Pprof {
		if s.PprofAddr, err = FreeAddr(); err != nil {
			return err
		}
		args = append(args, "--pprof-addr", s.PprofAddr)
	}
	logf, err := os.Create(s.LogPath)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), "SALIO_ADMIN_KEY="+s.AdminKey)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() {
		_ = s.cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	return nil
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("salio serve exited before it was ready (%v)", s.cmd.ProcessState)
		default:
		}
		resp, err := hc.Get(s.URL + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("salio serve not ready after %v", limit)
}

// Settle waits, at most limit, until the server runs no compaction (its
// /metrics polled every 50 ms), and reports whether it got there. A
// compaction left over from one measurement takes CPU from the next, which
// on the server's cores may be another process's (the bench's no-op
// handler).
func (s *Server) Settle(ctx context.Context, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	hc, host, err := newHostClient(s.URL, 1)
	if err != nil {
		return false
	}
	c := newConn(hc, host, &Stats{})
	for {
		if m := scrapeMetrics(c); m.OK && m.CompactionsRunning == 0 {
			return true
		}
		if time.Now().After(deadline) || s.Exited() {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// LogTail returns the last n bytes of the server's output.
func (s *Server) LogTail(n int) string {
	b, _ := os.ReadFile(s.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Stop sends SIGTERM (the server drains and flushes), kills it after 30 s,
// stops the embedded broker and removes the temp dir unless KeepData. It
// returns the exit code (-1 if killed or never started).
func (s *Server) Stop() int {
	code := -1
	if s.cmd != nil && s.cmd.Process != nil {
		if !s.Exited() {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(30 * time.Second):
				s.logf("salio serve did not stop within 30 s of SIGTERM: killing it")
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
		code = s.cmd.ProcessState.ExitCode()
	}
	if s.kafka != nil {
		s.kafka.Close()
		s.kafka = nil
	}
	if !s.keep {
		_ = os.RemoveAll(s.tmp)
	} else if s.tmp != "" {
		s.logf("kept %s", s.tmp)
	}
	return code
}
