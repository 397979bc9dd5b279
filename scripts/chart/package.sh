#!/usr/bin/env bash
# Packages the chart and writes a chart repository's index: `npm run chart:package`.
#   bash scripts/chart/package.sh [OUT_DIR] [--url URL] [--merge INDEX]
# OUT_DIR (default dist/charts) gets model-guardian-<version>.tgz and index.yaml, which any
# static web server can serve as a chart repository (`helm repo add NAME URL`). --url is the
# address the repository will be served from (index.yaml's urls; default: relative, which helm
# resolves against the repository's address); --merge keeps the entries of an existing index
# (earlier versions). helm: HELM, or .cache/bin/helm (built by hack/cluster/build-helm.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/dist/charts"
url=""
merge=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --merge) merge="$2"; shift 2 ;;
    -*) echo "unknown option $1 (--url URL, --merge INDEX)" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
helm="${HELM:-$root/.cache/bin/helm}"
[ -x "$helm" ] || { bash "$root/hack/cluster/build-helm.sh"; helm="$root/.cache/bin/helm"; }
mkdir -p "$out"
"$helm" lint "$root/charts/model-guardian" >&2
"$helm" package "$root/charts/model-guardian" --destination "$out" >&2
args=(repo index "$out")
[ -z "$url" ] || args+=(--url "$url")
[ -z "$merge" ] || args+=(--merge "$merge")
"$helm" "${args[@]}"
echo "$out"
