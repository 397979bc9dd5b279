#!/usr/bin/env bash
# `npm run image`: the operator image from the repository's Dockerfile, built with buildah into
# local container storage as localhost/model-guardian:dev and
# ghcr.io/model-guardian/model-guardian:<chart appVersion>.
#
# The Dockerfile's base, node:24-bookworm-slim, is used as found in local storage (pulled, or
# loaded by someone); when it is missing, hack/image/base.sh reconstructs it (about a
# minute; no registry of images is reachable on our machines), and rebuilds it when its recipe
# changed. --pull-base pulls the official image instead, for machines that reach Docker Hub.
# Layers are cached (buildah --layers): a second build with unchanged sources takes seconds.
#
#   bash scripts/image/build.sh [--pull-base] [--no-cache]
# Environment: IMAGE (local tag), CONTAINERS_CONF (default hack/image/containers.conf).
set -euo pipefail
. "$(dirname "$0")/../../hack/image/lib.sh"
[ "$(id -u)" = 0 ] || img_die "run as root: buildah's storage (/var/lib/containers) needs it"
pull_base=false
cache=(--layers)
for arg in "$@"; do
  case "$arg" in
    --pull-base) pull_base=true ;;
    --no-cache) cache=(--layers --no-cache) ;;
    *) img_die "unknown argument $arg (--pull-base, --no-cache)" ;;
  esac
done
ensure_image_tools
started=$SECONDS

if $pull_base; then
  podman pull "$BASE_IMAGE"
elif podman image exists "$BASE_IMAGE" \
  && [ -z "$(podman image inspect --format '{{ index .Labels "dev.model-guardian.base-recipe" }}' "$BASE_IMAGE")" ]; then
  img_log "using $BASE_IMAGE as found in local storage (not a reconstruction)"
else
  bash "$image_dir/base.sh"   # returns at once when the reconstruction is current
fi

# The deps stage's npm ci reaches the npm registry as this machine's npm does: the host's
# network, and its registry and CA file (a TLS-inspecting proxy's CA, as on our machines) in a
# global npmrc mounted for the build's RUN steps only: nothing of it enters a layer.
npm_settings=()
npm_dir="$repo_root/.cache/image/npm"
mkdir -p "$npm_dir"
registry="$(npm config get registry 2>/dev/null || true)"
cafile="$(npm config get cafile 2>/dev/null || true)"
[ -n "$cafile" ] && [ "$cafile" != null ] || cafile="${NODE_EXTRA_CA_CERTS:-}"
{
  [ -z "$registry" ] || echo "registry=$registry"
  if [ -n "$cafile" ] && [ -f "$cafile" ]; then echo "cafile=/run/host-npm/ca.crt"; cp "$cafile" "$npm_dir/ca.crt"; fi
} >"$npm_dir/npmrc"
npm_settings+=(-v "$npm_dir/npmrc:/usr/local/etc/npmrc:ro")
[ ! -f "$npm_dir/ca.crt" ] || npm_settings+=(-v "$npm_dir/ca.crt:/run/host-npm/ca.crt:ro")

img_log "buildah bud $repo_root/Dockerfile -> $IMAGE, $RELEASE_IMAGE"
buildah bud "${cache[@]}" --pull=never --network=host "${npm_settings[@]}" \
  --build-arg "VERSION=$APP_VERSION" \
  --label "org.opencontainers.image.revision=$(git -C "$repo_root" rev-parse HEAD 2>/dev/null || echo unknown)" \
  -f "$repo_root/Dockerfile" -t "$IMAGE" -t "$RELEASE_IMAGE" "$repo_root"
size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
img_log "built $IMAGE in $((SECONDS - started)) s: $(numfmt --to=si "$size")B uncompressed, user $(podman image inspect --format '{{.Config.User}}' "$IMAGE")"
