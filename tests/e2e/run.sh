#!/usr/bin/env bash
# The whole release on a real local chain (tests/e2e/release.cjs): anvil, cast, OpenZeppelin 5
# and Safe 1.4.1 artifacts from npm (package-lock.json), the release build of the tool and its
# emulator. Everything runs on loopback and stops with the script.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund
(cd ../.. && cargo build --release --quiet)
BS=../../target/release/bounded-signer node release.cjs
