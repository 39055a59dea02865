#!/usr/bin/env bash
# Runs the whole test suite: installs the external test servers if missing
# (Prism for the OpenAPI contract suites, scim2-server for SCIM), starts them
# on free loopback ports, runs `cargo test --all-features --workspace`, stops
# them. Extra arguments go to `cargo test`.
#
# Servers: Prism in mock mode (request contract), scim2-server (SCIM),
# redis-server (the shared limiter store, tests/redis_store.rs), and the
# simulator (examples/sim_server) behind `prism proxy`, which checks the SDK's
# requests AND the simulator's answers against the spec (tests/sim.rs
# `through_prism_proxy`, via OPSGENIE_PRISM_PROXY_URL/_KEY).
#
# Inputs: the official OpenAPI file (OPSGENIE_SPEC, default
# ../shared/reference/opsgenie-oas/swagger.consumes-json.json, beside the
# repository) and the Atlassian SCIM schemas (OPSGENIE_SCIM_REF, default the
# copy in tests/fixtures/scim-atlassian). When one is missing, or npm/python3
# to install a server, the script says so in one line, starts none of the
# servers that need it, and the suites that need them skip; everything else
# runs. With CI set, anything missing is an error (exit 1 at once).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${OPSGENIE_TEST_TOOLS:-$ROOT/target/test-tools}
SPEC=${OPSGENIE_SPEC:-$ROOT/../shared/reference/opsgenie-oas/swagger.consumes-json.json}
SCIM_REF=${OPSGENIE_SCIM_REF:-$ROOT/tests/fixtures/scim-atlassian}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOGDIR="$ROOT/target/test-logs"
mkdir -p "$TOOLS" "$LOGDIR"

# --- what can run -----------------------------------------------------------
SKIPPED=()
# missing WHAT SUITES: skips SUITES, or stops at once when CI is set.
missing() {
  if [ -n "${CI:-}" ]; then
    echo "error: $1; CI is set, so the suites needing it ($2) may not be skipped" >&2
    exit 1
  fi
  echo "note: $1: skipping $2" >&2
  SKIPPED+=("$2")
}
PRISM_ON=1
SCIM_ON=1
if [ ! -f "$SPEC" ]; then
  missing "no OpenAPI spec at $SPEC (set OPSGENIE_SPEC)" "the Prism contract suites"
  PRISM_ON=0
elif ! command -v npm >/dev/null; then
  missing "npm not found (needed to install Prism)" "the Prism contract suites"
  PRISM_ON=0
fi
if [ ! -f "$SCIM_REF/schemas.json" ] || [ ! -f "$SCIM_REF/resource-types.json" ]; then
  missing "no SCIM schemas.json/resource-types.json in $SCIM_REF (set OPSGENIE_SCIM_REF)" "the scim2-server suite"
  SCIM_ON=0
elif ! command -v python3 >/dev/null; then
  missing "python3 not found (needed to install scim2-server)" "the scim2-server suite"
  SCIM_ON=0
fi

REDIS_ON=1
REDIS=$(command -v redis-server || true)
if [ -z "$REDIS" ]; then
  missing "redis-server not found (Debian package redis-server; .ci/run installs it)" "the Redis limiter store suite"
  REDIS_ON=0
fi

# --- install (idempotent) ---------------------------------------------------
PRISM="$TOOLS/prism/node_modules/.bin/prism"
if [ "$PRISM_ON" = 1 ] && [ ! -x "$PRISM" ]; then
  echo "installing @stoplight/prism-cli@5.14.2 into $TOOLS/prism" >&2
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/prism" @stoplight/prism-cli@5.14.2 >&2
fi
SCIM="$TOOLS/scim-venv/bin/scim2-server"
if [ "$SCIM_ON" = 1 ] && [ ! -x "$SCIM" ]; then
  echo "installing scim2-server==0.8.3 into $TOOLS/scim-venv" >&2
  python3 -m venv "$TOOLS/scim-venv"
  "$TOOLS/scim-venv/bin/pip" install --quiet --disable-pip-version-check scim2-server==0.8.3 >&2
fi

# --- servers ----------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

NAMES=() PIDS=() PORTS=() LOGS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# start NAME PORT LOG COMMAND...: runs COMMAND in the background, output to LOG.
start() {
  local name=$1 port=$2 log=$3
  shift 3
  "$@" >"$log" 2>&1 &
  NAMES+=("$name") PIDS+=($!) PORTS+=("$port") LOGS+=("$log")
}

# Waits until every started server listens. A server that exits first, or is
# not listening after 180 s, is reported at once with the end of its log.
wait_all() {
  local deadline=$((SECONDS + 180)) pending i
  while :; do
    pending=0
    for i in "${!NAMES[@]}"; do
      [ -z "${PORTS[$i]}" ] && continue # ready
      if (exec 3<>"/dev/tcp/127.0.0.1/${PORTS[$i]}") 2>/dev/null; then
        PORTS[$i]=""
        continue
      fi
      if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
        fail_server "$i" "exited before listening on its port"
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        fail_server "$i" "is not listening on port ${PORTS[$i]} after 180 s"
      fi
      pending=1
    done
    [ "$pending" = 0 ] && return 0
    sleep 0.2
  done
}
fail_server() {
  echo "error: ${NAMES[$1]} $2; last lines of ${LOGS[$1]}:" >&2
  tail -n 20 "${LOGS[$1]}" | sed 's/^/    /' >&2
  exit 1
}

if [ "$SCIM_ON" = 1 ]; then
  SCIM_PORT=$(free_port)
  SCIM_TOKEN=test-token-$RANDOM$RANDOM
  start scim2-server "$SCIM_PORT" "$LOGDIR/scim2-server.log" \
    "$SCIM" --hostname 127.0.0.1 --port "$SCIM_PORT" --bearer-token "$SCIM_TOKEN" --dynamic-tenants \
    --schema "$SCIM_REF/schemas.json" --resource-type "$SCIM_REF/resource-types.json"
fi
if [ "$PRISM_ON" = 1 ]; then
  PRISM_PORT=$(free_port)
  start prism "$PRISM_PORT" "$LOGDIR/prism-mock.log" \
    "$PRISM" mock "$SPEC" --host 127.0.0.1 --port "$PRISM_PORT" --errors false
  # The simulator behind Prism in proxy mode: Prism forwards every request to
  # the simulator and reports, in an `sl-violations` header, what in the
  # request or in the simulator's answer disagrees with the spec.
  SIM_PORT=$(free_port)
  SIM_KEY=sim-key-$RANDOM$RANDOM
  PROXY_PORT=$(free_port)
  start prism-proxy "$PROXY_PORT" "$LOGDIR/prism-proxy.log" \
    "$PRISM" proxy "$SPEC" "http://127.0.0.1:$SIM_PORT" --host 127.0.0.1 --port "$PROXY_PORT" --errors false
  # Same profile and features as `cargo test` below: one build.
  cargo build --all-features --example sim_server
  start simulator "$SIM_PORT" "$LOGDIR/sim.log" \
    "$TARGET_DIR/debug/examples/sim_server" --port "$SIM_PORT" --api-key "$SIM_KEY" \
    --users 30 --teams 2 --schedules 2
fi
if [ "$REDIS_ON" = 1 ]; then
  # No persistence: a scratch server for tests/redis_store.rs.
  REDIS_PORT=$(free_port)
  start redis-server "$REDIS_PORT" "$LOGDIR/redis-server.log" \
    "$REDIS" --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no
fi
wait_all

if [ "$PRISM_ON" = 1 ]; then
  export OPSGENIE_PRISM_URL="http://127.0.0.1:$PRISM_PORT"
  export OPSGENIE_PRISM_PROXY_URL="http://127.0.0.1:$PROXY_PORT"
  export OPSGENIE_PRISM_PROXY_KEY="$SIM_KEY"
  export OPSGENIE_SPEC="$SPEC"
fi
if [ "$SCIM_ON" = 1 ]; then
  export OPSGENIE_SCIM_URL="http://127.0.0.1:$SCIM_PORT"
  export OPSGENIE_SCIM_TOKEN="$SCIM_TOKEN"
fi

if [ "$REDIS_ON" = 1 ]; then
  export OPSGENIE_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/"
  # The tests that kill Redis mid-run start their own from this binary.
  export OPSGENIE_TEST_REDIS_SERVER="$REDIS"
fi

status=0
cargo test --all-features --workspace "$@" || status=$?
for s in "${SKIPPED[@]:-}"; do
  [ -n "$s" ] && echo "note: skipped $s (see the note at the start)" >&2
done
exit "$status"
