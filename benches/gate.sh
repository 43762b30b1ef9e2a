#!/usr/bin/env bash
# The simulation gate, whole process: `bounded-signer check --witness` of a Safe -> Timelock ->
# ProxyAdmin execute (every proof verified, the revm replay, the gate) against `cast call --trace`
# of the same transaction on anvil, alternating, in one run (tests/e2e/bench_gate.cjs). Needs the
# npm packages of tests/e2e (installed here). The per-slot cost of proof verification is
# `cargo bench --bench witness`.
#   benches/gate.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo build --quiet -p bounded-signer-witness
(cd tests/e2e && { npm ci --silent --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund; })
RUNS=${1:-30} BS=target/release/bounded-signer BS_WITNESS=target/debug/bounded-signer-witness node tests/e2e/bench_gate.cjs
