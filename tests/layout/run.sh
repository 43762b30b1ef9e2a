#!/usr/bin/env bash
# Storage layout compatibility against @openzeppelin/upgrades-core on OpenZeppelin's own
# upgrade-safety cases, compiled by solc-js (reference.cjs). Installs the npm packages
# (package-lock.json) and builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund
(cd ../.. && cargo build --release --quiet)
BS=../../target/release/bounded-signer node reference.cjs
