#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 300), two at a time, and prints each one's summary.
# Needs the nightly toolchain and cargo-fuzz: cargo +nightly install cargo-fuzz
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
./seed.sh
mkdir -p logs
run() { cargo +nightly fuzz run "$1" -- -max_total_time="$secs" -print_final_stats=1 >"logs/$1.log" 2>&1; echo "$1 exit $?"; }
run tx_decode & run manifest_decode & wait
run calldata_tree & run tx_differential & wait
for t in tx_decode manifest_decode calldata_tree tx_differential; do
  echo "== $t"; grep -E "stat::number_of_executed_units|stat::peak_rss|Done [0-9]+ runs|ERROR|panicked|SUMMARY" "logs/$t.log" | head -5
done
