#!/usr/bin/env bash
# npm run compose:check — runs the stack as users do with docker compose, offline: starts dockerd
# if none runs, builds the base images (npm run compose:images, kept between runs) and the
# project's image, brings the stack up with the sandbox profile, waits on the health checks, plays
# `npm run demo` against the published ports, checks the rows it wrote, scales sms to 2 and sends
# again, then `down -v`. Exits non-zero naming the step and service that failed, with that
# container's last log lines. Host ports: COMPOSE_CHECK_PORT_BASE (default 15000) + 432/379/3000/3100.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
# The stack sees only what this check sets: none of the host's settings for the compose file.
# shellcheck disable=SC2046
unset $(grep -oE '\$\{[A-Z_]+' docker-compose.yml | cut -c3- | sort -u)
# shellcheck source=scripts/compose/lib.sh
. "$here/lib.sh"
# The sandbox profile's settings, as users run it (compose reads the file; the demo below needs the passwords).
sandbox_env=docker-compose.sandbox.env
# shellcheck source=docker-compose.sandbox.env
. "$root/$sandbox_env"

base=${COMPOSE_CHECK_PORT_BASE:-15000}
export POSTGRES_HOST_PORT=$((base + 432)) REDIS_HOST_PORT=$((base + 379))
export INGRESS_HOST_PORT=$((base + 3000)) SANDBOX_HOST_PORT=$((base + 3100))
export SANDBOX=1 LOG_LEVEL=info
INTERNAL_API_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export INTERNAL_API_TOKEN
project=series-killer-check
app_services=(migrate ingress voice sms onboarding summarizer sandbox)

if docker compose version >/dev/null 2>&1; then compose_bin=(docker compose); else compose_bin=(docker-compose); fi
compose() {
  "${compose_bin[@]}" -p "$project" -f docker-compose.yml -f docker-compose.offline.yml --env-file "$sandbox_env" \
    --profile sandbox "$@"
}

step=""
step_started=0
log() {
  if [ -n "$step" ]; then printf '   (%s: %d s)\n' "$step" $((SECONDS - step_started)); fi
  step=$1
  step_started=$SECONDS
  printf '\n== compose:check: %s\n' "$1"
}

# The last log lines of a service's containers.
show_logs() {
  local id
  for id in $(compose ps -q "$1" 2>/dev/null); do
    echo "-- last log lines of $1 ($(docker inspect -f '{{.Name}}' "$id" | tr -d /)):" >&2
    docker logs --tail 30 "$id" 2>&1 | sed 's/^/   /' >&2
  done
}

fail() {
  local service=$1
  shift
  echo "compose:check FAILED at step '$step', service $service: $*" >&2
  show_logs "$service"
  exit 1
}

# The first service whose container never started, exited with an error, is unhealthy or restarts; empty if none.
failing_service() {
  local service id state
  for service in postgres redis "${app_services[@]}"; do
    for id in $(compose ps -q "$service" 2>/dev/null); do
      state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
      case "$state" in
        exited\ 0\ *) ;;
        created* | exited* | dead* | *unhealthy | restarting* | running\ 0\ [1-9]*) echo "$service ($state)"; return ;;
      esac
    done
  done
}

fail_with_culprit() {
  local culprit
  culprit=$(failing_service)
  if [ -n "$culprit" ]; then fail "${culprit%% *}" "container ${culprit#* }"; fi
  for service in ingress voice sms onboarding summarizer sandbox; do show_logs "$service"; done
  echo "compose:check FAILED at step '$step': $*" >&2
  exit 1
}

# Waits until every container of the service is healthy (with a health check) or running.
wait_ready() {
  local service=$1 deadline=$((SECONDS + $2)) id status all
  while :; do
    all=1
    for id in $(compose ps -q "$service"); do
      status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
      case "$status" in
        healthy | running) ;;
        *) all=0 ;;
      esac
    done
    [ -n "$(compose ps -q "$service")" ] && [ "$all" = 1 ] && return
    culprit=$(failing_service)
    [ -n "$culprit" ] && fail "${culprit%% *}" "container ${culprit#* }"
    [ "$SECONDS" -lt "$deadline" ] || fail "$service" "not ready within $2 s (last status: ${status:-no container})"
    sleep 1
  done
}

# The stack's containers, networks and volumes, as docker lists them.
leftovers() {
  local label="label=com.docker.compose.project=$project"
  docker ps -aq --filter "$label"
  docker network ls -q --filter "$label"
  docker volume ls -q --filter "$label"
}

cleanup() {
  rm -f "$root/.build-ca/ca.crt" "${up_log:-}"
  compose down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT

demo() {
  DATABASE_URL="postgres://postgres:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_HOST_PORT/postgres" \
    REDIS_URL="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_HOST_PORT" \
    PUBLIC_BASE_URL="http://127.0.0.1:$INGRESS_HOST_PORT" \
    SANDBOX_HOST=127.0.0.1 SANDBOX_PORT="$SANDBOX_HOST_PORT" \
    npm run --silent demo
}

sql() { compose exec -T postgres psql -U postgres -tAc "$1" || fail postgres "query failed: $1"; }

log "docker engine"
ensure_docker
if [ -n "$(leftovers)" ]; then compose down -v --remove-orphans >/dev/null 2>&1 || true; fi

log "base images"
bash "$here/images.sh"

log "build the project image"
# The host's CA bundle lets npm ci through a TLS-intercepting proxy; only the build stage sees it.
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca" ]; then cp "$ca" "$root/.build-ca/ca.crt"; fi
build_started=$SECONDS
docker build -q --build-arg "NODE_IMAGE=$NODE_IMAGE" -t series-killer:local . >/dev/null ||
  { echo "compose:check FAILED at step '$step': docker build" >&2; exit 1; }
rm -f "$root/.build-ca/ca.crt"
echo "built series-killer:local in $((SECONDS - build_started)) s"

log "up (sandbox profile)"
up_log=$(mktemp)
compose up -d --no-build >"$up_log" 2>&1 || { tail -5 "$up_log" >&2; fail_with_culprit "docker compose up did not bring every service up"; }
for service in postgres redis ingress voice sandbox sms onboarding summarizer; do wait_ready "$service" 120; done
[ "$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q migrate)")" = 0 ] || fail migrate "migration failed"
echo "every service is up"

log "demo against the published ports"
demo || fail_with_culprit "npm run demo failed"

log "rows the demo wrote"
completed=$(sql "select count(*) from user_profiles where onboarding_status = 'completed'")
delivered=$(sql "select count(*) from onboarding_messages where status = 'delivered'")
summarized=$(sql "select count(*) from call_history where call_status = 'completed' and summary is not null")
echo "completed profiles: $completed, delivered onboarding messages: $delivered, summarized calls: $summarized"
[ "$completed" -ge 1 ] && [ "$delivered" -ge 2 ] && [ "$summarized" -ge 1 ] ||
  fail_with_culprit "expected a completed profile, two delivered onboarding messages and a summarized call"

log "scale sms to 2 and send again"
compose up -d --no-build --no-recreate --scale sms=2 >"$up_log" 2>&1 ||
  { tail -5 "$up_log" >&2; fail_with_culprit "scaling sms to 2 failed"; }
wait_ready sms 60
[ "$(compose ps -q sms | wc -l)" -eq 2 ] || fail sms "expected 2 replicas, found $(compose ps -q sms | wc -l)"
demo || fail_with_culprit "npm run demo failed with 2 sms replicas"
completed=$(sql "select count(*) from user_profiles where onboarding_status = 'completed'")
[ "$completed" -ge 2 ] || fail_with_culprit "the second user's onboarding did not complete"
echo "2 sms replicas; second onboarding completed"

log "down -v"
compose down -v --remove-orphans >/dev/null 2>&1 || fail_with_culprit "docker compose down failed"
left=$(leftovers)
[ -z "$left" ] || { echo "compose:check FAILED at step '$step': left behind: $left" >&2; exit 1; }
echo "no container, network or volume left"
printf '\ncompose:check passed in %d s\n' "$SECONDS"
