#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 300), two at a time, each with a 512 MB memory
# limit (decoding must stay linear in its input), and prints each one's summary.
# On the pinned toolchain: RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's unstable flags.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
./seed.sh
mkdir -p logs
run() {
  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$1" -- -max_total_time="$secs" -rss_limit_mb=512 \
    -print_final_stats=1 >"logs/$1.log" 2>&1
  echo "$1 exit $?"
}
# Build every target first, so the timed runs do not compete with the compiler.
for t in $(./targets.sh); do RUSTC_BOOTSTRAP=1 cargo fuzz build -s none "$t" >/dev/null 2>&1; done
set -- $(./targets.sh)
while [ $# -gt 0 ]; do
  run "$1" &
  [ $# -gt 1 ] && run "$2" &
  wait
  shift; [ $# -gt 0 ] && shift
done
for t in $(./targets.sh); do
  echo "== $t"; grep -E "stat::number_of_executed_units|stat::peak_rss|Done [0-9]+ runs|ERROR|panicked|SUMMARY" "logs/$t.log" | head -5
done
