#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager v1.20.2 from Debian bookworm's `kubernetes` source package
# into a cache outside the repository, and installs the runtime packages the kube test tier needs
# (etcd-server, openssl; kubernetes-client for kubectl when no kubectl is on PATH).
#
# Idempotent: when the cached binaries exist and answer `--version` with the expected version, nothing is built.
# Debian ships no kube-apiserver binary, and no other download source is reachable, hence the source build.
#
# Environment:
#   UPDATE_MANAGER_KUBE_CACHE  cache directory (default: $HOME/.cache/update-manager/kube-1.20.2);
#                              binaries land in $UPDATE_MANAGER_KUBE_CACHE/bin
#   KUBE_BUILD_KEEP_SOURCE=1   keep the unpacked source tree after a successful build (default: removed, ~1 GB)
set -euo pipefail

readonly KUBE_VERSION="v1.20.2"
readonly KUBE_MAJOR="1"
readonly KUBE_MINOR="20"
readonly SOURCE_PACKAGE="kubernetes"
readonly CACHE="${UPDATE_MANAGER_KUBE_CACHE:-${HOME}/.cache/update-manager/kube-1.20.2}"
readonly BIN="${CACHE}/bin"
readonly BINARIES=(kube-apiserver kube-controller-manager)
readonly RUNTIME_PACKAGES=(etcd-server openssl)
readonly BUILD_PACKAGES=(golang-go rsync golang-github-modern-go-reflect2-dev dpkg-dev)
readonly DEB_SRC_LIST="/etc/apt/sources.list.d/update-manager-deb-src.sources"

script_start=$(date +%s)
step_start=${script_start}

log() { printf '[build-control-plane] %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
# Prints how long the step that just finished took, then starts timing the next one.
timing() {
  local now
  now=$(date +%s)
  log "timing: $1 took $((now - step_start))s"
  step_start=${now}
}
trap 'log "FAILED at line ${LINENO}: ${BASH_COMMAND}"' ERR

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

apt_updated=0
apt_update_once() {
  if [[ ${apt_updated} -eq 0 ]]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq || fail "apt-get update failed"
    apt_updated=1
  fi
}

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    package_installed "${pkg}" || missing+=("${pkg}")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  apt_update_once
  log "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install ${missing[*]} failed"
}

# True when every binary exists and reports the expected version.
binaries_ok() {
  local name out
  for name in "${BINARIES[@]}"; do
    [[ -x "${BIN}/${name}" ]] || return 1
    out=$("${BIN}/${name}" --version 2>&1) || return 1
    [[ ${out} == *"Kubernetes ${KUBE_VERSION}"* ]] || return 1
  done
}

ensure_deb_src() {
  # Only binary sources are configured on these machines; derive deb-src entries from them.
  if [[ -f ${DEB_SRC_LIST} ]]; then
    return 0
  fi
  local base="/etc/apt/sources.list.d/debian.sources"
  [[ -f ${base} ]] || fail "${base} not found: cannot derive a deb-src entry for apt-get source"
  log "adding deb-src entries in ${DEB_SRC_LIST}"
  sed 's/^Types:[[:space:]]*deb$/Types: deb-src/' "${base}" | as_root tee "${DEB_SRC_LIST}" >/dev/null
  apt_updated=0
}

# --- runtime packages are needed even when the binaries are cached ------------------------------------------------
ensure_packages "${RUNTIME_PACKAGES[@]}"
# kubectl is only a debugging aid here; another package (e.g. a cloud SDK) may already own /usr/bin/kubectl.
command -v kubectl >/dev/null || ensure_packages kubernetes-client
command -v etcd >/dev/null || fail "etcd not on PATH after installing etcd-server"
timing "runtime packages"

mkdir -p "$(dirname "${CACHE}")"
exec 9>"${CACHE}.lock"
# Two concurrent runs (two terminals, a test and a manual build) must not build into the same tree.
flock 9

if binaries_ok; then
  log "cached binaries in ${BIN} are ${KUBE_VERSION}: nothing to build"
  log "timing: total $(($(date +%s) - script_start))s"
  exit 0
fi

log "building ${KUBE_VERSION} into ${CACHE} (takes several minutes on 2 cores)"
ensure_packages "${BUILD_PACKAGES[@]}"
command -v go >/dev/null || fail "go not on PATH after installing golang-go"
timing "build packages"

mkdir -p "${CACHE}/src" "${BIN}"
cd "${CACHE}/src"

tree=$(find . -maxdepth 1 -type d -name "${SOURCE_PACKAGE}-*" | head -n 1)
if [[ -z ${tree} || ! -f ${tree}/.update-manager-unpacked ]]; then
  rm -rf ./"${SOURCE_PACKAGE}"-* ./"${SOURCE_PACKAGE}"_*
  ensure_deb_src
  apt_update_once
  log "apt-get source ${SOURCE_PACKAGE}"
  # As root apt cannot drop privileges to _apt for a download into a root-owned directory; that warning is harmless.
  apt-get source -qq "${SOURCE_PACKAGE}" >"${CACHE}/src/apt-source.log" 2>&1 || {
    tail -n 30 "${CACHE}/src/apt-source.log" >&2
    fail "apt-get source ${SOURCE_PACKAGE} failed"
  }
  tree=$(find . -maxdepth 1 -type d -name "${SOURCE_PACKAGE}-*" | head -n 1)
  [[ -n ${tree} && -d ${tree}/cmd/kube-apiserver ]] || fail "unpacked source tree not found in ${CACHE}/src"
  touch "${tree}/.update-manager-unpacked"
  timing "fetch + unpack source"
fi
tree=$(cd "${tree}" && pwd)
log "source tree: ${tree}"

# GOPATH mode: module mode fails on this tree with Go 1.19.
export GOPATH="${CACHE}/gopath"
export GOCACHE="${CACHE}/gocache"
export GO111MODULE=off GOFLAGS= CGO_ENABLED=0 GOPROXY=off GOTOOLCHAIN=local
mkdir -p "${GOPATH}/src/k8s.io"
ln -sfn "${tree}" "${GOPATH}/src/k8s.io/kubernetes"
cd "${GOPATH}/src/k8s.io/kubernetes"

# reflect2 v1.0.1 (vendored) reads runtime internals that changed in Go 1.18; Debian's 1.0.2 works.
reflect2_src=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -d ${reflect2_src} ]] || fail "${reflect2_src} missing (package golang-github-modern-go-reflect2-dev)"
if [[ ! -f vendor/github.com/modern-go/reflect2/.update-manager-replaced ]]; then
  rm -rf vendor/github.com/modern-go/reflect2
  mkdir -p vendor/github.com/modern-go/reflect2
  cp -a "${reflect2_src}/." vendor/github.com/modern-go/reflect2/
  touch vendor/github.com/modern-go/reflect2/.update-manager-replaced
  log "replaced vendored reflect2 with Debian's"
fi

if [[ ! -f pkg/generated/openapi/zz_generated.openapi.go ]]; then
  log "make generated_files"
  make generated_files >"${CACHE}/src/generated-files.log" 2>&1 || {
    tail -n 40 "${CACHE}/src/generated-files.log" >&2
    fail "make generated_files failed (full log: ${CACHE}/src/generated-files.log)"
  }
  [[ -f pkg/generated/openapi/zz_generated.openapi.go ]] || fail "make generated_files did not create the openapi file"
  timing "make generated_files"
fi

ldflags="-s -w"
for pkg in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${KUBE_MAJOR} -X ${pkg}.gitMinor=${KUBE_MINOR}"
  ldflags+=" -X ${pkg}.gitTreeState=clean"
done

staging="${CACHE}/bin.staging"
rm -rf "${staging}"
mkdir -p "${staging}"
log "go build ${BINARIES[*]}"
go build -trimpath -ldflags "${ldflags}" -o "${staging}/" ./cmd/kube-apiserver ./cmd/kube-controller-manager >"${CACHE}/src/go-build.log" 2>&1 || {
  tail -n 40 "${CACHE}/src/go-build.log" >&2
  fail "go build failed (full log: ${CACHE}/src/go-build.log)"
}
timing "go build"

# Move into place only once both built, so a half-done build never looks cached.
for name in "${BINARIES[@]}"; do
  mv -f "${staging}/${name}" "${BIN}/${name}"
done
rmdir "${staging}"
binaries_ok || fail "built binaries do not report ${KUBE_VERSION}: $("${BIN}/kube-apiserver" --version 2>&1 || true)"

if [[ ${KUBE_BUILD_KEEP_SOURCE:-0} != 1 ]]; then
  rm -rf "${CACHE}/src" "${CACHE}/gopath" "${CACHE}/gocache"
  log "removed source tree and Go caches (set KUBE_BUILD_KEEP_SOURCE=1 to keep them)"
fi

log "built: $("${BIN}/kube-apiserver" --version), $("${BIN}/kube-controller-manager" --version) in ${BIN}"
log "timing: total $(($(date +%s) - script_start))s"
