package loadgen

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// newHostClient returns a keep-alive client for target with conns connections.
func newHostClient(target string, conns int) (*fasthttp.HostClient, string, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, "", fmt.Errorf("bad --target %q: want http://host:port", target)
	}
	if u.Scheme != "http" {
		return nil, "", fmt.Errorf("--target %q: only http is supported", target)
	}
	hc := &fasthttp.HostClient{
		Addr:                     u.Host,
		MaxConns:                 conns,
		ReadTimeout:              15 * time.Second,
		WriteTimeout:             15 * time.Second,
		MaxConnWaitTimeout:       15 * time.Second,
		MaxIdleConnDuration:      time.Minute,
		NoDefaultUserAgentHeader: true,
		MaxResponseBodySize:      64 << 20, // transaction pages of hot tenants
		ReadBufferSize:           16 << 10,
	}
	return hc, u.Host, nil
}

// conn is one worker's request and response, reused for every call so that
// a request costs no allocation.
type conn struct {
	hc      *fasthttp.HostClient
	req     *fasthttp.Request
	resp    *fasthttp.Response
	stats   *Stats
	retries int
}

func newConn(hc *fasthttp.HostClient, host string, st *Stats) *conn {
	c := &conn{hc: hc, req: new(fasthttp.Request), resp: new(fasthttp.Response), stats: st, retries: 3}
	c.req.Header.SetHost(host)
	c.req.Header.SetContentType("application/json")
	return c
}

var errGiveUp = errors.New("transport error after retries")

// do sends one request; a transport error is retried with the same body (so
// the same idempotency key) because its outcome is unknown: the replay tells.
// The answer body is valid until the next call.
func (c *conn) do(method string, path, body, auth []byte) (status int, resp []byte, err error) {
	c.req.Header.SetMethod(method)
	c.req.SetRequestURIBytes(path)
	if auth != nil {
		c.req.Header.SetBytesV("Authorization", auth)
	} else {
		c.req.Header.Del("Authorization")
	}
	if body != nil {
		c.req.SetBodyRaw(body)
	} else {
		// ResetBody keeps the header's Content-Length of the last POST,
		// which a GET would then announce, and the server wait for.
		c.req.ResetBody()
		c.req.Header.SetContentLength(0)
	}
	for attempt := 0; ; attempt++ {
		err = c.hc.Do(c.req, c.resp)
		if err == nil {
			return c.resp.StatusCode(), c.resp.Body(), nil
		}
		if attempt >= c.retries {
			return 0, nil, fmt.Errorf("%w: %v", errGiveUp, err)
		}
		c.stats.retries.Add(1)
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
}

// bearer is the Authorization header value for key.
func bearer(key string) []byte { return []byte("Bearer " + strings.TrimSpace(key)) }
