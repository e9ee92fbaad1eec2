# Shared by compose:images and compose:check: the local image names and the Docker engine.
# shellcheck shell=bash

# Local tags of the offline base images (docker-compose.offline.yml uses the same names).
BASE_IMAGE=series-killer-base/debian:bookworm
NODE_IMAGE=series-killer-base/node:24-slim
REDIS_IMAGE=series-killer-base/redis:7
POSTGRES_IMAGE=series-killer-base/postgres:15

# Starts dockerd (as root) when no engine answers, and waits for it.
ensure_docker() {
  command -v docker >/dev/null || { echo "docker is not installed (Debian: apt-get install docker.io)" >&2; exit 1; }
  if docker info >/dev/null 2>&1; then return; fi
  command -v dockerd >/dev/null || { echo "no Docker engine answers and dockerd is not installed (Debian: apt-get install docker.io)" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "no Docker engine answers; start dockerd (as root) first" >&2; exit 1; }
  echo "== starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return; sleep 0.5; done
  echo "dockerd did not answer within 30 s; last lines of /var/log/dockerd.log:" >&2
  tail -20 /var/log/dockerd.log >&2
  exit 1
}
