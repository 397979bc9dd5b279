#!/usr/bin/env bash
# Smoke test of a running local control plane (after `npm run cluster:up`):
# a Job runs to Succeeded on the kwok node, and Prometheus picks up a file-SD target.
# Cleans up what it creates. Usage: bash scripts/cluster/smoke.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
[ -f "$ENV_FILE" ] || die "no $ENV_FILE: run npm run cluster:up first"
# shellcheck disable=SC1090
source "$ENV_FILE"
ns="smoke-$$"
target="$PROM_TARGETS/smoke-$$.json"
cleanup() { kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; rm -f "$target"; }
trap cleanup EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }

kc get ns >/dev/null
kc create namespace "$ns" >/dev/null
# pods are only admitted once the serviceaccount controller made `default` in the namespace
t=$(ms); until kc -n "$ns" get sa default >/dev/null 2>&1; do [ $(($(ms) - t)) -lt 30000 ] || die "no default SA"; sleep 0.2; done
t=$(ms)
kc -n "$ns" create job smoke --image=busybox -- sh -c 'echo ok' >/dev/null
kc -n "$ns" wait --for=condition=Complete job/smoke --timeout=60s >/dev/null \
  || { kc -n "$ns" describe job smoke >&2; die "Job did not complete"; }
log "Job Succeeded in $(($(ms) - t)) ms (succeeded=$(kc -n "$ns" get job smoke -o jsonpath='{.status.succeeded}'))"

t=$(ms)
printf '[{"targets":["127.0.0.1:%s"],"labels":{"job":"smoke-%s"}}]\n' "$MG_PROMETHEUS_PORT" "$$" > "$target.tmp"
mv "$target.tmp" "$target"   # atomic: Prometheus never reads a half-written file
q="$PROMETHEUS_URL/api/v1/query?query=up%7Bjob%3D%22smoke-$$%22%7D"
until curl -fsS "$q" | grep -q '"value":\[[0-9.]*,"1"\]'; do
  [ $(($(ms) - t)) -lt 30000 ] || die "file-SD target not scraped within 30 s"
  sleep 0.2
done
log "file-SD target up in Prometheus after $(($(ms) - t)) ms"
log "smoke test passed"
