#!/usr/bin/env bash
# Deletes the kind cluster that scripts/kind/up.sh made (kind delete cluster --name model-guardian),
# with everything in it; the images model-guardian:dev and model-guardian-sim:dev stay in Docker
# (docker image rm them if you like). Safe when the cluster does not exist.
# NOT RUN ON OUR MACHINES: no Docker engine runs there, so kind cannot run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

command -v kind >/dev/null 2>&1 || die "kind is not on PATH (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
# read the list first: grep -q in a pipe under pipefail can fail on kind's SIGPIPE
clusters="$(kind get clusters 2>/dev/null || true)"
if grep -qx "$CLUSTER" <<<"$clusters"; then
  step "Deleting the kind cluster $CLUSTER"
  # also removes its kubeconfig context, kind-model-guardian
  run kind delete cluster --name "$CLUSTER"
else
  log "no kind cluster $CLUSTER: nothing to delete"
fi
