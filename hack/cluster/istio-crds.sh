#!/usr/bin/env bash
# Installs Istio's CRDs (networking.istio.io VirtualService, DestinationRule and the rest of the
# one generated file), taken from the Go module zip of istio.io/api
# (kubernetes/customresourcedefinitions.gen.yaml) and cached in .cache/istio/VERSION, so the
# Istio router's writes go through the real schema. Only the CRDs: no istiod and no Envoy run
# here (neither can be had on these machines), so nothing routes traffic by them.
# Server-side apply: idempotent; the warm path is one `kubectl get`. The integration tests'
# global setup runs it.
#   istio-crds.sh [KUBECONFIG]    (default: the local cluster's .local/kubeconfig)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/../../scripts/cluster/lib.sh"
KUBECONFIG_FILE="${1:-$KUBECONFIG_FILE}"
# a version the Go module proxy serves whose VirtualService stores v1 (Istio 1.30)
ISTIO_API_VERSION="${ISTIO_API_VERSION:-v1.30.8}"
dest="$ROOT/.cache/istio/$ISTIO_API_VERSION"
file="$dest/customresourcedefinitions.gen.yaml"

if [ ! -f "$dest/.complete" ]; then
  dir="$(cd / && GOTOOLCHAIN=local go mod download -json "istio.io/api@$ISTIO_API_VERSION" \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -f "$dir/kubernetes/customresourcedefinitions.gen.yaml" ] || die "could not download istio.io/api@$ISTIO_API_VERSION"
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$dir/kubernetes/customresourcedefinitions.gen.yaml" "$file" && chmod u+w "$file"
  touch "$dest/.complete"
fi

# warm path: the CRDs carry no version of their own, so the apply below stamps one
want="$ISTIO_API_VERSION"
have="$(kc get crd virtualservices.networking.istio.io destinationrules.networking.istio.io \
  -o jsonpath='{range .items[*]}{.metadata.annotations.modelguardian\.dev/istio-api-version}{"\n"}{end}' 2>/dev/null || true)"
if [ "$(grep -cx -e "$want" <<<"$have")" = 2 ]; then
  exit 0
fi

names="$(kc apply --server-side --force-conflicts --field-manager=model-guardian-cluster-up -f "$file" -o name)" \
  || die "applying the Istio $ISTIO_API_VERSION CRDs failed (error above)"
# shellcheck disable=SC2086
kc wait --for=condition=Established --timeout="${MG_READY_TIMEOUT}s" $names >/dev/null \
  || die "Istio CRDs not Established within ${MG_READY_TIMEOUT}s"
kc annotate --overwrite crd virtualservices.networking.istio.io destinationrules.networking.istio.io \
  "modelguardian.dev/istio-api-version=$ISTIO_API_VERSION" >/dev/null
log "Istio $ISTIO_API_VERSION CRDs established ($(wc -w <<<"$names") of them)"
