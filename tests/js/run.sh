#!/usr/bin/env bash
# Ledger's JS client against `bounded-signer emulator` (a real-client acceptance check).
# Installs the npm packages from package-lock.json, starts the emulator on free ports, runs
# check.cjs, and stops the emulator.
set -euo pipefail
cd "$(dirname "$0")"
# node-hid builds from source (its prebuilt binaries come from GitHub, not npm): against the
# installed Node's headers, which node-gyp would otherwise download.
[ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr
npm ci --silent --no-audit --no-fund >/dev/null
bin=../../target/debug/bounded-signer
[ -x "$bin" ] || (cd ../.. && cargo build --quiet)
out=$(mktemp)
"$bin" emulator --apdu-port 0 --api-port 0 >"$out" &
emu=$!
trap 'kill $emu 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
port=$(sed -n 's/^apdu=127.0.0.1:\([0-9]*\) .*/\1/p' "$out")
[ -n "$port" ] || { echo "ledgerjs check: the emulator did not start" >&2; exit 1; }
node check.cjs "$port"
node forms.cjs
node safe_tx.cjs
node ur.cjs "$bin"
node hdkey.cjs "$bin" "$port"
node sign_request.cjs "$bin" "$port"
