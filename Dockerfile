# The operator image. Node 24 LTS runs the TypeScript sources directly (type stripping).
# Built by `npm run image` (scripts/image/build.sh, buildah) or `docker build .`. Where no
# registry of images can be reached, build.sh first reconstructs node:24-bookworm-slim in
# local storage under that name (hack/image/base.sh; README, "The container image").
ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only, installed by the base image's npm. Type declarations and
# source maps are dropped: Node reads neither at run time (no --enable-source-maps).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete

# The runtime's root: the node binary and the shared libraries it links, taken from the same
# base (found by ldd: any architecture), with the dpkg records of the packages those libraries
# come from and their copyright files where the slim base kept them (as distroless does, so a
# scanner sees them), an /etc/passwd naming the user 65532 and a /tmp. No shell, no package
# manager, no npm.
FROM ${NODE_IMAGE} AS runtime
RUN set -eu; \
  r=/rootfs; \
  mkdir -p "$r/usr/local/bin" "$r/etc" "$r/tmp" "$r/var/lib/dpkg/status.d" "$r/usr/share/doc" "$r/usr/local/share/doc/node"; \
  cp -a /usr/local/bin/node "$r/usr/local/bin/node"; \
  cp /usr/local/LICENSE "$r/usr/local/share/doc/node/LICENSE"; \
  for d in bin sbin lib lib32 lib64 libx32; do \
    if [ -L "/$d" ]; then cp -a "/$d" "$r/$d"; mkdir -p "$r/$(readlink -f "/$d")"; fi; \
  done; \
  for lib in $(ldd /usr/local/bin/node | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do \
    canon="$(readlink -f "$(dirname "$lib")")/$(basename "$lib")"; \
    real="$(readlink -f "$lib")"; \
    mkdir -p "$r$(dirname "$real")" "$r$(dirname "$canon")"; \
    cp -a "$real" "$r$real"; \
    [ "$canon" = "$real" ] || ln -sf "$real" "$r$canon"; \
    pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$canon" 2>/dev/null || dpkg -S "$real")"; \
    pkg="${pkg%%:*}"; \
    dpkg-query -s "$pkg" > "$r/var/lib/dpkg/status.d/$pkg"; \
    if [ -f "/usr/share/doc/$pkg/copyright" ]; then mkdir -p "$r/usr/share/doc/$pkg"; cp "/usr/share/doc/$pkg/copyright" "$r/usr/share/doc/$pkg/"; fi; \
  done; \
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$r/etc/passwd"; \
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$r/etc/group"; \
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$r/etc/nsswitch.conf"; \
  chmod 1777 "$r/tmp"; \
  chroot "$r" /usr/local/bin/node --version

FROM scratch
COPY --from=runtime /rootfs/ /
WORKDIR /app
ENV NODE_ENV=production PATH=/usr/local/bin
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "src/main.ts"]
ARG VERSION=dev
LABEL org.opencontainers.image.title="model-guardian" \
  org.opencontainers.image.description="Kubernetes operator that watches ML models through Prometheus, detects drift and degradation, retrains and rolls out safely." \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
