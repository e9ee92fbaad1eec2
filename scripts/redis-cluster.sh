#!/usr/bin/env bash
# npm run redis:cluster -- start|stop|status — a local 3-master Redis Cluster from Debian's
# redis-server on loopback ports 7101-7103 (REDIS_CLUSTER_PORTS to change), for tests and
# benchmarks of REDIS_CLUSTER_NODES. Data lives in .tools/redis-cluster and is not persisted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/redis-cluster"
ports=(${REDIS_CLUSTER_PORTS:-7101 7102 7103})

nodes() { for port in "${ports[@]}"; do printf '127.0.0.1:%s ' "$port"; done; }

start() {
  command -v redis-server >/dev/null || { echo "redis-server is not installed (Debian: apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$dir"
  for port in "${ports[@]}"; do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then continue; fi
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --cluster-enabled yes \
      --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 2000 \
      --dir "$dir/$port" --save "" --appendonly no --maxmemory-policy noeviction \
      --logfile "$dir/$port/redis.log" --pidfile "$dir/$port/redis.pid"
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  if ! redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok'; then
    # shellcheck disable=SC2046
    redis-cli --cluster create $(nodes) --cluster-replicas 0 --cluster-yes >/dev/null
  fi
  for _ in $(seq 1 100); do
    redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' && { echo "REDIS_CLUSTER_NODES=$(nodes | sed 's/ $//; s/ /,/g')"; return; }
    sleep 0.1
  done
  echo "cluster did not reach state ok" >&2
  exit 1
}

stop() {
  for port in "${ports[@]}"; do
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "${dir:?}/$port"
  done
  echo "stopped"
}

status() { redis-cli -p "${ports[0]}" cluster info | head -3; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
