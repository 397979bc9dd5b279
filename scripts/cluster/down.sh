#!/usr/bin/env bash
# Stops the local control plane started by up.sh and removes its data (etcd, Prometheus
# TSDB/targets/rules). Keeps certs, tokens and kubeconfigs. Safe when nothing is running.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

take_lock
mkdir -p "$PIDS"
stop_all
remove_data
log "cluster down; no process from this checkout is left"
