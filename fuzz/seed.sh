#!/usr/bin/env bash
# Seeds the fuzz corpora from the known-answer vectors and the example manifests.
# Usage: fuzz/seed.sh   (then: cargo +nightly fuzz run TARGET -- -max_total_time=300)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
b=target/debug/bounded-signer
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$b manifest build examples/box-v2-upgrade.toml -o "$tmp/ex.cbor" >/dev/null
$b manifest build docs/example-small.toml -o "$tmp/small.cbor" >/dev/null
$b manifest build docs/example-safe.toml -o "$tmp/safe.cbor" >/dev/null 2>&1
$b bundle create --manifest "$tmp/ex.cbor" --proposal examples/proposal-schedule.json -o "$tmp/ex.bundle" >/dev/null
$b airgap send "$tmp/ex.bundle" --fragment-len 60 --frames 12 > "$tmp/ex.parts"
$b airgap send docs/example-small.toml --frames 3 > "$tmp/small.parts"
python3 - "$tmp" <<'PY'
import json, os, hashlib, sys
root = "fuzz/corpus"
def put(target, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    open(os.path.join(root, target, hashlib.sha1(data).hexdigest()), "wb").write(data)
for v in json.load(open("tests/vectors/transactions.json"))["vectors"]:
    for k in ("unsigned_payload", "signed_raw"):
        if k in v:
            put("tx_decode", bytes.fromhex(v[k][2:])); put("tx_differential", bytes.fromhex(v[k][2:]))
for v in json.load(open("tests/vectors/calldata.json"))["vectors"]:
    put("calldata_tree", bytes.fromhex(v["calldata"][2:]))
# An executeBatch whose payload offsets all share one tail, nested: the N^depth blow-up shape.
def w(v): return v.to_bytes(32, "big")
def aliased(n, inner):
    out = bytes.fromhex("e38335e5")
    t = 5 * 32; v = t + 32 + 32 * n; p = v + 32 + 32 * n
    out += w(t) + w(v) + w(p) + w(0) + w(0)
    out += w(n) + w(0xa1) * n + w(n) + w(0) * n + w(n) + w(32 * n) * n + w(len(inner)) + inner
    return out + bytes((-(len(out) - 4)) % 32)
inner = bytes.fromhex("3659cfe6") + w(0xb2)
for _ in range(3):
    inner = aliased(8, inner)
put("calldata_tree", inner)
for f in ("ex.cbor", "small.cbor", "safe.cbor"):
    put("manifest_decode", open(os.path.join(sys.argv[1], f), "rb").read())
# uhid_device: START, OPEN, then APDUs as hidapi writes them (report id 0, then a 64-byte
# report: channel, tag 5, sequence, and in the first report the APDU's length).
def uhid_apdu(apdu, channel=0x0101):
    out, seq, rest = b"", 0, len(apdu).to_bytes(2, "big") + apdu
    while True:
        chunk, rest = rest[:59], rest[59:]
        report = channel.to_bytes(2, "big") + b"\x05" + seq.to_bytes(2, "big") + chunk
        out += b"\x04" + b"\x00" + report.ljust(64, b"\x00")
        seq += 1
        if not rest:
            return out
start_open = b"\x00" + bytes(65) + b"\x02" + bytes(65)
path = bytes.fromhex("058000002c8000003c800000000000000000000000")
put("uhid_device", start_open + uhid_apdu(bytes.fromhex("e006000000")))
put("uhid_device", start_open + uhid_apdu(bytes.fromhex("e002000015") + path))
payload = bytes.fromhex(json.load(open("tests/vectors/transactions.json"))["vectors"][0]["unsigned_payload"][2:])
put("uhid_device", start_open + uhid_apdu(bytes.fromhex("e0040000") + bytes([len(path) + len(payload)]) + path + payload))
# The real app's EIP-712 full-mode exchange (definitions, values, signature), as one session.
full = json.load(open("tests/vectors/eip712_full_release_approval.json"))["cases"][2]["exchanges"]
put("uhid_device", start_open + b"".join(uhid_apdu(bytes.fromhex(x["command"])) for x in full))
# bundle_decode: a bundle of the example manifest with one proposal (written by the tool above).
put("bundle_decode", open(os.path.join(sys.argv[1], "ex.bundle"), "rb").read())
# ur_receive: parts of the example bundle and of a small file, as airgap send prints them.
for f in ("ex.parts", "small.parts"):
    put("ur_receive", open(os.path.join(sys.argv[1], f), "rb").read())
# approval_file: the files of eth-account's approvals.
for v in json.load(open("tests/vectors/approvals.json"))["vectors"]:
    h, a, sig = bytes.fromhex(v["subject"]["manifestHash"][2:]), bytes.fromhex(v["approver"][2:]), bytes.fromhex(v["signature_bytes"][2:])
    fmt = b"bounded-signer/approval/v1"
    put("approval_file", b"\xa5\x00" + bytes([0x78, len(fmt)]) + fmt + b"\x01\x58\x20" + h + b"\x02\x54" + a
        + b"\x03\x58\x41" + sig + b"\x04\x64full")
# safe_tx_json: each vector's plain object, typed data and service object, behind a flag byte.
for v in json.load(open("tests/vectors/safe_tx.json"))["vectors"]:
    fields = ["to", "value", "data", "operation", "safeTxGas", "baseGas", "gasPrice", "gasToken", "refundReceiver", "nonce"]
    plain = {k: v[k] for k in ["safe", "chainId", "safeVersion"] + fields}
    service = {k: v[k] for k in ["safe"] + fields}
    service["safeTxHash"] = v["safe_tx_hash"]
    version = ["0.1.0", "1.0.0", "1.1.0", "1.1.1", "1.2.0", "1.3.0", "1.4.1", "1.5.0"].index(v["safeVersion"])
    put("safe_tx_json", bytes([0]) + json.dumps(plain).encode())
    put("safe_tx_json", bytes([0x18 | version]) + json.dumps(v["typed_data"]).encode())
    put("safe_tx_json", bytes([0x18 | version]) + json.dumps(service).encode())
for b in json.load(open("tests/vectors/safe_tx.json"))["builder"]:
    put("safe_tx_json", bytes([0x38 | 6]) + json.dumps(b["batch"]).encode())
# witness_decode, proof_verify: a witness of a real anvil's proofs (simulator/tests/proofs.rs).
# containment_decode: a record as verify-execution writes it.
put("containment_decode", bytes.fromhex(
    "a700781d626f756e6465642d7369676e65722f636f6e7461696e6d656e742f76310158200101010101010101010101010101010101010101010101010101010101010101"
    "0258200202020202020202020202020202020202020202020202020202020202020202035820030303030303030303030303030303030303030303030303030303030303030304"
    "5820040404040404040404040404040404040404040404040404040404040404040405182a061a6b14bc85"))
# And a post-execution witness with its block's transactions and receipts (anvil-after).
for t in ("witness_decode", "proof_verify"):
    for f in ("anvil.witness", "anvil-after.witness"):
        put(t, open("simulator/tests/fixtures/" + f, "rb").read())
# safe_signatures: eth-account's owner signatures, a threshold byte, then the blob, with an
# approved-hash entry and a contract signature with its dynamic part.
sigs = [bytes.fromhex(s["signature_bytes"][2:]) for s in json.load(open("tests/vectors/safe_signatures.json"))["vectors"]]
put("safe_signatures", bytes([2]) + sigs[0] + sigs[2])
put("safe_signatures", bytes([3]) + sigs[1] + sigs[3] + bytes(11) + bytes(20) + w(0) + b"\x01")
put("safe_signatures", bytes([1]) + bytes(12) + bytes(20) + w(65) + b"\x00" + w(3) + b"abc")
PY
