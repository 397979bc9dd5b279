#!/usr/bin/env bash
# What a scanner finds in the operator's image: an SBOM by syft, built from its Go module into
# .cache/bin (about 6 minutes cold on 2 cores; later runs reuse it). Writes
# dist/image/sbom.spdx.json (SPDX) and dist/image/sbom.txt (one line a package), and prints the
# latter. Run `npm run image` first. SYFT_VERSION overrides the pinned version.
set -euo pipefail
. "$(dirname "$0")/../../hack/image/lib.sh"
SYFT_VERSION="${SYFT_VERSION:-v1.57.2}"
bin="$repo_root/.cache/bin"
out="$repo_root/dist/image"
mkdir -p "$bin" "$out"
if [ ! -x "$bin/syft" ] || [ "$(cat "$bin/.syft.version" 2>/dev/null)" != "$SYFT_VERSION" ]; then
  img_log "building syft $SYFT_VERSION from its Go module (cold: minutes)"
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$bin" \
    go install -trimpath -ldflags "-s -w -X main.version=$SYFT_VERSION" "github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
  echo "$SYFT_VERSION" >"$bin/.syft.version"
fi
podman image exists "$IMAGE" || img_die "no $IMAGE in local storage: run npm run image first"
archive="$(mktemp -d)/image.tar"
trap 'rm -rf "$(dirname "$archive")"' EXIT
podman save --quiet --format oci-archive -o "$archive" "$IMAGE"
SYFT_CHECK_FOR_APP_UPDATE=false "$bin/syft" scan "oci-archive:$archive" --quiet \
  -o "spdx-json=$out/sbom.spdx.json" -o "table=$out/sbom.txt"
cat "$out/sbom.txt"
img_log "SBOM of $IMAGE: $out/sbom.spdx.json ($(($(wc -l <"$out/sbom.txt") - 1)) packages)"
