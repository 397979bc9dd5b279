#!/usr/bin/env bash
# Builds helm from the Go module proxy into .cache/bin (git-ignored), like the control-plane
# binaries. A warm run only checks the version stamps.
#
# Stamped as helm's own Makefile stamps a release: its version, and the Kubernetes version of its
# client-go (go.mod) as the default for `helm template` and `helm lint` without --kube-version.
# A plain `go install` leaves chartutil's default at v1.20.0, and then a chart whose kubeVersion
# asks for more (ours: >=1.30.0-0) fails to render offline, as it would not with a released helm.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/.cache/bin"
mkdir -p "$bin"
# .helm.version as before (older checkouts read only it); .helm.kube: the stamped Kubernetes version
if [ -x "$bin/helm" ] && [ "$(cat "$bin/.helm.version" 2>/dev/null)" = "$HELM_VERSION" ] && [ -s "$bin/.helm.kube" ]; then
  exit 0
fi
echo "[build] helm $HELM_VERSION (cold build: a few minutes)" >&2
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")"   # v0.37.0 -> Kubernetes 1.37
[[ "$client_go" =~ ^v0\.([0-9]+)\. ]] || { echo "[build] cannot read k8s.io/client-go's version from $gomod" >&2; exit 1; }
kube_minor="${BASH_REMATCH[1]}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kube_minor"
done
GOBIN="$bin" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
echo "$HELM_VERSION" > "$bin/.helm.version"
echo "1.$kube_minor" > "$bin/.helm.kube"
