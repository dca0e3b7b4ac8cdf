#!/usr/bin/env bash
# The whole test suite, tier by tier, each against its real components.
#
#   npm test                      every tier
#   UPDATE_MANAGER_TIERS="unit e2e" npm test   only some tiers
#
# Installs the Debian packages a tier needs when they are missing (apt-get update first), and
# fails when a tier's component does not start: a tier is never skipped because its component
# is missing. Ends with one line `N passed, N failed, N skipped`; any failure or skip exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."

all_tiers="unit e2e kube registry browser image"
tiers="${UPDATE_MANAGER_TIERS:-$all_tiers}"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
export UPDATE_MANAGER_TEST_SUMMARY="$summary"

apt_updated=0
# ensure_packages PKG... : installs the Debian packages that are not installed yet.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "test.sh: installing Debian packages: ${missing[*]}"
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq || return 1
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# prepare_TIER: makes the tier's real components available; non-zero fails the tier.
prepare_unit() { ensure_packages openssl; }
prepare_e2e() {
  # The Python client is generated at test time by Debian's protoc and grpc_python_plugin; libprotobuf-dev
  # brings the google/protobuf imports.
  ensure_packages protobuf-compiler protobuf-compiler-grpc libprotobuf-dev python3-grpcio python3-protobuf
}
prepare_kube() {
  bash scripts/kube/build-control-plane.sh || return 1
  # One case runs the manager as the container image (built once per run; cached by its inputs' hash).
  bash scripts/image/build-image.sh || return 1
  # Any kubectl will do (the tests render kustomizations 1.20 can read); Debian's when there is none.
  command -v kubectl >/dev/null || ensure_packages kubernetes-client
}
prepare_registry() { ensure_packages docker-registry skopeo apache2-utils openssl; }
prepare_browser() { ensure_packages chromium fonts-dejavu-core; }
# The image (built once, cached outside the repository by its inputs' hash); the script installs its packages.
prepare_image() { bash scripts/image/build-image.sh; }

has_tests() {
  local tier="$1"
  if [ "$tier" = unit ]; then
    find test -name '*.test.ts' ! -name '*.e2e.test.ts' ! -name '*.kube.test.ts' \
      ! -name '*.registry.test.ts' ! -name '*.browser.test.ts' ! -name '*.image.test.ts' | grep -q .
  else
    find test -name "*.${tier}.test.ts" | grep -q .
  fi
}

status=0
timings=()
for tier in $tiers; do
  if ! has_tests "$tier"; then
    echo "test.sh: tier $tier has no tests yet"
    continue
  fi
  start=$(date +%s)
  echo "=== tier $tier: preparing"
  if ! "prepare_$tier"; then
    echo "test.sh: tier $tier: its components could not be prepared" >&2
    echo '{"passed":0,"failed":1,"skipped":0}' >>"$summary"
    status=1
    timings+=("$tier: failed to prepare after $(($(date +%s) - start)) s")
    continue
  fi
  echo "=== tier $tier: running"
  if ! npx vitest run --project "$tier"; then
    status=1
  fi
  timings+=("$tier: $(($(date +%s) - start)) s")
done

echo
echo "tier durations:"
for line in "${timings[@]}"; do echo "  $line"; done

read -r passed failed skipped < <(node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
  const sum = (k) => lines.reduce((n, l) => n + l[k], 0);
  console.log(sum("passed"), sum("failed"), sum("skipped"));
' "$summary")
if [ "$passed" = 0 ]; then status=1; fi
if [ "$failed" != 0 ] || [ "$skipped" != 0 ]; then status=1; fi
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
