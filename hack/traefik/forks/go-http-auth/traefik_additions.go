// Added by model-guardian (scripts/traefik) to github.com/abbot/go-http-auth v0.4.0: what
// Traefik v3 calls and upstream lacks. build-traefik.sh copies this file into the upstream
// package.

package auth

import (
	"net/http"
	"strings"
)

// CheckSecret reports whether password matches secret, an htpasswd hash (MD5-crypt, {SHA}
// or bcrypt), comparing the way BasicAuth.CheckAuth does.
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, c := range compareFuncs[1:] {
		if strings.HasPrefix(secret, c.prefix) {
			compare = c.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale answers like RequireAuth with stale=true in the challenge (RFC 7616
// 3.3): the credentials were right but the nonce was not, so the client may retry at once.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	a.RequireAuth(staleChallenge{ResponseWriter: w, header: a.Headers.V().Authenticate}, r)
}

// staleChallenge appends stale=true to the challenge header just before it is sent.
type staleChallenge struct {
	http.ResponseWriter
	header string
}

func (s staleChallenge) WriteHeader(code int) {
	if v := s.Header().Get(s.header); v != "" {
		s.Header().Set(s.header, v+", stale=true")
	}
	s.ResponseWriter.WriteHeader(code)
}
