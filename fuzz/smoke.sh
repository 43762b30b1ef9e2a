#!/usr/bin/env bash
# A short run of every fuzz target (CI): SECONDS each, default 20, with the same memory limit as
# the long runs. cargo-fuzz needs unstable compiler flags; RUSTC_BOOTSTRAP=1 lets the pinned
# stable toolchain take them (no nightly is installed anywhere), with no sanitizer (-s none).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
./seed.sh
for t in $(./targets.sh); do
  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$t" -- -max_total_time="$secs" -rss_limit_mb=512 \
    >"/tmp/fuzz-smoke-$t.log" 2>&1 || true
  grep -E "Done [0-9]+ runs|ERROR|SUMMARY" "/tmp/fuzz-smoke-$t.log" | sed "s/^/$t: /" || true
  # A crash, leak, timeout or out-of-memory leaves an artifact; check explicitly so a grep
  # cannot hide it, and a target that never ran is a failure too.
  if ls "artifacts/$t"/crash-* "artifacts/$t"/leak-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-* 2>/dev/null | grep -q .; then
    echo "fuzz smoke: $t found a failing input:" >&2; ls "artifacts/$t" >&2; tail -30 "/tmp/fuzz-smoke-$t.log" >&2; exit 1
  fi
  grep -qE "Done [0-9]+ runs" "/tmp/fuzz-smoke-$t.log" || { echo "fuzz smoke: $t did not run" >&2; tail -30 "/tmp/fuzz-smoke-$t.log" >&2; exit 1; }
done
echo "fuzz smoke: no crashes"
