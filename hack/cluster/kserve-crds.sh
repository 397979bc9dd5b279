#!/usr/bin/env bash
# Installs KServe's InferenceService CRD (serving.kserve.io/v1beta1, the full schema), taken from
# the Go module zip of github.com/kserve/kserve (config/crd/full/) and cached in
# .cache/kserve/VERSION, so the KServe router's writes go through the real schema. Only the CRD:
# KServe's controller cannot be built here (its module's dependencies are refused by the proxy)
# and Knative is not here either, so nothing serves by it; sim/kserve.ts stands in for the
# controller's revision bookkeeping in the tests that need it.
# Server-side apply (the file is about 2 MB, too large for client-side apply's annotation);
# idempotent; the warm path is one `kubectl get`. The integration tests' global setup runs it.
#   kserve-crds.sh [KUBECONFIG]    (default: the local cluster's .local/kubeconfig)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/../../scripts/cluster/lib.sh"
KUBECONFIG_FILE="${1:-$KUBECONFIG_FILE}"
# v0.20.0: the newest the Go module proxy serves (v0.20.1 and v0.18.x are refused); it adds spec.canary[]
KSERVE_VERSION="${KSERVE_VERSION:-v0.20.0}"
dest="$ROOT/.cache/kserve/$KSERVE_VERSION"
file="$dest/serving.kserve.io_inferenceservices.yaml"

if [ ! -f "$dest/.complete" ]; then
  dir="$(cd / && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "github.com/kserve/kserve@$KSERVE_VERSION" \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  src="$dir/config/crd/full/serving.kserve.io_inferenceservices.yaml"
  [ -f "$src" ] || die "could not download github.com/kserve/kserve@$KSERVE_VERSION"
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$src" "$file" && chmod u+w "$file"
  touch "$dest/.complete"
fi

have="$(kc get crd inferenceservices.serving.kserve.io -o jsonpath='{.metadata.annotations.modelguardian\.dev/kserve-version}' 2>/dev/null || true)"
if [ "$have" = "$KSERVE_VERSION" ]; then
  exit 0
fi

kc apply --server-side --force-conflicts --field-manager=model-guardian-cluster-up -f "$file" >/dev/null \
  || die "applying the KServe $KSERVE_VERSION InferenceService CRD failed (error above)"
# right after the apply the CRD may have no status yet, which `kubectl wait` takes as an error
for _ in $(seq 1 "$MG_READY_TIMEOUT"); do
  kc wait --for=condition=Established --timeout=1s crd/inferenceservices.serving.kserve.io >/dev/null 2>&1 && break
  sleep 1
done
kc wait --for=condition=Established --timeout=1s crd/inferenceservices.serving.kserve.io >/dev/null \
  || die "the InferenceService CRD was not Established within ${MG_READY_TIMEOUT}s"
kc annotate --overwrite crd inferenceservices.serving.kserve.io "modelguardian.dev/kserve-version=$KSERVE_VERSION" >/dev/null
log "KServe $KSERVE_VERSION InferenceService CRD established"
