#!/usr/bin/env bash
# Runs the whole test suite: installs the external test servers if missing
# (Prism for the OpenAPI contract suite, scim2-server for SCIM), starts them
# on free loopback ports, runs `cargo test --all-features`, stops them.
# Extra arguments go to `cargo test`.
#
# Servers: Prism in mock mode (request contract), scim2-server (SCIM), and the
# crate's own simulator (examples/sim_server) behind `prism proxy`, which
# checks the SDK's requests AND the simulator's answers against the spec
# (tests/sim.rs `through_prism_proxy`, via OPSGENIE_PRISM_PROXY_URL/_KEY).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${OPSGENIE_TEST_TOOLS:-$ROOT/target/test-tools}
SPEC=${OPSGENIE_SPEC:-$ROOT/../shared/reference/opsgenie-oas/swagger.consumes-json.json}
SCIM_REF=${OPSGENIE_SCIM_REF:-$ROOT/../shared/reference/scim-atlassian}
mkdir -p "$TOOLS"

# --- install (idempotent) ---------------------------------------------------
PRISM="$TOOLS/prism/node_modules/.bin/prism"
if [ ! -x "$PRISM" ]; then
  echo "installing @stoplight/prism-cli@5.14.2 into $TOOLS/prism" >&2
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/prism" @stoplight/prism-cli@5.14.2 >&2
fi
SCIM="$TOOLS/scim-venv/bin/scim2-server"
if [ ! -x "$SCIM" ]; then
  echo "installing scim2-server==0.8.3 into $TOOLS/scim-venv" >&2
  python3 -m venv "$TOOLS/scim-venv"
  "$TOOLS/scim-venv/bin/pip" install --quiet --disable-pip-version-check scim2-server==0.8.3 >&2
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # port name
  for _ in $(seq 1 600); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(0 if s.connect_ex(('127.0.0.1',$1))==0 else 1)"; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not start on port $1" >&2; return 1
}

PIDS=()
LOGDIR="$ROOT/target/test-logs"; mkdir -p "$LOGDIR"
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# --- start servers ----------------------------------------------------------
PRISM_PORT=$(free_port)
"$PRISM" mock "$SPEC" --host 127.0.0.1 --port "$PRISM_PORT" --errors false >"$LOGDIR/prism-mock.log" 2>&1 &
PIDS+=($!)
SCIM_PORT=$(free_port)
SCIM_TOKEN=test-token-$RANDOM$RANDOM
"$SCIM" --hostname 127.0.0.1 --port "$SCIM_PORT" --bearer-token "$SCIM_TOKEN" --dynamic-tenants \
  --schema "$SCIM_REF/schemas.json" --resource-type "$SCIM_REF/resource-types.json" >"$LOGDIR/scim2-server.log" 2>&1 &
PIDS+=($!)
# The simulator behind Prism in proxy mode: Prism forwards every request to
# the simulator and reports, in an `sl-violations` header, what in the request
# or in the simulator's answer disagrees with the spec.
SIM_PORT=$(free_port)
SIM_KEY=sim-key-$RANDOM$RANDOM
PROXY_PORT=$(free_port)
"$PRISM" proxy "$SPEC" "http://127.0.0.1:$SIM_PORT" --host 127.0.0.1 --port "$PROXY_PORT" --errors false >"$LOGDIR/prism-proxy.log" 2>&1 &
PIDS+=($!)
# Same profile and features as `cargo test --all-features` below: one build.
cargo build --all-features --example sim_server
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
"$TARGET_DIR/debug/examples/sim_server" --port "$SIM_PORT" --api-key "$SIM_KEY" \
  --users 30 --teams 2 --schedules 2 >"$LOGDIR/sim.env" 2>"$LOGDIR/sim.log" &
PIDS+=($!)

wait_port "$PRISM_PORT" prism
wait_port "$SCIM_PORT" scim2-server
wait_port "$SIM_PORT" simulator
wait_port "$PROXY_PORT" prism-proxy

export OPSGENIE_PRISM_URL="http://127.0.0.1:$PRISM_PORT"
export OPSGENIE_SCIM_URL="http://127.0.0.1:$SCIM_PORT"
export OPSGENIE_SCIM_TOKEN="$SCIM_TOKEN"
export OPSGENIE_SPEC="$SPEC"
export OPSGENIE_PRISM_PROXY_URL="http://127.0.0.1:$PROXY_PORT"
export OPSGENIE_PRISM_PROXY_KEY="$SIM_KEY"

cargo test --all-features "$@"
