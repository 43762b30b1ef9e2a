#!/usr/bin/env python3
"""Safe owners' signatures from eth-account, for `safe sign` to match byte for byte.

For a selection of the Safe transactions in safe_tx.json (every hashing family, two chains),
eth-account signs the typed data (sign_typed_data, EIP-712) and the safeTxHash as a personal
message (sign_message, eth_sign; the Safe takes v + 4), with the keys the emulator holds: the
public Speculos test mnemonic at m/44'/60'/0'/0/0 and /1. ECDSA here is RFC 6979, as on the
Ledger, so the signatures are the device's exactly.

    python3 -m venv /tmp/ethacc && /tmp/ethacc/bin/pip install eth-account==0.13.7
    /tmp/ethacc/bin/python tests/vectors/generate_safe_signatures.py   # writes safe_signatures.json
"""
import json
import os

from eth_account import Account
from eth_account.messages import encode_defunct

MNEMONIC = ("glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle "
            "enact monster seven myth punch hobby comfort wild raise skin")
PATHS = ["m/44'/60'/0'/0/0", "m/44'/60'/0'/0/1"]
NAMES = ["call_1.4.1_1", "call_1.5.0_11155111", "call_1.3.0_1", "call_1.2.0_1", "call_1.1.1_11155111",
         "call_1.0.0_1", "call_0.1.0_1"]

here = os.path.dirname(__file__)
with open(os.path.join(here, "safe_tx.json")) as f:
    by_name = {v["name"]: v for v in json.load(f)["vectors"]}

Account.enable_unaudited_hdwallet_features()
accounts = [Account.from_mnemonic(MNEMONIC, account_path=p) for p in PATHS]

def entry(v, path, account, scheme, signed, v_offset):
    safe_v = signed.v + v_offset
    sig = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([safe_v])
    return {"name": v["name"], "path": path, "signer": account.address, "scheme": scheme,
            "safe_tx_hash": v["safe_tx_hash"],
            "r": "0x" + signed.r.to_bytes(32, "big").hex(), "s": "0x" + signed.s.to_bytes(32, "big").hex(),
            "v": str(safe_v), "signature_bytes": "0x" + sig.hex()}

vectors = []
for name in NAMES:
    v = by_name[name]
    for path, account in zip(PATHS, accounts):
        typed = account.sign_typed_data(full_message=v["typed_data"])
        # eth-account recomputes the digest itself: it must be the safeTxHash of the vectors.
        assert "0x" + typed.message_hash.hex().removeprefix("0x") == v["safe_tx_hash"], name
        vectors.append(entry(v, path, account, "eip712", typed, 0))
        if v["safeVersion"] not in ("0.1.0", "1.0.0"):
            message = encode_defunct(hexstr=v["safe_tx_hash"])
            vectors.append(entry(v, path, account, "eth_sign", account.sign_message(message), 4))

out = os.path.join(here, "safe_signatures.json")
with open(out, "w") as f:
    json.dump({"generator": "eth-account 0.13.7 sign_typed_data / sign_message", "vectors": vectors}, f, indent=1)
    f.write("\n")
print(f"{len(vectors)} signatures -> {out}")
