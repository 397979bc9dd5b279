#!/usr/bin/env bash
# Installs the Prometheus Operator's PrometheusRule and ServiceMonitor CRDs
# (monitoring.coreos.com/v1), taken from the Go module zip of
# github.com/prometheus-operator/prometheus-operator (example/prometheus-operator-crd/) and cached
# in .cache/prometheus-operator/VERSION, so the chart's optional PrometheusRule and
# ServiceMonitor go through a server-side dry run. Only the CRDs: no Prometheus Operator runs.
# Server-side apply: idempotent; the warm path is one `kubectl get`. The integration tests'
# global setup runs it.
#   prometheus-operator-crds.sh [KUBECONFIG]    (default: the local cluster's .local/kubeconfig)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/../../scripts/cluster/lib.sh"
KUBECONFIG_FILE="${1:-$KUBECONFIG_FILE}"
# the version the Go module proxy serves (`go list -m -versions` lists v0.85.0)
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
KINDS=(prometheusrules servicemonitors)
dest="$ROOT/.cache/prometheus-operator/$PROMETHEUS_OPERATOR_VERSION"

if [ ! -f "$dest/.complete" ]; then
  dir="$(cd / && GOTOOLCHAIN=local go mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir/example/prometheus-operator-crd" ] \
    || die "could not download github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION"
  rm -rf "$dest" && mkdir -p "$dest"
  for k in "${KINDS[@]}"; do
    f="$dir/example/prometheus-operator-crd/monitoring.coreos.com_$k.yaml"
    [ -f "$f" ] || die "prometheus-operator $PROMETHEUS_OPERATOR_VERSION has no CRD file for $k"
    cp "$f" "$dest/" && chmod u+w "$dest/$(basename "$f")"
  done
  touch "$dest/.complete"
fi

# warm path: both CRDs of this version are there (the CRDs carry operator.prometheus.io/version)
want="${PROMETHEUS_OPERATOR_VERSION#v}"
have="$(kc get crd "${KINDS[@]/%/.monitoring.coreos.com}" \
  -o jsonpath='{range .items[*]}{.metadata.annotations.operator\.prometheus\.io/version}{"\n"}{end}' 2>/dev/null || true)"
if [ "$(grep -cx -e "$want" <<<"$have")" = "${#KINDS[@]}" ]; then
  exit 0
fi

names="$(kc apply --server-side --force-conflicts --field-manager=model-guardian-cluster-up \
  -f "$dest" -o name)" || die "applying the Prometheus Operator $PROMETHEUS_OPERATOR_VERSION CRDs failed (error above)"
# shellcheck disable=SC2086
kc wait --for=condition=Established --timeout="${MG_READY_TIMEOUT}s" $names >/dev/null \
  || die "Prometheus Operator CRDs not Established within ${MG_READY_TIMEOUT}s"
log "Prometheus Operator $PROMETHEUS_OPERATOR_VERSION CRDs established: ${KINDS[*]}"
