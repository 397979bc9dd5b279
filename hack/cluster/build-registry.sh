#!/usr/bin/env bash
# Builds distribution's registry (the OCI registry, `registry serve CONFIG`) from its Go module
# into .cache/bin (git-ignored), like helm: the chart's tests push the chart to it and install
# it with `helm install oci://...`. About 5 minutes cold on 2 cores (mostly module downloads);
# a warm run only checks the version stamp.
set -euo pipefail
REGISTRY_VERSION="${REGISTRY_VERSION:-v3.1.2}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/.cache/bin"
mkdir -p "$bin"
if [ -x "$bin/registry" ] && [ "$(cat "$bin/.registry.version" 2>/dev/null)" = "$REGISTRY_VERSION" ]; then
  exit 0
fi
echo "[build] distribution registry $REGISTRY_VERSION (cold build: a few minutes)" >&2
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
GOBIN="$bin" go install -trimpath \
  -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
  "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
echo "$REGISTRY_VERSION" > "$bin/.registry.version"
