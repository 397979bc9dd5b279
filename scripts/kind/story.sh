#!/usr/bin/env bash
# The story of `npm run demo` (scripts/demo.ts) on the kind cluster that scripts/kind/up.sh made
# (up.sh runs this as its last step; run it again any time: it starts from a fresh namespace).
#
# NOT RUN ON OUR MACHINES: no Docker engine runs there, so kind cannot run and this script has
# never been run; it has been checked with bash -n and shellcheck, and scripts/kind/demo.yaml's
# ModelMonitor and RetrainPolicy with the operator's own schemas. Timings differ from the local
# demo (pods start, images are local): the waits below are generous, and say what they waited for.
#
# What it does, in namespace demo:
#   - applies scripts/kind/demo.yaml: two model Deployments (v3) whose pods are the simulated
#     model server, their Services, an HTTPRoute at 100/0 on Traefik's Gateway, a load
#     generator sending 50 requests a second through Traefik, the RetrainPolicy and the ModelMonitor
#   - v3 degrades (accuracy 0.92 -> 0.78, POST /behaviour in the stable pod): the monitor turns
#     Critical, a retraining Job (a real pod here) reports v4, the monitor creates a ModelRollout,
#     v4 goes 10 %, 50 %, 100 %, each step analysed against v3, and is promoted
#   - the policy's next Job will report v5 (3x slower); v4 degrades (0.80): v5 is rolled back at
#     its first analysis and quarantined
# It does not start or stop anything outside namespace demo; the objects stay for you to look at.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
NS=demo
MODEL=fraud-detector
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/last"

# --- what is going on: one line per change (monitor, Jobs, rollouts), as the local demo prints
progress() {
  local now
  {
    kq -n "$NS" get modelmonitor "$MODEL" -o jsonpath='monitor: watching {.status.stableVersion}, {.status.health} {.status.worstFinding}{"\n"}' 2>/dev/null || true
    kq -n "$NS" get jobs -o jsonpath='{range .items[*]}Job {.metadata.name}: active={.status.active} succeeded={.status.succeeded} failed={.status.failed}{"\n"}{end}' 2>/dev/null || true
    kq -n "$NS" get modelrollouts -o jsonpath='{range .items[*]}rollout {.metadata.name}: {.status.phase} step={.status.stepIndex} weights={.status.weights.stable}/{.status.weights.candidate} (stable/candidate) last analysis: {.status.lastAnalysis}{"\n"}{end}' 2>/dev/null || true
  } >"$tmp/now"
  # the lines that are new since the last look
  now="$(grep -vxF -f "$tmp/last" "$tmp/now" || true)"
  [ -z "$now" ] || while IFS= read -r line; do printf '  [%s] %s\n' "$(clock)" "$line"; done <<<"$now"
  mv "$tmp/now" "$tmp/last"
}

# until_seen WHAT TIMEOUT_S COMMAND...: runs COMMAND every 2 s (printing progress) until it
# prints something, which is left in $seen; dies after TIMEOUT_S
seen=""
until_seen() {
  local what="$1" timeout="$2" deadline
  shift 2
  deadline=$((SECONDS + timeout))
  log "waiting for $what (at most ${timeout}s)"
  while :; do
    progress
    seen="$("$@" 2>/dev/null || true)"
    [ -z "$seen" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || die "$what did not happen within ${timeout}s. Look with: kubectl --context $CONTEXT -n $NS get mm,mro,jobs,pods -o wide; kubectl --context $CONTEXT -n $NS describe mro; kubectl --context $CONTEXT -n $OPERATOR_NAMESPACE logs deploy/model-guardian"
    sleep 2
  done
}

# conditions for until_seen: each prints something once it holds
monitor_is() { # HEALTH [STABLE_VERSION]
  local got
  got="$(kq -n "$NS" get modelmonitor "$MODEL" -o jsonpath='{.status.health} {.status.stableVersion}')"
  [ "${got%% *}" = "$1" ] && { [ -z "${2:-}" ] || [ "${got#* }" = "$2" ]; } && echo "$got"
}
rollout_of() { # VERSION: the name of the ModelRollout of that candidate
  kq -n "$NS" get modelrollouts -o jsonpath="{range .items[?(@.spec.candidate.version==\"$1\")]}{.metadata.name}{\"\\n\"}{end}" | head -n 1
}
finished() { # NAME: its final phase
  local phase
  phase="$(kq -n "$NS" get modelrollout "$1" -o jsonpath='{.status.phase}')"
  case "$phase" in Succeeded | RolledBack | Aborted) echo "$phase" ;; esac
}
recorded() { # VERSION: its state in the monitor's record of versions, once it is no longer Candidate
  local state
  state="$(kq -n "$NS" get modelmonitor "$MODEL" -o jsonpath="{.status.versions[?(@.version==\"$1\")].state}")"
  [ -n "$state" ] && [ "$state" != Candidate ] && echo "$state"
}
one_pod() { # APP: the name of its one pod, once no other (terminating) pod of it is left
  local pods
  pods="$(kq -n "$NS" get pods -l "app=$1" -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}')"
  [ "$(grep -c . <<<"$pods")" = 1 ] && [ "$(awk '{print NF}' <<<"$pods")" = 1 ] && echo "$pods"
}
route_accepted() {
  local status
  status="$(kq -n "$NS" get httproute "$MODEL" -o jsonpath='{.status.parents[*].conditions[?(@.type=="Accepted")].status}')"
  [[ " $status " == *" True "* ]] && echo accepted
}
# behaviour of the running stable pod (sim/README.md: POST /behaviour, every segment)
degrade_stable() { # JSON_PATCH
  until_seen "one model-stable pod" 120 one_pod model-stable
  kc -n "$NS" exec "$seen" -c model -- node scripts/kind/sim-pod.ts patch "$1"
}
show_rollout() { # NAME
  kc -n "$NS" get modelrollout "$1" -o wide
  log "its analyses (status.analyses):"
  kq -n "$NS" get modelrollout "$1" -o jsonpath='{range .status.analyses[*]}  step {.step} ({.weight} %, over {.window}): {.outcome} {.message}{"\n"}{range .comparisons[*]}      {.signal}: stable {.stable} (n={.stableSamples}), candidate {.candidate} (n={.candidateSamples}), {.check} {.limit}, p={.pValue} ({.test}): {.outcome}{"\n"}{end}{end}'
  log "its Events:"
  kq -n "$NS" get events --field-selector "involvedObject.name=$1" --sort-by=.lastTimestamp \
    -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message
}

# --- preconditions ------------------------------------------------------------------------
kq config get-contexts "$CONTEXT" >/dev/null 2>&1 || die "no kubectl context $CONTEXT: run bash scripts/kind/up.sh first"
kq -n "$OPERATOR_NAMESPACE" get deployment model-guardian >/dev/null 2>&1 \
  || die "the operator is not installed in $OPERATOR_NAMESPACE: run bash scripts/kind/up.sh first"

step "A fresh namespace $NS (the previous run's monitor remembers its Jobs and their cooldown)"
# rollouts first, while their route exists: each one's finalizer restores 100 % stable before it goes
kc -n "$NS" delete modelrollouts --all --ignore-not-found --wait=true --timeout=90s \
  || die "the ModelRollouts of $NS were not gone within 90 s: the operator removes their finalizer; is it running? kubectl --context $CONTEXT -n $OPERATOR_NAMESPACE get pods"
kc delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s

step "kubectl apply -f scripts/kind/demo.yaml: the models (v3), the route at 100/0, the clients, the policy and the monitor"
kc apply -f "$here/demo.yaml"
kc -n "$NS" rollout status deployment/model-stable --timeout=180s
kc -n "$NS" rollout status deployment/model-candidate --timeout=180s
kc -n "$NS" rollout status deployment/clients --timeout=180s
until_seen "Traefik to accept the HTTPRoute" 120 route_accepted

step "Watching the monitor: v3 serves all traffic (Prometheus scrapes both model pods every second)"
until_seen "the monitor to find v3 Healthy" 180 monitor_is Healthy
sleep 8
progress

step "The stable model degrades: v3's accuracy 0.92 -> 0.78 (on every plant)"
log "the monitor compares accuracy with its baseline 0.92 every 5 s over a 30 s window; a drop of 0.05 is a warning, 0.10 critical"
log "the policy retrains on an AccuracyDrift of warning or worse; the Job reports v4, and with spec.rollout the monitor rolls it out"
degrade_stable '{"accuracy": 0.78}'
until_seen "a ModelRollout for v4" 240 rollout_of v4
first="$seen"

step "The monitor created ModelRollout $first: canary steps 10 % (15 s), 50 % (10 s), 100 % (10 s), each analysed against v3"
until_seen "rollout $first to finish" 300 finished "$first"
progress
show_rollout "$first"
[ "$seen" = Succeeded ] || die "expected $first to be promoted, it is $seen (kubectl --context $CONTEXT -n $NS describe mro $first)"

step "v4 is promoted: the stable Deployment runs v4 with all traffic, and the monitor watches v4"
until_seen "the monitor to watch v4 and find it Healthy" 120 monitor_is Healthy v4
kc -n "$NS" get modelmonitors -o wide

step "The next retraining reports v5 (the action's config key reports); the cooldown is 30 s"
kc -n "$NS" patch retrainpolicy fraud-retrain --type json \
  -p '[{"op": "replace", "path": "/spec/actions/0/config/reports", "value": "v5"}]'
sleep 5
step "The data drifts again: v4's accuracy 0.92 -> 0.80"
log "v5, once deployed, is as accurate as v4 was at its best, but about 3x slower: what will the canary say?"
degrade_stable '{"accuracy": 0.8}'
until_seen "a ModelRollout for v5" 240 rollout_of v5
second="$seen"
step "The monitor created ModelRollout $second for the candidate v5"
until_seen "rollout $second to finish" 300 finished "$second"
until_seen "the monitor to record v5" 60 recorded v5
progress
show_rollout "$second"
quarantined="$(kq -n "$NS" get modelrollout "$second" -o jsonpath='{.status.quarantined}')"
if [ "$(finished "$second")" != RolledBack ] || [ "$quarantined" != true ]; then
  die "expected $second to be rolled back and quarantined, it is $(finished "$second") (quarantined: ${quarantined:-no}); kubectl --context $CONTEXT -n $NS describe mro $second"
fi

step "v5 was rolled back at its first failing analysis and quarantined: v4 keeps all traffic"
kc -n "$NS" get modelmonitors,modelrollouts -o wide
log "the monitor's record of the model's versions (status.versions):"
kq -n "$NS" get modelmonitor "$MODEL" -o jsonpath='{range .status.versions[*]}  {.version} {.state} {.rollout} {.lastAnalysis} {.reason}{"\n"}{end}'
log "what the clients got, by version (the load generator's last report):"
kq -n "$NS" logs deployment/clients --tail=1 || true
step "Done in $(clock). Everything stays in namespace $NS:"
log "kubectl --context $CONTEXT -n $NS describe mro                          # each rollout's steps, analyses, conditions, events"
log "kubectl --context $CONTEXT -n $NS get events --sort-by=.lastTimestamp   # the whole story"
log "kubectl --context $CONTEXT -n $NS annotate mro $second modelguardian.dev/rollout-action=retry   # run v5 again"
