#!/usr/bin/env bash
# Builds Traefik, the real Gateway API data plane of the integration tests, from its Go
# module into .cache/bin/traefik (git-ignored), like the control-plane binaries. A warm run
# only checks the stamp (.cache/bin/.traefik.version: version + hash of hack/traefik).
#
# `go install` of Traefik fails: its go.mod has replace lines (ignored in a dependency) that
# point at modules the Go module proxy refuses. hack/traefik/ is a wrapper module that
# requires Traefik and replaces those modules with local folders; this script assembles the
# folders in .cache/build/traefik from the upstream modules in the module cache plus the
# few lines of our own under hack/traefik/forks/ (see hack/traefik/go.mod).
#
#   build-traefik.sh          build (warm: stamp check only); go.mod/go.sum used read-only
#   build-traefik.sh --tidy   also `go mod tidy` the wrapper and copy go.mod/go.sum back to
#                             hack/traefik (after changing TRAEFIK_VERSION or a fork)
set -euo pipefail
TRAEFIK_VERSION="${TRAEFIK_VERSION:-v3.7.13}"
MUX_VERSION=v1.8.1          # github.com/gorilla/mux, base of Traefik's fork
HTTP_AUTH_VERSION=v0.4.0    # github.com/abbot/go-http-auth, base of Traefik's fork
LEGO_VERSION=v5.4.1         # github.com/go-acme/lego/v5, as Traefik requires it

tidy=0
[ "${1:-}" = --tidy ] && tidy=1
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/hack/traefik"
bin="$root/.cache/bin"
work="$root/.cache/build"
log() { echo "[build] $*" >&2; }
mkdir -p "$bin" "$work"

# The stamp covers the wrapper's files too, so editing a fork rebuilds.
wrapper_hash="$(cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
want="$TRAEFIK_VERSION $wrapper_hash"
stamp_ok() { [ -x "$bin/traefik" ] && [ "$(cat "$bin/.traefik.version" 2>/dev/null)" = "$want" ]; }
[ "$tidy" = 0 ] && stamp_ok && exit 0

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# One cold build at a time, shared with build-binaries.sh (linking takes GBs of memory).
exec 8>"$work/.lock"
if ! flock -n 8; then
  log "another build is running; waiting for it"
  flock 8
fi
[ "$tidy" = 0 ] && stamp_ok && { log "traefik ready in $bin"; exit 0; }

started=$SECONDS
log "traefik $TRAEFIK_VERSION (cold build: about 5-6 minutes on 2 cores)"
dir="$work/traefik"
rm -rf "$dir" && mkdir -p "$dir/forks"
cp "$src/go.mod" "$src/tools.go" "$dir/"
[ -f "$src/go.sum" ] && cp "$src/go.sum" "$dir/"

# module_dir MODULE@VERSION: the module's folder in the module cache (downloaded if needed);
# run outside any module so the wrapper's replace lines play no part.
module_dir() {
  local d
  d="$(cd / && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$d" ] || { log "could not download $1"; exit 1; }
  echo "$d"
}
# fork NAME MODULE@VERSION: upstream copy + our files from hack/traefik/forks/NAME
fork() {
  cp -r "$(module_dir "$2")" "$dir/forks/$1"
  chmod -R u+w "$dir/forks/$1"          # the module cache is read-only
  cp -r "$src/forks/$1/." "$dir/forks/$1/"
}
fork mux "github.com/gorilla/mux@$MUX_VERSION"
# Routes with an encoded path match the routing path (see forks/mux): upstream reads
# req.URL.EscapedPath() in exactly three places.
n="$(cat "$dir/forks/mux/mux.go" "$dir/forks/mux/regexp.go" | grep -c 'req\.URL\.EscapedPath()')"
[ "$n" = 3 ] || { log "gorilla/mux $MUX_VERSION: expected 3 uses of req.URL.EscapedPath(), found $n"; exit 1; }
sed -i 's/req\.URL\.EscapedPath()/encodedPath(req)/' "$dir/forks/mux/mux.go" "$dir/forks/mux/regexp.go"
fork go-http-auth "github.com/abbot/go-http-auth@$HTTP_AUTH_VERSION"
fork lego "github.com/go-acme/lego/v5@$LEGO_VERSION"     # our registry replaces the generated one
cp -r "$src/forks/dynamic-ext" "$dir/forks/dynamic-ext"  # wholly ours

cd "$dir"
current="$(sed -nE 's#^(require)?[[:space:]]*github\.com/traefik/traefik/v3 (v[^ ]+).*#\2#p' go.mod)"
if [ "$current" != "$TRAEFIK_VERSION" ]; then
  log "TRAEFIK_VERSION=$TRAEFIK_VERSION differs from hack/traefik/go.mod ($current): tidying"
  go mod edit -require "github.com/traefik/traefik/v3@$TRAEFIK_VERSION"
  tidy=1
fi
if [ "$tidy" = 1 ]; then
  go mod tidy
  cp go.mod go.sum "$src/"
  log "wrote hack/traefik/go.mod and go.sum (commit them)"
  wrapper_hash="$(cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  want="$TRAEFIK_VERSION $wrapper_hash"
fi

go build -mod=readonly -tags tools -trimpath \
  -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
  -o "$bin/traefik.tmp" github.com/traefik/traefik/v3/cmd/traefik
mv "$bin/traefik.tmp" "$bin/traefik"
echo "$want" > "$bin/.traefik.version"
log "traefik $TRAEFIK_VERSION built in $((SECONDS - started)) s: $bin/traefik ($(du -m "$bin/traefik" | cut -f1) MB)"
