#!/usr/bin/env bash
# Reconstructs the Dockerfile's base, node:24-bookworm-slim, in local container storage under
# its Docker Hub name, for machines that reach no registry of container images (ours):
#   1. debian:bookworm-slim: debootstrap's minbase variant of bookworm from the Debian mirror
#      apt uses here, upgraded from bookworm-updates and bookworm-security, then trimmed as the
#      official image is (debuerreotype's "slimify": no docs but copyright files, no man pages,
#      no locales, no apt lists or caches), imported with podman;
#   2. node:24-bookworm-slim: scripts/image/node-base.Containerfile on it, with the official
#      Node.js build, npm, corepack and yarn packed from the npm registry.
# A second run finds the image labelled with this recipe's hash and returns at once;
# --force rebuilds. Needs root (debootstrap, container storage).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || img_die "run as root: debootstrap and the container storage need it"
ensure_image_tools

dpkg_arch="$(dpkg --print-architecture)"
case "$dpkg_arch" in
  amd64) node_arch=x64 openssl_arch=linux-x86_64 ;;
  arm64) node_arch=arm64 openssl_arch=linux-aarch64 ;;
  *) img_die "no Node.js build for $dpkg_arch in the npm registry's node-linux-* packages" ;;
esac

label="dev.model-guardian.base-recipe"
recipe="$({ cat "$image_dir/base.sh" "$image_dir/node-base.Containerfile" "$image_dir/docker-entrypoint.sh"
  echo "$DEBIAN_SUITE $dpkg_arch $NODE_VERSION $NPM_VERSION $COREPACK_VERSION $YARN_VERSION"; } | sha256sum | cut -c1-16)"
if [ "${1:-}" != "--force" ]; then
  have="$(podman image inspect --format "{{ index .Labels \"$label\" }}" "$BASE_IMAGE" 2>/dev/null || true)"
  if [ "$have" = "$recipe" ]; then
    img_log "$BASE_IMAGE is in local storage (recipe $recipe): nothing to do"
    exit 0
  fi
fi

started=$SECONDS
work="$repo_root/.cache/image"
rootfs="$work/rootfs"
ctx="$work/node-context"
mkdir -p "$work" "$ctx"

# --- 1. debian:bookworm-slim ---------------------------------------------------------------
mirror="${DEBIAN_MIRROR:-$(apt_mirror_for "$DEBIAN_SUITE" || true)}"
security="${DEBIAN_SECURITY_MIRROR:-$(apt_mirror_for "$DEBIAN_SUITE-security" || true)}"
[ -n "$mirror" ] || img_die "no apt source for $DEBIAN_SUITE in /etc/apt/sources.list{,.d}: set DEBIAN_MIRROR"
img_log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror (security: ${security:-none})"
rm -rf "$rootfs"
debootstrap --variant=minbase --arch="$dpkg_arch" "$DEBIAN_SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; img_die "debootstrap failed (log: $work/debootstrap.log)"; }

# the official image's dpkg and apt settings (debuerreotype-minimizing-config), before any upgrade
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
# This is the "slim" variant of the Debian base image.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
echo 'APT::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod +x "$rootfs/usr/sbin/policy-rc.d"

sources() { # $1: main mirror, $2: security mirror (empty: none)
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$1" "$DEBIAN_SUITE" "$DEBIAN_SUITE"
  [ -z "$2" ] || printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$2" "$DEBIAN_SUITE"
}
rm -f "$rootfs/etc/apt/sources.list"
sources "$mirror" "$security" >"$rootfs/etc/apt/sources.list.d/debian.sources"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
img_log "apt-get dist-upgrade from $DEBIAN_SUITE-updates and -security"
# /proc for the maintainer scripts, in a mount namespace of its own (nothing leaks to the host)
unshare --mount --fork sh -c "mount -t proc proc '$rootfs/proc' && chroot '$rootfs' sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y -qq && apt-get clean'" \
  >"$work/upgrade.log" 2>&1 || { tail -20 "$work/upgrade.log" >&2; img_die "apt-get dist-upgrade in the new root failed (log: $work/upgrade.log)"; }
# the sources of the official image, whatever mirror built this one
sources http://deb.debian.org/debian http://deb.debian.org/debian-security >"$rootfs/etc/apt/sources.list.d/debian.sources"
# slimify: what the dpkg excludes above keep out of later installs, out of this one too
find "$rootfs/usr/share/doc" -mindepth 1 \( -type f -o -type l \) ! -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
for d in groff info linda lintian/overrides locale man; do rm -rf "${rootfs:?}/usr/share/$d/"*; done
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/var/cache/ldconfig/aux-cache "$rootfs"/var/log/apt/* "$rootfs"/var/log/*.log "$rootfs"/tmp/* "$rootfs"/var/tmp/*
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/machine-id"
img_log "importing $DEBIAN_IMAGE ($(du -sh "$rootfs" | cut -f1))"
tar --numeric-owner --xattrs -C "$rootfs" -cf - . \
  | podman import --quiet --change 'CMD ["bash"]' --change "LABEL $label=$recipe" \
      --message "debootstrap --variant=minbase $DEBIAN_SUITE, slim (scripts/image/base.sh)" - "$DEBIAN_IMAGE" >/dev/null
rm -rf "$rootfs"

# --- 2. node:24-bookworm-slim --------------------------------------------------------------
cp "$image_dir/docker-entrypoint.sh" "$ctx/"
for spec in "node-linux-$node_arch@$NODE_VERSION" "npm@$NPM_VERSION" "corepack@$COREPACK_VERSION" "yarn@$YARN_VERSION"; do
  file="$(echo "${spec%@*}" | tr / -)-${spec##*@}.tgz"
  [ -s "$ctx/$file" ] && continue
  img_log "npm pack $spec"
  (cd "$ctx" && npm pack --silent "$spec" >/dev/null)   # checks the registry's integrity hash
  [ -s "$ctx/$file" ] || img_die "npm pack $spec wrote no $file"
done
img_log "building $BASE_IMAGE (Node.js $NODE_VERSION, npm $NPM_VERSION, corepack $COREPACK_VERSION, yarn $YARN_VERSION)"
buildah bud --quiet --network=none --layers=false -f "$image_dir/node-base.Containerfile" \
  --build-arg "NODE_VERSION=$NODE_VERSION" --build-arg "NODE_ARCH=$node_arch" --build-arg "OPENSSL_ARCH=$openssl_arch" \
  --build-arg "NPM_VERSION=$NPM_VERSION" --build-arg "COREPACK_VERSION=$COREPACK_VERSION" --build-arg "YARN_VERSION=$YARN_VERSION" \
  --label "$label=$recipe" --label "org.opencontainers.image.description=node:24-bookworm-slim reconstructed by model-guardian's scripts/image/base.sh" \
  -t "$BASE_IMAGE" "$ctx" >/dev/null
img_log "$BASE_IMAGE built in $((SECONDS - started)) s: $(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | numfmt --to=si)B"
