#!/usr/bin/env bash
# The end-to-end runs on a real local chain: a whole Safe release (release.cjs) and the
# simulation gate with the online collector (gate.cjs). anvil, cast, OpenZeppelin 5 and Safe 1.4.1
# artifacts from npm (package-lock.json), the release build of the tool and its emulator, the
# collector's build. Everything runs on loopback and stops with the script.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund
(cd ../.. && cargo build --release --quiet && cargo build --quiet -p bounded-signer-witness)
BS=../../target/release/bounded-signer node release.cjs
BS=../../target/release/bounded-signer BS_WITNESS=../../target/debug/bounded-signer-witness node gate.cjs
