#!/usr/bin/env bash
# Installs the Gateway API standard-channel CRDs (sigs.k8s.io/gateway-api, taken from its Go
# module zip and cached in .cache/gateway-api/VERSION) and the GatewayClass `traefik`, whose
# controller is the Traefik data plane that integration tests start (build-traefik.sh).
# Server-side apply: idempotent, a no-op when nothing changed. up.sh runs it after crds/.
#   gateway-api.sh [KUBECONFIG]    (default: the local cluster's .local/kubeconfig)
#
# v1.5.1 rather than v1.4.1: Traefik v3.7 watches TLSRoute at v1 (standard from v1.5) and
# waits for every informer to sync, so without that CRD its Gateway provider never starts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/../../scripts/cluster/lib.sh"
KUBECONFIG_FILE="${1:-$KUBECONFIG_FILE}"
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-v1.5.1}"
# the standard channel's CRDs (its folder also holds a ValidatingAdmissionPolicy: not a CRD)
KINDS=(gatewayclasses gateways httproutes grpcroutes referencegrants backendtlspolicies tlsroutes listenersets)
dest="$ROOT/.cache/gateway-api/$GATEWAY_API_VERSION"

if [ ! -f "$dest/.complete" ]; then
  dir="$(cd / && GOTOOLCHAIN=local go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir/config/crd/standard" ] || die "could not download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
  rm -rf "$dest" && mkdir -p "$dest"
  for k in "${KINDS[@]}"; do
    f="$dir/config/crd/standard/gateway.networking.k8s.io_$k.yaml"
    if [ -f "$f" ]; then cp "$f" "$dest/"; chmod u+w "$dest/$(basename "$f")"; fi
  done
  for k in gatewayclasses gateways httproutes referencegrants; do
    [ -f "$dest/gateway.networking.k8s.io_$k.yaml" ] || die "gateway-api $GATEWAY_API_VERSION has no standard CRD for $k"
  done
  touch "$dest/.complete"
fi

# warm path (every cluster:up): the CRDs of this version and the GatewayClass are there
shopt -s nullglob
files=("$dest"/*.yaml)
shopt -u nullglob
objs=(gatewayclass/traefik)
for f in "${files[@]}"; do
  k="${f##*_}"; objs+=("crd/${k%.yaml}.gateway.networking.k8s.io")
done
have="$(kc get "${objs[@]}" -o jsonpath='{range .items[*]}{.metadata.annotations.gateway\.networking\.k8s\.io/bundle-version}{.spec.controllerName}{"\n"}{end}' 2>/dev/null || true)"
if [ "$(grep -cx -e "$GATEWAY_API_VERSION" -e traefik.io/gateway-controller <<<"$have")" = "${#objs[@]}" ]; then
  exit 0
fi

names="$(kc apply --server-side --force-conflicts --field-manager=model-guardian-cluster-up \
  -f "$dest" -o name)" || die "applying the Gateway API $GATEWAY_API_VERSION CRDs failed (error above)"
# shellcheck disable=SC2086
kc wait --for=condition=Established --timeout="${MG_READY_TIMEOUT}s" $names >/dev/null \
  || die "Gateway API CRDs not Established within ${MG_READY_TIMEOUT}s"
kc apply --server-side --force-conflicts --field-manager=model-guardian-cluster-up -f - >/dev/null <<'EOF' \
  || die "applying GatewayClass traefik failed (error above)"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: traefik
spec:
  controllerName: traefik.io/gateway-controller
  description: Traefik of the tests and the demo (dataplane.ts)
EOF
log "Gateway API $GATEWAY_API_VERSION CRDs established, GatewayClass traefik applied"
