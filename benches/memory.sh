#!/usr/bin/env bash
# Whole-process peak memory of check and sign on the largest inputs (see benches/memory.py).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
python3 benches/memory.py target/release/bounded-signer
