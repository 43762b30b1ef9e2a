#!/usr/bin/env python3
"""Prints a manifest's CBOR with one item per line: offset, bytes, meaning (schema key names).
Used to produce the annotated example in docs/manifest-format.md:
    bounded-signer manifest build docs/example-small.toml -o /tmp/m.cbor && python3 docs/annotate-cbor.py /tmp/m.cbor
"""
import sys

TOP = ["format", "release", "chain_id", "executor", "not_before", "expires_at", "allowed_targets",
       "labels", "rollback", "actions", "safes"]
ACTION = ["name", "kind", "to", "value", "data", "nonce", "gas_limit_max", "max_fee_per_gas_max",
          "max_priority_fee_per_gas_max", "authorizations"]
ROLLBACK = ["manifest_hash", "note"]
MAJOR = ["uint", "negint", "bytes", "text", "array", "map", "tag", "simple"]


def head(b, i):
    ib = b[i]
    major, minor = ib >> 5, ib & 31
    n = {24: 1, 25: 2, 26: 4, 27: 8}.get(minor, 0)
    val = minor if minor < 24 else int.from_bytes(b[i + 1:i + 1 + n], "big")
    return major, val, i + 1 + n


def line(b, start, end, depth, text):
    raw = b[start:end].hex()
    if len(raw) > 48:
        raw = raw[:44] + "…"
    print(f"{start:5d}  {raw:<48} {'  ' * depth}{text}")


def item(b, i, depth, keys=None, label=""):
    major, val, j = head(b, i)
    if major == 0:
        line(b, i, j, depth, f"{label}uint {val}")
        return j
    if major in (2, 3):
        body = b[j:j + val]
        shown = body.decode() if major == 3 else "0x" + body.hex()
        if len(shown) > 70:
            shown = shown[:66] + "…"
        line(b, i, j + val, depth, f"{label}{MAJOR[major]}({val}) {shown!s}")
        return j + val
    if major == 4:
        line(b, i, j, depth, f"{label}array({val})")
        for _ in range(val):
            sub = ACTION if keys == "actions" else None
            j = item(b, j, depth + 1, sub)
        return j
    if major == 5:
        line(b, i, j, depth, f"{label}map({val})")
        for _ in range(val):
            km, kv, kj = head(b, j)
            if km == 0 and isinstance(keys, list) and kv < len(keys):
                name = keys[kv]
                line(b, j, kj, depth + 1, f"key {kv} = {name}")
                sub = {"rollback": ROLLBACK, "actions": "actions"}.get(name)
                j = item(b, kj, depth + 2, sub)
            else:
                j = item(b, j, depth + 1, None, "key ")
                j = item(b, j, depth + 2)
        return j
    if major == 6:
        line(b, i, j, depth, f"{label}tag {val}")
        return item(b, j, depth + 1)
    line(b, i, j, depth, f"{label}{'null' if val == 22 else 'simple ' + str(val)}")
    return j


data = open(sys.argv[1], "rb").read()
print(f"{'offset':>5}  {'bytes':<48} meaning")
end = item(data, 0, 0, TOP)
assert end == len(data)
