// Added by model-guardian (scripts/traefik) to github.com/gorilla/mux v1.8.1: what Traefik
// v3 calls and upstream lacks. build-traefik.sh copies this file into the upstream module
// and makes upstream's three `req.URL.EscapedPath()` call sites call encodedPath instead.

package mux

import "net/http"

type routingPathContextKey int

// RoutingPathKey is the request-context key under which a caller stores the path its
// routes should match (Traefik stores the escaped path with non-reserved characters
// decoded, so that PathPrefix(`/foo bar`) matches /foo%20bar).
const RoutingPathKey routingPathContextKey = 0

// UseRoutingPath makes the router's routes match the path stored under RoutingPathKey in
// the request's context, or the escaped path when the request carries none.
func (r *Router) UseRoutingPath() *Router {
	r.useEncodedPath = true
	return r
}

// encodedPath is the path that routes with an encoded path match: the routing path when
// the request's context has one, else the request's escaped path (upstream's behaviour).
func encodedPath(req *http.Request) string {
	if p, ok := req.Context().Value(RoutingPathKey).(string); ok {
		return p
	}
	return req.URL.EscapedPath()
}
