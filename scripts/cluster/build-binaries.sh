#!/usr/bin/env bash
# Builds the real control-plane binaries from the Go module proxy and caches them in
# .cache/bin (git-ignored). A warm run only checks that the binaries exist.
#   kube-apiserver, kube-controller-manager, kube-scheduler  <- k8s.io/kubernetes
#   etcd                                                     <- go.etcd.io/etcd/server/v3
#   kwok (simulated nodes and pods, no container runtime)    <- sigs.k8s.io/kwok
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

kube_targets=(kube-apiserver kube-controller-manager kube-scheduler)
need_kube=0
for t in "${kube_targets[@]}"; do stamp_ok "$t" "$KUBE_VERSION" || need_kube=1; done

if [ "$need_kube" = 1 ]; then
  echo "[build] Kubernetes $KUBE_VERSION (cold build: several minutes)" >&2
  dir="$work/kubernetes"
  rm -rf "$dir" && mkdir -p "$dir"
  minor="${KUBE_VERSION#v1.}"          # 36.3
  staging_version="v0.${minor}"         # v0.36.3
  modfile="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module local/kubebuild"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # every staging module the upstream go.mod replaces with a folder -> its published version
    sed -n '/^replace (/,/^)/p' "$modfile" | awk '/=>/ {print "\t" $1 " => " $1 " '"$staging_version"'"}'
    echo ")"
  } > "$dir/go.mod"
  cat > "$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  (cd "$dir" && go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$dir" && go mod download >/dev/null)
  major="1"; minor_only="${minor%%.*}"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor_only -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
  for t in "${kube_targets[@]}"; do
    echo "[build] $t" >&2
    (cd "$dir" && go build -tags tools -ldflags "$ldflags" -o "$bin/$t" "k8s.io/kubernetes/cmd/$t")
    stamp "$t" "$KUBE_VERSION"
  done
fi

if ! stamp_ok etcd "$ETCD_VERSION"; then
  echo "[build] etcd $ETCD_VERSION" >&2
  dir="$work/etcd"
  rm -rf "$dir" && mkdir -p "$dir"
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
  (cd "$dir" && go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$dir" && go build -tags tools -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
  stamp etcd "$ETCD_VERSION"
fi

if ! stamp_ok kwok "$KWOK_VERSION"; then
  echo "[build] kwok $KWOK_VERSION" >&2
  GOBIN="$bin" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  stamp kwok "$KWOK_VERSION"
fi

echo "[build] binaries ready in $bin" >&2
