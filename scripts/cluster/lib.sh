# Shared settings and helpers for the local control plane (sourced by up.sh / down.sh).
# Everything listens on 127.0.0.1 only; every port can be overridden by an env var so two
# checkouts (or a busy CI host) can run side by side.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# resolved through symlinks: a second checkout whose .cache and .local link to the first
# (a git worktree) sees the same cluster as running, rather than restarting it
physical() { if [ -e "$1" ]; then (cd "$1" && pwd -P); else echo "$1"; fi; }
BIN="$(physical "$ROOT/.cache")/bin"
# MG_LOCAL_DIR: a second control plane of the same checkout (the fault experiments' own, with
# its own ports) keeps every file of it (pids, logs, etcd data, kubeconfigs) in another folder
LOCAL="$(physical "${MG_LOCAL_DIR:-$ROOT/.local}")"
PIDS="$LOCAL/pids"
LOGS="$LOCAL/logs"
CERTS="$LOCAL/certs"          # apiserver serving cert + service-account key (kept by down)
AUTH="$LOCAL/auth"            # static tokens (kept by down)
KCFGS="$LOCAL/kubeconfigs"    # one kubeconfig per component (kept by down)
ETCD_DATA="$LOCAL/etcd-data"  # removed by down
PROM_DIR="$LOCAL/prometheus"
PROM_DATA="$PROM_DIR/data"    # removed by down
PROM_TARGETS="$PROM_DIR/targets"
KWOK_DIR="$LOCAL/kwok"        # KWOK_WORKDIR: keeps kwok away from ~/.kwok/kwok.yaml
KUBECONFIG_FILE="$LOCAL/kubeconfig"
ENV_FILE="$LOCAL/env"
AUDIT_POLICY="$LOCAL/audit-policy.yaml"
AUDIT_LOG="$LOCAL/logs/audit.log"   # the operator's requests, for the least-privilege test

: "${MG_ETCD_PORT:=12379}"
: "${MG_ETCD_PEER_PORT:=12380}"
: "${MG_APISERVER_PORT:=16443}"
: "${MG_KCM_PORT:=16257}"         # kube-controller-manager --secure-port (healthz)
: "${MG_SCHEDULER_PORT:=16259}"   # kube-scheduler --secure-port (healthz)
: "${MG_KWOK_PORT:=16247}"        # kwok --server-address (/healthz, /metrics)
: "${MG_PROMETHEUS_PORT:=19090}"
: "${MG_READY_TIMEOUT:=120}"      # seconds, per readiness wait
: "${MG_NODE_NAME:=kwok-node-0}"
: "${MG_CRDS_DIR:=$ROOT/crds}"     # installed after startup: kustomization.yaml, else *.yaml

# Node heartbeat vs. node-monitor grace period. kube-controller-manager marks a node NotReady
# (and every pod on it NotReady, which kwok never makes Ready again) after the grace period
# without a heartbeat: a renewed Lease in kube-node-lease or a newer Ready lastHeartbeatTime.
# kwok renews a node's Lease every quarter of --node-lease-duration-seconds (±4 %), but only
# when that flag is set. Without it, kwok v0.7.0's default node stages refresh the node status
# every 10 minutes, so the node controller marked the node Unknown after 50-55 s and kwok at
# once set it Ready again: a heartbeat every ~55 s, a flap every time. Here the Lease is renewed
# every 5 s and the grace period (the upstream default) is stated explicitly: 10 renewals.
: "${MG_NODE_LEASE_DURATION_SECONDS:=20}"  # kwok --node-lease-duration-seconds
: "${MG_NODE_MONITOR_GRACE_SECONDS:=50}"   # kube-controller-manager --node-monitor-grace-period

# The settings a running cluster must have been started with; up.sh restarts a cluster
# whose .local/settings differs (e.g. one started before these settings existed).
SETTINGS_FILE="$LOCAL/settings"
cluster_settings() {
  printf '%s\n' \
    "kwok --node-lease-duration-seconds=$MG_NODE_LEASE_DURATION_SECONDS" \
    "kube-controller-manager --node-monitor-grace-period=${MG_NODE_MONITOR_GRACE_SECONDS}s" \
    "kube-apiserver --audit-log-path=.local/logs/audit.log --enable-admission-plugins=OwnerReferencesPermissionEnforcement"
}

# Only the requests of the operator's ServiceAccounts (namespace model-guardian-system), at
# Metadata level: who did which verb on which resource, never a body (Secrets stay out).
write_audit_policy() {
  mkdir -p "$LOCAL/logs"
  cat > "$AUDIT_POLICY" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts:model-guardian-system"]
  - level: None
YAML
}

# Start order (stop_all stops every client first and etcd last).
COMPONENTS=(prometheus etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# kubectl as users run it (PATH); fall back to one built by build-binaries.sh.
kubectl_bin() {
  if command -v kubectl >/dev/null 2>&1; then command -v kubectl
  elif [ -x "$BIN/kubectl" ]; then echo "$BIN/kubectl"
  else die "kubectl not found on PATH nor in $BIN"; fi
}
kc() { "$(kubectl_bin)" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# The binary (first word of the command line) each component runs; used to make sure a pid
# from a pid file still belongs to us and not to a recycled pid.
component_exe() {
  case "$1" in
    prometheus) command -v prometheus || echo /usr/bin/prometheus ;;
    *) echo "$BIN/$1" ;;
  esac
}

pid_of() { cat "$PIDS/$1.pid" 2>/dev/null || true; }

# alive NAME: the pid file points at a live process running the expected binary.
alive() {
  local pid exe
  pid="$(pid_of "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n1)"
  [ "$exe" = "$(component_exe "$1")" ]
}

# Processes of this state folder ($LOCAL), whether or not a pid file still knows them:
# control-plane binaries from .cache/bin (anchored, so a running `go build -o .cache/bin/..`
# never matches) started with this folder's data dir, cert dir or kubeconfig (one exact
# argument each), and a prometheus using this folder's config file. Never a process of another
# control plane sharing .cache/bin: a worktree's, or the fault experiments' in .local/faults.
own_args() {
  printf '%s\n' "--data-dir=$ETCD_DATA" "--cert-dir=$CERTS/apiserver" \
    "--kubeconfig=$KCFGS/kube-controller-manager.kubeconfig" "--kubeconfig=$KCFGS/kube-scheduler.kubeconfig" \
    "--kubeconfig=$KCFGS/kwok.kubeconfig"
}
our_pids() {
  local pid
  {
    for pid in $(pgrep -f "^$BIN/(etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok)( |\$)" || true); do
      tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -f <(own_args) && echo "$pid"
    done
    pgrep -f -- "--config.file=$PROM_DIR/prometheus.yml( |\$)" || true
  } | sort -u
}

# start NAME CMD...: run detached in its own session/process group (survives the npm
# script), stdin closed, output to .local/logs/NAME.log. The child writes its own pid (it
# then execs), so the pid file is right even if setsid had to fork.
start() {
  local name="$1"; shift
  rm -f "$PIDS/$name.pid"
  : > "$LOGS/$name.log"
  # 8>&- 9>&-: the daemons must not inherit (and so hold forever) the build/cluster locks
  setsid nohup bash -c 'echo $$ > "$0"; exec "$@"' "$PIDS/$name.pid" "$@" \
    >> "$LOGS/$name.log" 2>&1 < /dev/null 8>&- 9>&- &
  local i
  for i in $(seq 1 50); do [ -s "$PIDS/$name.pid" ] && break; sleep 0.1; done
  [ -s "$PIDS/$name.pid" ] || die "$name did not start; see $LOGS/$name.log"
  log "started $name (pid $(pid_of "$name"), log $LOGS/$name.log)"
}

# wait_for NAME DESCRIPTION CHECK...: poll CHECK until it succeeds; fail fast if the
# process died, or after MG_READY_TIMEOUT seconds, pointing at the log.
wait_for() {
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + MG_READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -n 20 "$LOGS/$name.log" >&2 || true
      die "$name exited while waiting for $what; full log: $LOGS/$name.log"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$LOGS/$name.log" >&2 || true
      die "timed out after ${MG_READY_TIMEOUT}s waiting for $what; see $LOGS/$name.log"
    fi
    sleep 0.2
  done
}

# http_ok URL [curl args...]: 2xx answer within 2 seconds.
http_ok() { local url="$1"; shift; curl -fsS --max-time 2 "$@" "$url" >/dev/null; }

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# terminate PID...: TERM each process group (every component leads its own, via setsid),
# wait up to 10 s, then KILL whatever is left and wait up to 5 s more.
terminate() {
  [ "$#" -gt 0 ] || return 0
  local pid i
  for pid in "$@"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 100); do any_alive "$@" || return 0; sleep 0.1; done
  for pid in "$@"; do
    if running "$pid"; then
      log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for i in $(seq 1 50); do any_alive "$@" || return 0; sleep 0.1; done
}

# running PID: exists and is not a zombie. Our daemons are reparented to PID 1, which may
# take a second or two to reap them; a zombie has already exited and released its ports.
running() {
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

any_alive() {
  local pid
  for pid in "$@"; do running "$pid" && return 0; done
  return 1
}

# stop_all: stop every component, then any straggler started from this checkout. Clients
# go first and etcd last: an apiserver whose etcd is gone hangs in shutdown. Safe when
# nothing is running.
stop_all() {
  local c clients=() etcd=() stragglers left
  for c in "${COMPONENTS[@]}"; do
    alive "$c" || continue
    if [ "$c" = etcd ]; then etcd+=("$(pid_of "$c")"); else clients+=("$(pid_of "$c")"); fi
  done
  [ "${#clients[@]}" -eq 0 ] || { log "stopping pids ${clients[*]}"; terminate "${clients[@]}"; }
  [ "${#etcd[@]}" -eq 0 ] || { log "stopping etcd pid ${etcd[*]}"; terminate "${etcd[@]}"; }
  # shellcheck disable=SC2207
  stragglers=($(our_pids))
  [ "${#stragglers[@]}" -eq 0 ] || { log "stopping stragglers ${stragglers[*]}"; terminate "${stragglers[@]}"; }
  rm -f "$PIDS"/*.pid
  left="$(our_pids)"
  [ -z "$left" ] || die "processes still running after SIGKILL: $left"
}

# Data that must not survive a restart: etcd state, TSDB, Prometheus targets/rules dropped
# by tests. Certificates, tokens and kubeconfigs are kept so clients stay valid.
remove_data() {
  rm -rf "$ETCD_DATA" "$PROM_DIR" "$KWOK_DIR" "$ENV_FILE" "$SETTINGS_FILE"
}

# Serialise up/down: a second `cluster:up` waits for the first and then finds it running.
take_lock() {
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/.cluster.lock"
  flock 9
}
