#!/usr/bin/env bash
# Whole-process wall time: `bounded-signer check` of benchmark case (a) (a Safe executing a
# Timelock schedule of a ProxyAdmin upgradeAndCall) against `cast decode-calldata` of the same
# calldata, side by side with hyperfine. Needs hyperfine (apt) and cast (npm @foundry-rs/cast).
#   CAST=/path/to/cast benches/whole-process.sh
# Use the native binary, not the npm Node.js shim (node_modules/.bin/cast adds ~100 ms of Node
# start-up): CAST=node_modules/@foundry-rs/cast-linux-amd64/bin/cast.
set -euo pipefail
cd "$(dirname "$0")/.."
cast=${CAST:-cast}
cargo build --release --quiet
b=target/release/bounded-signer
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$b manifest build examples/safe-schedule.toml -o "$tmp/m.cbor" >/dev/null
hash=$($b manifest hash "$tmp/m.cbor")
# The signing payload as a hex file, as the ceremony would receive it.
$b --json decode examples/proposal-safe-schedule.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["signing_payload"])' >"$tmp/tx.hex"
data=$(python3 -c 'import json; print(json.load(open("examples/proposal-safe-schedule.json"))["data"])')
sig='execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)'
$b check --manifest "$tmp/m.cbor" --approved-hash "$hash" --now 2026-11-21T12:00:00Z "$tmp/tx.hex" >/dev/null
hyperfine -N --warmup 20 --runs 300 --export-markdown "$tmp/result.md" \
  -n "bounded-signer check" "$b check --manifest $tmp/m.cbor --approved-hash $hash --now 2026-11-21T12:00:00Z $tmp/tx.hex" \
  -n "cast decode-calldata" "$cast decode-calldata $sig $data"
cat "$tmp/result.md"
