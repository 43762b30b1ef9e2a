#!/usr/bin/env bash
# The fuzz targets, one per line, as Cargo.toml names them.
grep -A1 '^\[\[bin\]\]' "$(dirname "$0")/Cargo.toml" | sed -n 's/^name = "\(.*\)"/\1/p'
