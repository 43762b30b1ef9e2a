#!/usr/bin/env python3
"""Release approvals signed by eth-account, for `approve` and the trust check to match byte for byte.

eth-account signs the EIP-712 typed data of docs/manifest-format.md ("Approvals") with
sign_typed_data, for a few subjects (two chains, a long release name, a window at the u64 edge) and
the emulator's keys: the public Speculos test mnemonic at m/44'/60'/0'/0/0, /1 and /2. ECDSA is
RFC 6979, as on the Ledger, so the signatures are the device's exactly.

    python3 -m venv /tmp/ethacc && /tmp/ethacc/bin/pip install eth-account==0.13.7
    /tmp/ethacc/bin/python tests/vectors/generate_approvals.py   # writes approvals.json
"""
import json
import os

from eth_account import Account
from eth_account.messages import encode_typed_data

MNEMONIC = ("glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle "
            "enact monster seven myth punch hobby comfort wild raise skin")
PATHS = ["m/44'/60'/0'/0/0", "m/44'/60'/0'/0/1", "m/44'/60'/0'/0/2"]
SUBJECTS = [
    {"manifestHash": "0x" + bytes(range(32)).hex(), "release": "box v2", "chainId": 1,
     "notBefore": 1700000000, "expiresAt": 4000000000},
    {"manifestHash": "0x" + "ab" * 32, "release": "vault 3.1 upgrade, council approved", "chainId": 11155111,
     "notBefore": 0, "expiresAt": 2**64 - 1},
    {"manifestHash": "0x" + "00" * 31 + "01", "release": "r" * 200, "chainId": 31337,
     "notBefore": 1764547200, "expiresAt": 1764633600},
]
TYPES = {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                     {"name": "chainId", "type": "uint256"}],
    "ReleaseApproval": [{"name": "manifestHash", "type": "bytes32"}, {"name": "release", "type": "string"},
                        {"name": "chainId", "type": "uint256"}, {"name": "notBefore", "type": "uint64"},
                        {"name": "expiresAt", "type": "uint64"}],
}

Account.enable_unaudited_hdwallet_features()
vectors = []
for subject in SUBJECTS:
    typed = {"types": TYPES, "primaryType": "ReleaseApproval",
             "domain": {"name": "bounded-signer", "version": "1", "chainId": subject["chainId"]},
             "message": subject}
    signable = encode_typed_data(full_message=typed)
    for path in PATHS:
        account = Account.from_mnemonic(MNEMONIC, account_path=path)
        signed = Account.sign_message(signable, account.key)
        sig = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
        vectors.append({
            "subject": subject, "path": path, "approver": account.address,
            "domain_separator": "0x" + signable.header.hex(), "message_hash": "0x" + signable.body.hex(),
            "signing_hash": "0x" + signed.message_hash.hex(),
            "signature_bytes": "0x" + sig.hex(),
        })

out = {"source": "eth-account 0.13.7 sign_typed_data (generate_approvals.py)", "vectors": vectors}
with open(os.path.join(os.path.dirname(__file__), "approvals.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
