#!/usr/bin/env bash
# model-guardian as a production operator on a kind cluster, for people with Docker.
#
# NOT RUN ON OUR MACHINES: no Docker engine runs there (and no internet), so kind cannot run and
# this script has never been run end to end; it has been checked with bash -n and shellcheck,
# its Helm values rendered with `helm template` against the pinned charts, and its manifests
# read with the operator's own schemas. Please report what fails.
#
# What it does, each step idempotent (a second run reuses what the first made):
#   1. checks that docker (with a running engine), kind, kubectl and helm are on PATH
#   2. kind create cluster --name model-guardian --config scripts/kind/kind-config.yaml
#      (an existing cluster of that name is reused)
#   3. docker build -t model-guardian:dev . (the operator), and the simulated model server image
#      model-guardian-sim:dev (scripts/kind/sim.Dockerfile); kind load docker-image both
#   4. the Gateway API standard CRDs, Traefik (the Gateway API data plane) and Prometheus
#   5. helm upgrade --install of charts/model-guardian with image model-guardian:dev,
#      imagePullPolicy Never and PROMETHEUS_URL=http://prometheus-server.monitoring.svc:80
#   6. the demo's story in the cluster (scripts/kind/story.sh; skip it with --no-story)
#
# Pinned versions (change them here): kind and the two charts are the newest releases we could
# read; Gateway API is the one the local control plane installs.
#   kind v0.32.0 and its default node image kindest/node:v1.36.1 (by digest, kind-config.yaml)
#   Gateway API v1.5.1, standard channel (Traefik v3.7 watches TLSRoute v1, standard since 1.5)
#   Traefik Helm chart 41.3.0 with Traefik v3.7.11 (the local tests build v3.7.13 from source)
#   prometheus-community/prometheus chart 29.27.0 (Prometheus v3.14.0)
#
#   bash scripts/kind/up.sh [--no-story]       then: bash scripts/kind/down.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# shellcheck source=lib.sh
source "$here/lib.sh"

KIND_VERSION=v0.32.0
GATEWAY_API_VERSION=v1.5.1
TRAEFIK_CHART=oci://ghcr.io/traefik/helm/traefik
TRAEFIK_CHART_VERSION=41.3.0
PROMETHEUS_CHART=oci://ghcr.io/prometheus-community/charts/prometheus
PROMETHEUS_CHART_VERSION=29.27.0
OPERATOR_IMAGE=model-guardian:dev
SIM_IMAGE=model-guardian-sim:dev
PROMETHEUS_URL=http://prometheus-server.monitoring.svc:80

story=1
for arg in "$@"; do
  case "$arg" in
    --no-story) story=0 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (usage: up.sh [--no-story])" >&2; exit 2 ;;
  esac
done

# --- 1. tools ---------------------------------------------------------------------------
step "1/6 Checking for docker, kind, kubectl and helm"
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not on PATH: $2"; }
need docker "install Docker Engine or Docker Desktop (https://docs.docker.com/get-docker/)"
need kind "install kind $KIND_VERSION (https://kind.sigs.k8s.io/docs/user/quick-start/#installation, or: go install sigs.k8s.io/kind@$KIND_VERSION)"
need kubectl "install kubectl (https://kubernetes.io/docs/tasks/tools/)"
need helm "install helm 3.8 or later, for OCI charts (https://helm.sh/docs/intro/install/)"
# docker on PATH is not enough: kind and docker build need a running engine this user may use
docker info >/dev/null 2>&1 || die "docker is installed but its engine does not answer (docker info failed): start Docker, or add yourself to the docker group"
kind_version="v$(kind version -q 2>/dev/null || echo '?')"   # -q prints the bare semver, 0.32.0
log "docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), kind $kind_version, helm $(helm version --template '{{.Version}}' 2>/dev/null || echo '?'), $(kubectl version --client 2>/dev/null | head -n 1)"
# a node image is built for one kind release; another kind usually works, but is not what we pinned
[ "$kind_version" = "$KIND_VERSION" ] || log "warning: kind is $kind_version, these scripts pin $KIND_VERSION (its node image is in kind-config.yaml)"

# --- 2. cluster -------------------------------------------------------------------------
step "2/6 The kind cluster $CLUSTER"
# read the list first: grep -q in a pipe under pipefail can fail on kind's SIGPIPE
clusters="$(kind get clusters 2>/dev/null || true)"
if grep -qx "$CLUSTER" <<<"$clusters"; then
  log "cluster $CLUSTER exists: reusing it (bash scripts/kind/down.sh deletes it)"
  # its kubeconfig entry may have been removed since; export is idempotent
  run kind export kubeconfig --name "$CLUSTER"
else
  run kind create cluster --name "$CLUSTER" --config "$here/kind-config.yaml" --wait 120s
fi
kc cluster-info

# --- 3. images --------------------------------------------------------------------------
step "3/6 Building the operator and simulator images and loading them into the cluster"
# the operator: the repository's own Dockerfile (node:24-bookworm-slim running src/main.ts)
run docker build -t "$OPERATOR_IMAGE" "$root"
# the simulated model server, its load generator and the demo's trainer: sim/ in a second image
run docker build -t "$SIM_IMAGE" -f "$here/sim.Dockerfile" "$root"
# imagePullPolicy Never: the node must already hold both images (kind load replaces an older one)
load_image() {
  local platform
  run kind load docker-image "$1" --name "$CLUSTER" && return 0
  # Docker's containerd image store (the default since Docker 29) may save an image index whose
  # other platforms' blobs are absent, which the node's import refuses (kind issue 3795)
  log "kind load docker-image $1 failed: loading one platform's archive instead (docker image save --platform, Docker 28+)"
  platform="$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$1")"
  run docker image save --platform "$platform" -o "$tmp/image.tar" "$1"
  run kind load image-archive "$tmp/image.tar" --name "$CLUSTER"
  rm -f "$tmp/image.tar"
}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
load_image "$OPERATOR_IMAGE"
load_image "$SIM_IMAGE"

# --- 4. Gateway API, Traefik, Prometheus ------------------------------------------------
step "4/6 Gateway API $GATEWAY_API_VERSION CRDs, Traefik (chart $TRAEFIK_CHART_VERSION) and Prometheus (chart $PROMETHEUS_CHART_VERSION)"
# server-side: the CRDs exceed the client-side last-applied annotation's size limit
kc apply --server-side --force-conflicts \
  -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$GATEWAY_API_VERSION/standard-install.yaml"
kc wait --for=condition=Established --timeout=60s \
  crd/gatewayclasses.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io
# Traefik, as on the local control plane: GatewayClass traefik, one Gateway traefik/traefik-gateway
hm upgrade --install traefik "$TRAEFIK_CHART" --version "$TRAEFIK_CHART_VERSION" \
  --namespace traefik --create-namespace -f "$here/traefik-values.yaml" --wait --timeout 5m
kc -n traefik wait --for=condition=Programmed --timeout=120s gateway/traefik-gateway
# Prometheus: scrapes the operator's metrics Service and the demo's model pods (prometheus-values.yaml)
hm upgrade --install prometheus "$PROMETHEUS_CHART" --version "$PROMETHEUS_CHART_VERSION" \
  --namespace monitoring --create-namespace -f "$here/prometheus-values.yaml" --wait --timeout 5m

# --- 5. the operator --------------------------------------------------------------------
step "5/6 The operator: helm upgrade --install charts/model-guardian ($OPERATOR_IMAGE, PROMETHEUS_URL=$PROMETHEUS_URL)"
# the CRDs applied by this script (server-side, like scripts/cluster/up.sh), not by the release
# (crds.install=false): a cluster made by an earlier run has them without Helm's ownership
kc apply --server-side --force-conflicts --field-manager=model-guardian-kind-up -f "$root/crds/"
kc wait --for=condition=Established --timeout=60s \
  crd/modelmonitors.modelguardian.dev crd/retrainpolicies.modelguardian.dev crd/modelrollouts.modelguardian.dev
existed=0
helm --kube-context "$CONTEXT" status model-guardian --namespace "$OPERATOR_NAMESPACE" >/dev/null 2>&1 && existed=1
hm upgrade --install model-guardian "$root/charts/model-guardian" \
  --namespace "$OPERATOR_NAMESPACE" --create-namespace --set crds.install=false \
  --set image.repository=model-guardian --set image.tag=dev --set image.pullPolicy=Never \
  --set prometheus.url="$PROMETHEUS_URL" --wait --timeout 5m
if [ "$existed" = 1 ]; then
  # same tag, new image: helm sees no change in the pod template, so restart to run the new build
  kc -n "$OPERATOR_NAMESPACE" rollout restart deployment/model-guardian
  kc -n "$OPERATOR_NAMESPACE" rollout status deployment/model-guardian --timeout=180s
fi
kc -n "$OPERATOR_NAMESPACE" get pods -o wide

# --- 6. the story -----------------------------------------------------------------------
if [ "$story" = 1 ]; then
  step "6/6 The demo's story in the cluster (scripts/kind/story.sh)"
  bash "$here/story.sh"
else
  step "6/6 Skipped the story (--no-story); run it with: bash scripts/kind/story.sh"
fi

step "Up. The cluster keeps running:"
log "kubectl --context $CONTEXT get mm,mro -n demo -o wide"
log "kubectl --context $CONTEXT -n $OPERATOR_NAMESPACE logs deploy/model-guardian -f"
log "Prometheus: http://127.0.0.1:30090   (try: modelguardian_monitor_health, model_predictions_total)"
log "Traefik:    curl -s -XPOST http://127.0.0.1:30080/predict   (the route of namespace demo)"
log "Delete everything with: bash scripts/kind/down.sh"
