// Written by model-guardian (scripts/traefik); build-traefik.sh puts it in place of
// lego v5's generated registry of DNS-01 providers, which imports ~200 provider packages,
// 14 of whose modules the Go module proxy refuses. This build of Traefik serves the
// integration tests' plain-HTTP data plane and needs no ACME DNS-01 challenge.

package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName always fails: no DNS-01 provider is compiled in.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS-01 provider %q: this Traefik build (model-guardian's test data plane) has no DNS-01 providers", name)
}
