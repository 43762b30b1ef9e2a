#!/usr/bin/env bash
# A short run of every fuzz target (CI): SECONDS each, default 20. Skips, saying so, where no
# nightly toolchain is installed (fuzzing needs it; nothing else does).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz smoke: skipped (no nightly toolchain on this machine)"
  exit 0
fi
command -v cargo-fuzz >/dev/null || cargo +nightly install cargo-fuzz --locked --quiet
./seed.sh
for t in tx_decode manifest_decode calldata_tree tx_differential; do
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" 2>&1 | grep -E "Done [0-9]+ runs|ERROR|SUMMARY" || true
  # A crash leaves an artifact and a non-zero exit above; check explicitly so grep cannot hide it.
  if ls "artifacts/$t"/crash-* "artifacts/$t"/leak-* "artifacts/$t"/timeout-* 2>/dev/null | grep -q .; then
    echo "fuzz smoke: $t found a failing input:" >&2; ls "artifacts/$t" >&2; exit 1
  fi
done
echo "fuzz smoke: no crashes"
