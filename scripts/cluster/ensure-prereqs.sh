#!/usr/bin/env bash
# Makes sure the host tools the local control plane needs are present. A fresh CI machine
# has none of them; Debian's packages are the only source we can reach for Prometheus.
set -euo pipefail

log() { printf '[prereqs] %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # `apt-get update` is slow and usually already done on our images: only on failure.
  if ! $sudo apt-get install -y --no-install-recommends "$@"; then
    log "apt-get install failed; running apt-get update and retrying"
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "$@"
  fi
}

missing=()
[ -x /usr/bin/prometheus ] || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)   # amtool: the example Alertmanager routes' tests
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
command -v lua5.1 >/dev/null 2>&1 || missing+=(lua5.1)   # the Argo CD health checks' tests (test/argocd)
[ -x /usr/bin/chromium ] || missing+=(chromium)   # the HTML report's browser test (test/integration/report-browser.test.ts)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)   # its text in screenshots
# the operator's image (npm run image, test/integration/image.test.ts): buildah builds it, podman
# runs it with runc, debootstrap makes its base where no registry of images is reachable
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v podman >/dev/null 2>&1 || missing+=(podman)
[ -x /usr/sbin/runc ] || command -v runc >/dev/null 2>&1 || missing+=(runc)
[ -x /usr/sbin/debootstrap ] || command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  apt_install "${missing[@]}"
fi

# Debian's package has a service script; on machines with an init system it may have
# started a system-wide prometheus on :9090. We never use it and it does not clash with
# our ports, so it is left alone.

command -v go >/dev/null 2>&1 || { log "ERROR: Go is required to build the control-plane binaries"; exit 1; }
# kubectl is normally on the image; if not, build-binaries.sh builds one into .cache/bin.
exit 0
