#!/usr/bin/env bash
# One-command local control plane on 127.0.0.1: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok (a fake node whose pods run and whose Job
# pods complete) and Prometheus (1 s scrapes, file-based service discovery).
# Idempotent: if everything is already up it only re-applies crds/ (and the Gateway API CRDs,
# gateway-api.sh) and returns.
# Writes .local/kubeconfig and .local/env (source it: KUBECONFIG, PROMETHEUS_URL, ports).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
started_ms=$(($(date +%s%N) / 1000000))
elapsed() { local ms=$(($(date +%s%N) / 1000000 - started_ms)); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); }

# The node heartbeat must come well within the node-monitor grace period (see lib.sh): at
# least 4 Lease renewals (one every quarter of the lease duration) per grace period.
[[ "$MG_NODE_LEASE_DURATION_SECONDS" =~ ^[1-9][0-9]*$ && "$MG_NODE_MONITOR_GRACE_SECONDS" =~ ^[1-9][0-9]*$ ]] \
  || die "MG_NODE_LEASE_DURATION_SECONDS and MG_NODE_MONITOR_GRACE_SECONDS must be whole seconds > 0"
[ "$MG_NODE_LEASE_DURATION_SECONDS" -le "$MG_NODE_MONITOR_GRACE_SECONDS" ] \
  || die "MG_NODE_LEASE_DURATION_SECONDS ($MG_NODE_LEASE_DURATION_SECONDS) must not exceed MG_NODE_MONITOR_GRACE_SECONDS ($MG_NODE_MONITOR_GRACE_SECONDS): the node would flap to NotReady"
settings="$(cluster_settings)"

bash "$here/ensure-prereqs.sh"
bash "$here/../../hack/cluster/build-binaries.sh"
take_lock
mkdir -p "$PIDS" "$LOGS" "$CERTS" "$AUTH" "$KCFGS"

# --- CRDs -----------------------------------------------------------------------------
apply_crds() {
  local src=() f names
  # Gateway API CRDs and GatewayClass traefik (the integration tests' Traefik data plane)
  bash "$here/../../hack/cluster/gateway-api.sh" || die "the control plane is up, but installing the Gateway API CRDs failed (error above)"
  if [ -f "$MG_CRDS_DIR/kustomization.yaml" ]; then
    src=(-k "$MG_CRDS_DIR")       # crds/ is a kustomize base: apply exactly what it lists
  else
    shopt -s nullglob
    for f in "$MG_CRDS_DIR"/*.yaml "$MG_CRDS_DIR"/*.yml; do src+=(-f "$f"); done
    shopt -u nullglob
  fi
  if [ "${#src[@]}" -eq 0 ]; then log "$MG_CRDS_DIR has no YAML files; nothing to install"; return; fi
  # server-side: large CRDs exceed the client-side last-applied annotation limit;
  # --force-conflicts: crds/ is the source of truth for these objects.
  names="$(kc apply --server-side --force-conflicts --field-manager=model-guardian-cluster-up \
    "${src[@]}" -o name)" \
    || die "the control plane is up, but applying crds/ failed (error above); fix it and rerun cluster:up"
  # shellcheck disable=SC2086
  kc wait --for=condition=Established --timeout="${MG_READY_TIMEOUT}s" $names >/dev/null \
    || die "CRDs not Established within ${MG_READY_TIMEOUT}s: $names"
  log "CRDs established: $(echo "$names" | sed 's#.*/##' | tr '\n' ' ')"
}

apiserver_ready() {
  http_ok "https://127.0.0.1:$MG_APISERVER_PORT/readyz" --cacert "$CERTS/ca.crt" \
    -H "Authorization: Bearer $(admin_token)"
}
prometheus_ready() { http_ok "http://127.0.0.1:$MG_PROMETHEUS_PORT/-/ready"; }
admin_token() { awk -F, '$2=="admin"{print $1}' "$AUTH/tokens.csv"; }

# --- warm path: everything already running ---------------------------------------------
all_alive=1
for c in "${COMPONENTS[@]}"; do alive "$c" || all_alive=0; done
if [ "$all_alive" = 1 ] && [ -f "$ENV_FILE" ]; then
  # Health checks must use the ports the running cluster was started with; the node
  # settings it also exports are the old ones: keep the wanted ones for a restart.
  lease="$MG_NODE_LEASE_DURATION_SECONDS" grace="$MG_NODE_MONITOR_GRACE_SECONDS"
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  MG_NODE_LEASE_DURATION_SECONDS="$lease" MG_NODE_MONITOR_GRACE_SECONDS="$grace"
  healthy=0
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if apiserver_ready && prometheus_ready; then healthy=1; break; fi
    sleep 0.5
  done
  # a running kwok keeps the stages it started with: restart when kwok-stages.yaml changed
  if [ "$healthy" = 1 ] && ! cmp -s "$here/kwok-stages.yaml" "$KWOK_DIR/stages.yaml"; then
    log "kwok-stages.yaml changed since the cluster started"
    healthy=0
  fi
  # likewise when the flags in cluster_settings (lib.sh) changed, or the cluster predates them
  if [ "$healthy" = 1 ] && [ "$settings" != "$(cat "$SETTINGS_FILE" 2>/dev/null)" ]; then
    log "node heartbeat settings changed since the cluster started; now: $(echo "$settings" | paste -sd ';' | sed 's/;/; /g')"
    healthy=0
  fi
  if [ "$healthy" = 1 ]; then
    apply_crds
    log "already up ($(elapsed)s); source $ENV_FILE"
    exit 0
  fi
  log "processes are alive but not healthy; restarting the cluster"
fi

# --- stale or half-dead state: clean it up first ----------------------------------------
if [ -n "$(our_pids)" ] || compgen -G "$PIDS/*.pid" >/dev/null; then
  log "found a stale/partial cluster; cleaning it up"
  stop_all
fi
remove_data

for var in MG_ETCD_PORT MG_ETCD_PEER_PORT MG_APISERVER_PORT MG_KCM_PORT MG_SCHEDULER_PORT \
           MG_KWOK_PORT MG_PROMETHEUS_PORT; do
  port="${!var}"
  if port_in_use "$port"; then
    ss -Hltnp "sport = :$port" >&2 || true
    die "port $port is already in use by another program; choose another with $var=<port>"
  fi
done

# --- one-time material (kept across cluster:down) --------------------------------------
if [ ! -s "$CERTS/sa.key" ]; then
  # one RSA key signs (apiserver, controller-manager) and verifies service-account tokens
  openssl genrsa -out "$CERTS/sa.key" 2048 2>/dev/null
fi
if [ ! -s "$AUTH/tokens.csv" ]; then
  # static bearer tokens: token,user,uid,"groups"; every component is a cluster admin
  umask 077
  {
    echo "$(openssl rand -hex 24),admin,admin,\"system:masters\""
    echo "$(openssl rand -hex 24),system:kube-controller-manager,kcm,\"system:masters\""
    echo "$(openssl rand -hex 24),system:kube-scheduler,scheduler,\"system:masters\""
    echo "$(openssl rand -hex 24),kwok,kwok,\"system:masters\""
  } > "$AUTH/tokens.csv"
  umask 022
fi
token_of() { awk -F, -v u="$1" '$2==u{print $1}' "$AUTH/tokens.csv"; }

mkdir -p -m 700 "$ETCD_DATA"   # etcd warns about anything wider
mkdir -p "$PROM_DATA" "$PROM_TARGETS" "$PROM_DIR/rules" "$KWOK_DIR"
echo "$settings" > "$SETTINGS_FILE"

# --- Prometheus (independent of Kubernetes: start it first, in parallel) ----------------
cat > "$PROM_DIR/prometheus.yml" <<EOF
# generated by scripts/cluster/up.sh
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $PROM_DIR/rules/*.yml
  - $PROM_DIR/rules/*.yaml
scrape_configs:
  # Drop a JSON file into $PROM_TARGETS while Prometheus runs, e.g.
  # [{"targets": ["127.0.0.1:9464"], "labels": {"job": "my-exporter"}}]
  - job_name: file-sd
    file_sd_configs:
      - files: ["$PROM_TARGETS/*.json"]
        refresh_interval: 1s
EOF
start prometheus "$(component_exe prometheus)" \
  --config.file="$PROM_DIR/prometheus.yml" \
  --storage.tsdb.path="$PROM_DATA" \
  --storage.tsdb.retention.time=1d \
  --web.listen-address="127.0.0.1:$MG_PROMETHEUS_PORT" \
  --web.enable-admin-api \
  --web.enable-lifecycle \
  --web.enable-remote-write-receiver

# --- etcd -----------------------------------------------------------------------------
start etcd "$BIN/etcd" \
  --name=mg \
  --data-dir="$ETCD_DATA" \
  --listen-client-urls="http://127.0.0.1:$MG_ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$MG_ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$MG_ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$MG_ETCD_PEER_PORT" \
  --initial-cluster="mg=http://127.0.0.1:$MG_ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level=warn
wait_for etcd "etcd /health on :$MG_ETCD_PORT" http_ok "http://127.0.0.1:$MG_ETCD_PORT/health"

# --- kube-apiserver -------------------------------------------------------------------
write_audit_policy
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$MG_ETCD_PORT" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$MG_APISERVER_PORT" \
  --cert-dir="$CERTS/apiserver" \
  --token-auth-file="$AUTH/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$CERTS/sa.key" \
  --service-account-signing-key-file="$CERTS/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --endpoint-reconciler-type=none \
  --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
  --audit-policy-file="$AUDIT_POLICY" \
  --audit-log-path="$AUDIT_LOG" \
  --audit-log-format=json \
  --audit-log-maxsize=200 \
  --audit-log-maxbackup=3 \
  --profiling=false
# (--endpoint-reconciler-type=none: a loopback address is not a valid Endpoints IP, the
#  default reconciler would log an error every 10 s.)
# (OwnerReferencesPermissionEnforcement: as on OpenShift, an owner reference that blocks the
#  owner's deletion needs update on the owner's finalizers; the shipped RBAC must be enough.)
# (the audit log records every request of the model-guardian-system ServiceAccounts: the
#  least-privilege test compares the verbs they used with those the shipped roles grant.)
wait_for kube-apiserver "kube-apiserver /readyz on :$MG_APISERVER_PORT" \
  http_ok "https://127.0.0.1:$MG_APISERVER_PORT/readyz" -k

# The self-signed serving certificate (apiserver.crt) is the leaf followed by its CA.
awk '/BEGIN CERTIFICATE/{n++; buf=""} n{buf=buf $0 "\n"} END{printf "%s", buf}' \
  "$CERTS/apiserver/apiserver.crt" > "$CERTS/ca.crt"
tls_lines="      certificate-authority-data: $(base64 -w0 < "$CERTS/ca.crt")"
if ! apiserver_ready; then
  log "WARNING: the apiserver certificate does not verify for 127.0.0.1 with its CA; using insecure-skip-tls-verify"
  tls_lines="      insecure-skip-tls-verify: true"
fi

write_kubeconfig() { # FILE USER TOKEN
  umask 077
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: model-guardian-local
    cluster:
      server: https://127.0.0.1:$MG_APISERVER_PORT
$tls_lines
users:
  - name: $2
    user:
      token: $3
contexts:
  - name: model-guardian-local
    context:
      cluster: model-guardian-local
      user: $2
current-context: model-guardian-local
EOF
  umask 022
}
write_kubeconfig "$KUBECONFIG_FILE" admin "$(token_of admin)"
write_kubeconfig "$KCFGS/kube-controller-manager.kubeconfig" system:kube-controller-manager \
  "$(token_of system:kube-controller-manager)"
write_kubeconfig "$KCFGS/kube-scheduler.kubeconfig" system:kube-scheduler \
  "$(token_of system:kube-scheduler)"
write_kubeconfig "$KCFGS/kwok.kubeconfig" kwok "$(token_of kwok)"

# --- controller-manager, scheduler, kwok (all only need the apiserver) -------------------
kcm_kc="$KCFGS/kube-controller-manager.kubeconfig"
# All default controllers: a Job needs job, serviceaccount (the `default` SA pods are
# admitted with), garbage-collector, ttl-after-finished, podgc, root-ca-cert-publisher and
# namespace (so tests can delete namespaces); deployment/replicaset serve rollouts.
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$kcm_kc" \
  --authentication-kubeconfig="$kcm_kc" \
  --authorization-kubeconfig="$kcm_kc" \
  --bind-address=127.0.0.1 \
  --secure-port="$MG_KCM_PORT" \
  --leader-elect=false \
  --controllers='*' \
  --service-account-private-key-file="$CERTS/sa.key" \
  --root-ca-file="$CERTS/ca.crt" \
  --node-monitor-grace-period="${MG_NODE_MONITOR_GRACE_SECONDS}s" \
  --profiling=false
# (--node-monitor-grace-period: kwok's node Lease heartbeat must fit in it; see lib.sh.)

sch_kc="$KCFGS/kube-scheduler.kubeconfig"
start kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$sch_kc" \
  --authentication-kubeconfig="$sch_kc" \
  --authorization-kubeconfig="$sch_kc" \
  --bind-address=127.0.0.1 \
  --secure-port="$MG_SCHEDULER_PORT" \
  --leader-elect=false \
  --profiling=false

# KWOK_WORKDIR keeps kwok from loading ~/.kwok/kwok.yaml; kwok-stages.yaml sets how pods
# run (a Job's pod succeeds or fails as its annotations say); its default pod CIDR
# (10.0.0.0/24) is replaced so pod IPs never look like service IPs;
# --node-lease-duration-seconds makes kwok renew the node's Lease (the heartbeat) every
# quarter of it, well within kube-controller-manager's grace period (see lib.sh).
cp "$here/kwok-stages.yaml" "$KWOK_DIR/stages.yaml"
start kwok env KWOK_WORKDIR="$KWOK_DIR" "$BIN/kwok" \
  --kubeconfig="$KCFGS/kwok.kubeconfig" \
  --config="$KWOK_DIR/stages.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --server-address="127.0.0.1:$MG_KWOK_PORT" \
  --cidr=10.244.0.1/16 \
  --node-ip=127.0.0.1 \
  --node-lease-duration-seconds="$MG_NODE_LEASE_DURATION_SECONDS"

# The fake node. No taint, so workloads schedule without tolerations; kwok fills status.
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $MG_NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $MG_NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node-role.kubernetes.io/agent: ""
EOF

wait_for kube-controller-manager "kube-controller-manager /healthz on :$MG_KCM_PORT" \
  http_ok "https://127.0.0.1:$MG_KCM_PORT/healthz" -k
wait_for kube-scheduler "kube-scheduler /healthz on :$MG_SCHEDULER_PORT" \
  http_ok "https://127.0.0.1:$MG_SCHEDULER_PORT/healthz" -k
wait_for kwok "kwok /healthz on :$MG_KWOK_PORT" http_ok "http://127.0.0.1:$MG_KWOK_PORT/healthz"
wait_for kwok "node $MG_NODE_NAME Ready" \
  kc wait --for=condition=Ready "node/$MG_NODE_NAME" --timeout=2s
# Pods are rejected until the serviceaccount controller has created `default`.
wait_for kube-controller-manager "service account default/default" \
  kc -n default get serviceaccount default
wait_for prometheus "prometheus /-/ready on :$MG_PROMETHEUS_PORT" prometheus_ready

# --- hand-off --------------------------------------------------------------------------
cat > "$ENV_FILE.tmp" <<EOF
# generated by scripts/cluster/up.sh; source it: . .local/env
export KUBECONFIG=$KUBECONFIG_FILE
export PROMETHEUS_URL=http://127.0.0.1:$MG_PROMETHEUS_PORT
export KUBE_APISERVER_URL=https://127.0.0.1:$MG_APISERVER_PORT
export ETCD_URL=http://127.0.0.1:$MG_ETCD_PORT
export KWOK_URL=http://127.0.0.1:$MG_KWOK_PORT
export MG_PROMETHEUS_TARGETS_DIR=$PROM_TARGETS
export MG_PROMETHEUS_RULES_DIR=$PROM_DIR/rules
export MG_AUDIT_LOG=$AUDIT_LOG
export MG_NODE_NAME=$MG_NODE_NAME
export MG_ETCD_PORT=$MG_ETCD_PORT
export MG_ETCD_PEER_PORT=$MG_ETCD_PEER_PORT
export MG_APISERVER_PORT=$MG_APISERVER_PORT
export MG_KCM_PORT=$MG_KCM_PORT
export MG_SCHEDULER_PORT=$MG_SCHEDULER_PORT
export MG_KWOK_PORT=$MG_KWOK_PORT
export MG_PROMETHEUS_PORT=$MG_PROMETHEUS_PORT
export MG_NODE_LEASE_DURATION_SECONDS=$MG_NODE_LEASE_DURATION_SECONDS
export MG_NODE_MONITOR_GRACE_SECONDS=$MG_NODE_MONITOR_GRACE_SECONDS
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"

apply_crds
log "cluster up in $(elapsed)s; logs in $LOGS"
log "use it with: source $ENV_FILE   (KUBECONFIG=$KUBECONFIG_FILE, PROMETHEUS_URL=http://127.0.0.1:$MG_PROMETHEUS_PORT)"
