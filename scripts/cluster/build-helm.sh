#!/usr/bin/env bash
# Builds helm from the Go module proxy into .cache/bin (git-ignored), like the control-plane
# binaries. A warm run only checks the version stamp.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/.cache/bin"
mkdir -p "$bin"
if [ -x "$bin/helm" ] && [ "$(cat "$bin/.helm.version" 2>/dev/null)" = "$HELM_VERSION" ]; then
  exit 0
fi
echo "[build] helm $HELM_VERSION (cold build: a few minutes)" >&2
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
GOBIN="$bin" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
echo "$HELM_VERSION" > "$bin/.helm.version"
