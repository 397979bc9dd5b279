#!/usr/bin/env bash
# Builds the real control-plane binaries from the Go module proxy and caches them in
# .cache/bin (git-ignored). A warm run only checks the version stamps (well under a second).
#   kube-apiserver, kube-controller-manager, kube-scheduler  <- k8s.io/kubernetes
#   kubectl (only when none is on PATH)                       <- k8s.io/kubernetes
#   etcd                                                      <- go.etcd.io/etcd/server/v3
#   kwok (simulated nodes and pods, no container runtime)     <- sigs.k8s.io/kwok
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/.cache/bin"
work="$root/.cache/build"
mkdir -p "$bin" "$work"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

stamp_ok() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$bin/.$1.version"; }
log() { echo "[build] $*" >&2; }

kube_targets=(kube-apiserver kube-controller-manager kube-scheduler)
# kubectl is on the project's images; a bare CI machine gets one of the server's version.
command -v kubectl >/dev/null 2>&1 || kube_targets+=(kubectl)

all_cached() {
  local t
  for t in "${kube_targets[@]}"; do stamp_ok "$t" "$KUBE_VERSION" || return 1; done
  stamp_ok etcd "$ETCD_VERSION" && stamp_ok kwok "$KWOK_VERSION"
}
all_cached && exit 0

# One build at a time (cluster:up and cluster:build may race); the loser then finds the
# binaries cached. A cold build needs several GB of memory at link time: never run two.
exec 8>"$work/.lock"
if ! flock -n 8; then
  log "another build is running; waiting for it"
  flock 8
fi
all_cached && { log "binaries ready in $bin"; exit 0; }

# go build runs the wrapper module with a `tools` build tag so `go mod tidy` keeps the deps.
build_in() { # DIR LDFLAGS OUT PKG
  (cd "$1" && go build -tags tools -trimpath -ldflags "$2" -o "$3.tmp" "$4") && mv "$3.tmp" "$3"
}

need_kube=0
for t in "${kube_targets[@]}"; do stamp_ok "$t" "$KUBE_VERSION" || need_kube=1; done

if [ "$need_kube" = 1 ]; then
  log "Kubernetes $KUBE_VERSION (cold build: several minutes)"
  dir="$work/kubernetes"
  rm -rf "$dir" && mkdir -p "$dir"
  minor="${KUBE_VERSION#v1.}"          # 36.3
  staging_version="v0.${minor}"         # v0.36.3
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local
  # folders; replace lines of a dependency are ignored, so map each to its published tag.
  modfile="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -s "$modfile" ] || { log "could not download k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
  {
    echo "module local/kubebuild"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    sed -n '/^replace (/,/^)/p' "$modfile" | awk '/=>/ {print "\t" $1 " => " $1 " '"$staging_version"'"}'
    echo ")"
  } > "$dir/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    for t in "${kube_targets[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$t\""; done
    echo ")"
  } > "$dir/tools.go"
  # tidy -e tolerates test-only imports that cannot be resolved; the build reports real errors
  (cd "$dir" && go mod tidy -e > "$dir/tidy.log" 2>&1) || { cat "$dir/tidy.log" >&2; exit 1; }
  major="1"; minor_only="${minor%%.*}"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor_only -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
  for t in "${kube_targets[@]}"; do
    stamp_ok "$t" "$KUBE_VERSION" && continue
    log "$t"
    build_in "$dir" "$ldflags" "$bin/$t" "k8s.io/kubernetes/cmd/$t"
    stamp "$t" "$KUBE_VERSION"
  done
fi

if ! stamp_ok etcd "$ETCD_VERSION"; then
  log "etcd $ETCD_VERSION"
  dir="$work/etcd"
  rm -rf "$dir" && mkdir -p "$dir"
  # the etcd server module's root package is `main`; `go install` refuses it because its
  # go.mod has replace lines, so build it from a wrapper module that requires it.
  cat > "$dir/go.mod" <<GOMOD
module local/etcdbuild

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > "$dir/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  (cd "$dir" && go mod tidy -e > "$dir/tidy.log" 2>&1) || { cat "$dir/tidy.log" >&2; exit 1; }
  build_in "$dir" "-s -w" "$bin/etcd" go.etcd.io/etcd/server/v3
  stamp etcd "$ETCD_VERSION"
fi

if ! stamp_ok kwok "$KWOK_VERSION"; then
  log "kwok $KWOK_VERSION"
  GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  stamp kwok "$KWOK_VERSION"
fi

for t in "${kube_targets[@]}" etcd kwok; do
  [ -x "$bin/$t" ] || { log "missing $bin/$t after build"; exit 1; }
done
log "binaries ready in $bin"
