# Shared by scripts/kind/up.sh, story.sh and down.sh (sourced, not run).
# NOT RUN ON OUR MACHINES: no Docker engine runs there, so kind cannot run.
# shellcheck shell=bash

# the cluster's name is fixed: kind-config.yaml's host ports (30080, 30090) allow one such cluster
CLUSTER=model-guardian
CONTEXT="kind-$CLUSTER"
# shellcheck disable=SC2034 # used by the scripts that source this file
OPERATOR_NAMESPACE=model-guardian-system

step() { printf '\n\033[1m== [kind %s] %s\033[0m\n' "$(clock)" "$*"; }
log() { printf '[kind] %s\n' "$*"; }
die() { printf '[kind] ERROR: %s\n' "$*" >&2; exit 1; }
# minutes:seconds since the script started (bash's SECONDS)
clock() { printf '%d:%02d' $((SECONDS / 60)) $((SECONDS % 60)); }
# print each command before running it, so the output shows what was done
run() { printf '[kind] $ %s\n' "$*"; "$@"; }
# every kubectl and helm call names the kind cluster's context, never whatever context is current
kc() { run kubectl --context "$CONTEXT" "$@"; }
hm() { run helm --kube-context "$CONTEXT" "$@"; }
# the same, unprinted: for the queries that only read
kq() { kubectl --context "$CONTEXT" "$@"; }
