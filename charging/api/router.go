package api

import (
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// handlerFunc serves one route. It writes its answer with r.reply; an error
// it returns becomes the JSON error answer.
type handlerFunc func(s *Server, r *request) error

// routeDef is one entry of routeTable.
type routeDef struct {
	method  string
	pattern string
	perm    perm
	handle  handlerFunc
}

// route is a routeDef compiled for serving.
type route struct {
	routeDef
	segs     []string // "" marks a parameter
	tenantAt int      // index into the params of {t}, -1 if none

	latency prometheus.Observer
	counts  [len(statusCodes)]atomic.Pointer[prometheus.Counter]
}

// maxParams is the most parameters any pattern has.
const maxParams = 2

// compileRoutes copies the table and parses its patterns.
func compileRoutes() []*route {
	out := make([]*route, len(routeTable))
	for i := range routeTable {
		rt := &route{routeDef: routeTable[i], tenantAt: -1}
		n := 0
		for _, seg := range strings.Split(strings.TrimPrefix(rt.pattern, "/"), "/") {
			if strings.HasPrefix(seg, "{") {
				if seg == "{t}" {
					rt.tenantAt = n
				}
				n++
				seg = ""
			}
			rt.segs = append(rt.segs, seg)
		}
		if n > maxParams {
			panic("api: too many parameters in " + rt.pattern)
		}
		out[i] = rt
	}
	return out
}

// match finds the route of method and path. params are slices of path,
// valid during the request only. When the path exists under another method
// it reports methodMismatch (405).
func match(routes []*route, method, path []byte, params *[maxParams][]byte) (rt *route, methodMismatch bool) {
	for _, r := range routes {
		if !r.matchPath(path, params) {
			continue
		}
		if string(method) == r.method {
			return r, false
		}
		methodMismatch = true
	}
	return nil, methodMismatch
}

func (r *route) matchPath(path []byte, params *[maxParams][]byte) bool {
	if len(path) == 0 || path[0] != '/' {
		return false
	}
	rest := path[1:]
	n := 0
	for i, seg := range r.segs {
		end := 0
		for end < len(rest) && rest[end] != '/' {
			end++
		}
		part := rest[:end]
		if seg == "" {
			if len(part) == 0 {
				return false
			}
			params[n] = part
			n++
		} else if string(part) != seg {
			return false
		}
		last := i == len(r.segs)-1
		if last {
			return end == len(rest)
		}
		if end == len(rest) {
			return false
		}
		rest = rest[end+1:]
	}
	return false
}
