package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/salio/salio/charging"
)

// Config configures a Server.
type Config struct {
	Engine   *charging.Engine
	Logger   *slog.Logger         // default: discard
	Registry *prometheus.Registry // /metrics serves it; nil: a new one
	Limits   Limits
	// AccessLog enables the access log: one slog line per sampled request.
	AccessLog bool
	// AccessLogSample logs one request in N (default 1: every request).
	AccessLogSample int
	// ShutdownTimeout bounds how long Shutdown waits for in-flight requests
	// (default 30 s).
	ShutdownTimeout time.Duration
	// Backlog reports the Kafka relays' backlogs for /readyz details (nil or
	// an empty answer: Kafka off). A backlog never makes the server unready:
	// Kafka being down must not stop charging.
	Backlog func() []LogBacklog
}

// LogBacklog is one outbox log's delivery state, shown by /readyz.
type LogBacklog struct {
	Log            string        // "cdrs" | "events"
	Records        uint64        // committed, not yet acknowledged by Kafka
	OldestAge      time.Duration // age of the oldest unpublished record in flight
	PublishedTotal uint64
	ParkedTotal    uint64
}

// Server is the HTTP API of one engine.
type Server struct {
	eng      *charging.Engine
	backlog  func() []LogBacklog
	log      *slog.Logger
	limits   Limits
	routes   []*route
	m        *metrics
	registry *prometheus.Registry
	srv      *fasthttp.Server
	pool     sync.Pool
	metricsH fasthttp.RequestHandler

	accessLog    bool
	sample       uint64
	seq          atomic.Uint64
	shuttingDown atomic.Bool
	shutdownWait time.Duration
}

// New returns a server for cfg.Engine.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.AccessLogSample <= 0 {
		cfg.AccessLogSample = 1
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = defaultShutdownTimeout
	}
	s := &Server{
		eng:          cfg.Engine,
		backlog:      cfg.Backlog,
		log:          cfg.Logger,
		limits:       cfg.Limits.withDefaults(),
		routes:       compileRoutes(),
		registry:     cfg.Registry,
		accessLog:    cfg.AccessLog,
		sample:       uint64(cfg.AccessLogSample),
		shutdownWait: cfg.ShutdownTimeout,
	}
	s.m = newMetrics(cfg.Registry, cfg.Engine)
	for _, rt := range s.routes {
		s.m.bind(rt)
	}
	s.m.unmatched = &route{routeDef: routeDef{pattern: "unmatched"}}
	s.m.bind(s.m.unmatched)
	s.metricsH = newMetricsHandler(cfg.Registry)
	s.pool.New = func() any { return new(request) }
	s.srv = &fasthttp.Server{
		Handler:              s.handle,
		ErrorHandler:         s.transportError,
		Name:                 "salio",
		MaxRequestBodySize:   s.limits.MaxBodyBytes,
		ReadTimeout:          readTimeout,
		WriteTimeout:         writeTimeout,
		IdleTimeout:          idleTimeout,
		CloseOnShutdown:      true,
		Logger:               fasthttpLogger{cfg.Logger},
		NoDefaultContentType: true,
	}
	return s
}

// Handler returns the request handler (for tests and benchmarks that drive
// a fasthttp.RequestCtx directly).
func (s *Server) Handler() fasthttp.RequestHandler { return s.handle }

// ListenAndServe listens on addr and serves until Shutdown.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve serves ln until Shutdown; it returns nil after a Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting connections and waits for in-flight requests to
// finish (at most Config.ShutdownTimeout). /readyz answers 503 from now on.
func (s *Server) Shutdown() error {
	s.shuttingDown.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdownWait)
	defer cancel()
	if err := s.srv.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}

// request is the per-request state, pooled. Nothing in it may outlive the
// handler: release clears every reference to the RequestCtx and its bytes.
type request struct {
	ctx    *fasthttp.RequestCtx
	route  *route
	params [maxParams][]byte
	key    keyInfo
	dec    decoder
	enc    enc
	items  []batchItem
	evs    []charging.EventRequest
}

func (r *request) release() {
	r.ctx, r.route, r.params, r.key = nil, nil, [maxParams][]byte{}, keyInfo{}
	r.dec.reset(nil, 0)
	clear(r.items)
	clear(r.evs)
	r.items, r.evs = r.items[:0], r.evs[:0]
}

// param returns the i-th URL parameter as a new string.
func (r *request) param(i int) string { return string(r.params[i]) }

// body returns the request body; valid during the request only.
func (r *request) body() []byte { return r.ctx.PostBody() }

// decoder returns the request's decoder reset to its body.
func (s *Server) decoder(r *request) *decoder {
	r.dec.reset(r.body(), s.limits.MaxTopUpMicros)
	return &r.dec
}

// begin starts the JSON answer in the request's buffer.
func (r *request) begin() *enc {
	r.enc.reset(r.enc.b)
	r.enc.open()
	return &r.enc
}

// reply ends the JSON answer begun with begin and sends it with status.
func (r *request) reply(status int) error {
	r.enc.close()
	r.send(status)
	return nil
}

// send hands the encoded buffer to the response without copying: the
// response's previous buffer becomes ours for the next request.
func (r *request) send(status int) {
	r.ctx.SetStatusCode(status)
	r.ctx.SetContentType("application/json")
	old := r.ctx.Response.SwapBody(r.enc.b)
	r.enc.b = old[:0]
}

// noContent answers 204.
func (r *request) noContent() error {
	r.ctx.SetStatusCode(fasthttp.StatusNoContent)
	r.ctx.Response.ResetBody()
	return nil
}

// handle is the fasthttp handler: route, authorize, serve, count, log.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	r := s.pool.Get().(*request)
	r.ctx = ctx
	rt, mismatch := match(s.routes, ctx.Method(), ctx.Path(), &r.params)
	var err error
	switch {
	case rt == nil && mismatch:
		err = &apiError{status: 405, code: codeMethod, msg: "method not allowed on this path"}
	case rt == nil:
		err = notFound("no such route")
	case len(ctx.PostBody()) > s.limits.MaxBodyBytes:
		// fasthttp refuses such a body while reading it; this catches a
		// handler driven directly (tests, an embedding server).
		err = s.bodyTooLarge()
	default:
		r.route = rt
		err = s.serve(rt, r)
	}
	if err != nil {
		s.writeError(r, err)
	}
	if rt == nil {
		rt = s.m.unmatched
	}
	status := ctx.Response.StatusCode()
	s.m.observe(rt, status, start)
	if s.accessLog && s.seq.Add(1)%s.sample == 0 {
		s.logAccess(r, rt, status, start)
	}
	r.release()
	s.pool.Put(r)
}

// serve authorizes and runs the route's handler; a panic is a 500, logged.
func (s *Server) serve(rt *route, r *request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("api: handler panic", "route", rt.pattern, "panic", fmt.Sprint(p))
			err = errors.New("panic")
		}
	}()
	if rt.perm != permNone {
		if err := s.authorize(rt, r); err != nil {
			return err
		}
	}
	return rt.handle(s, r)
}

// writeError writes the JSON error answer and counts a limit hit.
func (s *Server) writeError(r *request, err error) {
	ae := toAPIError(err)
	if ae.limit != "" {
		s.m.limitHit(ae.limit)
	}
	if ae.status == 500 {
		s.log.Error("api: internal error", "err", err.Error())
	}
	e := r.begin()
	appendError(e, ae)
	r.reply(ae.status)
}

// transportError answers what fasthttp refused before the handler: a body
// over MaxRequestBodySize is the spec's JSON 413.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	var r request
	r.ctx = ctx
	ae := invalid("", "malformed HTTP request")
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		ae = s.bodyTooLarge()
	}
	if ae.limit != "" {
		s.m.limitHit(ae.limit)
	}
	e := r.begin()
	appendError(e, ae)
	r.reply(ae.status)
}

func (s *Server) bodyTooLarge() *apiError {
	return tooLarge(limitBody, "the body is over the limit of "+strconv.Itoa(s.limits.MaxBodyBytes)+" bytes")
}

// logAccess writes one access-log line. Nothing secret is logged: the key
// appears by id only.
func (s *Server) logAccess(r *request, rt *route, status int, start time.Time) {
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "access",
		slog.String("method", string(r.ctx.Method())),
		slog.String("path", string(r.ctx.Path())),
		slog.String("route", rt.pattern),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.String("key", r.key.id),
		slog.String("remote", r.ctx.RemoteIP().String()),
	)
}

// fasthttpLogger sends fasthttp's own messages (connection errors, mostly
// clients that went away or sent too much) to slog at debug level.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("fasthttp: " + fmt.Sprintf(format, args...))
}
