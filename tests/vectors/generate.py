#!/usr/bin/env python3
"""Known-answer vectors from libraries independent of this project.

Transactions: signed by eth-account 0.14 (sign_transaction, sign_authorization) with the public
Speculos test key m/44'/60'/0'/0/0; unsigned signing payloads serialised by eth-account's own RLP
serializers (pyrlp); signing hashes from eth-account's TypedTransaction.hash() / legacy hash.
Calldata: eth-abi 6 (encode) + eth-utils keccak (selectors, Timelock operation ids).
Manifest: cbor2 5 (dumps(canonical=True), RFC 8949 deterministic) of docs/example-small.toml,
built from the schema in docs/manifest-format.md.

    pip install eth-account==0.14.0 eth-abi==6.0.0 cbor2
    python3 tests/vectors/generate.py     # rewrites tests/vectors/*.json

Never hold value with the test key.
"""
import json
import os

import rlp
from eth_abi import encode
from eth_account import Account
from eth_account._utils.legacy_transactions import (
    serializable_unsigned_transaction_from_dict,
    Transaction,
    chain_id_to_v,
    LEGACY_TRANSACTION_FORMATTERS,
    TRANSACTION_DEFAULTS,
)
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_account._utils.transaction_utils import transaction_rpc_to_rlp_structure
from eth_utils import keccak, to_checksum_address
from toolz import dissoc, merge, pipe
from functools import partial
from eth_utils.curried import apply_formatters_to_dict

Account.enable_unaudited_hdwallet_features()
MNEMONIC = ("glory promote mansion idle axis finger extra february uncover one trip resource "
            "lawn turtle enact monster seven myth punch hobby comfort wild raise skin")
ACCT = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
assert ACCT.address == "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"

HERE = os.path.dirname(os.path.abspath(__file__))


def sel(signature):
    return keccak(text=signature)[:4]


def call(signature, types, values):
    return sel(signature) + encode(types, values)


def unsigned_payload(tx):
    """The exact bytes a Ledger signs, serialised by eth-account's own serializers."""
    t = serializable_unsigned_transaction_from_dict(tx)
    if isinstance(t, TypedTransaction):
        inner = t.transaction
        fields = dissoc(inner.dictionary, "v", "r", "s")
        structured = transaction_rpc_to_rlp_structure(fields)
        body = rlp.encode(inner.__class__._unsigned_transaction_serializer.from_dict(structured))
        payload = bytes([inner.__class__.transaction_type]) + body
    else:
        payload = rlp.encode(t)
        if "chainId" in tx:
            # EIP-155: the signing payload is [.., chainId, 0, 0]
            filled = pipe(tx, dict, partial(merge, TRANSACTION_DEFAULTS), chain_id_to_v,
                          apply_formatters_to_dict(LEGACY_TRANSACTION_FORMATTERS))
            payload = rlp.encode(Transaction.from_dict({**filled, "r": 0, "s": 0}))
    assert keccak(payload) == t.hash(), "payload does not hash to eth-account's signing hash"
    return payload


UPGRADE_TO_AND_CALL = call("upgradeToAndCall(address,bytes)", ["address", "bytes"],
                           ["0x00000000000000000000000000000000000000b2", call("initialize(uint256)", ["uint256"], [42])])
BASE = {
    "nonce": 7,
    "gas": 500000,
    "to": "0x00000000000000000000000000000000000000A1",
    "value": 0,
    "data": "0x" + UPGRADE_TO_AND_CALL.hex(),
}
AUTH = ACCT.sign_authorization({"chainId": 1, "address": "0x00000000000000000000000000000000000000c3", "nonce": 8})


def tx_vectors():
    cases = [
        ("legacy_eip155_chain1", {**BASE, "gasPrice": 20 * 10**9, "chainId": 1}),
        ("legacy_eip155_chain137", {**BASE, "gasPrice": 30 * 10**9, "chainId": 137}),
        ("legacy_eip155_chain11155111", {**BASE, "gasPrice": 1, "chainId": 11155111}),
        ("legacy_pre155", {**BASE, "gasPrice": 20 * 10**9}),
        ("eip2930", {**BASE, "type": 1, "gasPrice": 20 * 10**9, "chainId": 1,
                     "accessList": [{"address": "0x00000000000000000000000000000000000000A1",
                                     "storageKeys": ["0x" + "00" * 31 + "01"]}]}),
        ("eip1559", {**BASE, "type": 2, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
                     "chainId": 1, "accessList": []}),
        ("eip1559_transfer", {"type": 2, "nonce": 0, "gas": 21000, "maxFeePerGas": 20 * 10**9,
                              "maxPriorityFeePerGas": 10**9, "chainId": 1,
                              "to": "0x000000000000000000000000000000000000dEaD", "value": 10**16, "data": "0x"}),
        ("eip7702", {**BASE, "type": 4, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
                     "chainId": 1, "accessList": [], "authorizationList": [AUTH]}),
    ]
    out = []
    for name, tx in cases:
        payload = unsigned_payload(tx)
        signed = ACCT.sign_transaction(tx)
        out.append({
            "name": name,
            "unsigned_payload": "0x" + payload.hex(),
            "signing_hash": "0x" + keccak(payload).hex(),
            "signed_raw": "0x" + bytes(signed.raw_transaction).hex(),
            "tx_hash": "0x" + bytes(signed.hash).hex(),
            "sender": ACCT.address,
            "r": "0x%064x" % signed.r, "s": "0x%064x" % signed.s, "v": str(signed.v),
        })
    # A blob transaction cannot be signed without blobs by eth-account; its unsigned payload and
    # hash still come from eth-account's serializer.
    blob = {**BASE, "type": 3, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9, "chainId": 1,
            "accessList": [], "maxFeePerBlobGas": 10**9, "blobVersionedHashes": ["0x01" + "ab" * 31]}
    payload = unsigned_payload(blob)
    out.append({"name": "eip4844_unsigned", "unsigned_payload": "0x" + payload.hex(),
                "signing_hash": "0x" + keccak(payload).hex()})
    return out


def calldata_vectors():
    A = lambda n: "0x%040x" % n
    w = lambda n: n.to_bytes(32, "big")
    proxy, impl, admin, timelock, safe, multisend = A(0xa1), A(0xb2), A(0xad), A(0x71), A(0x5a), A(0x40)
    init = call("initialize(uint256)", ["uint256"], [42])
    u2c = call("upgradeToAndCall(address,bytes)", ["address", "bytes"], [impl, init])
    pa_uac = call("upgradeAndCall(address,address,bytes)", ["address", "address", "bytes"], [proxy, impl, init])
    sched = call("schedule(address,uint256,bytes,bytes32,bytes32,uint256)",
                 ["address", "uint256", "bytes", "bytes32", "bytes32", "uint256"], [admin, 0, pa_uac, w(0), w(1), 172800])
    exec_ = call("execute(address,uint256,bytes,bytes32,bytes32)",
                 ["address", "uint256", "bytes", "bytes32", "bytes32"], [admin, 0, pa_uac, w(0), w(1)])
    op_id = keccak(encode(["address", "uint256", "bytes", "bytes32", "bytes32"], [admin, 0, pa_uac, w(0), w(1)]))
    targets, values, payloads = [proxy, A(0xa2)], [0, 5], [call("upgradeTo(address)", ["address"], [impl]), b""]
    sb = call("scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)",
              ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32", "uint256"], [targets, values, payloads, w(0), w(2), 3600])
    batch_id = keccak(encode(["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"], [targets, values, payloads, w(0), w(2)]))
    packed = b"".join(bytes([op]) + bytes.fromhex(to[2:]) + w(v) + w(len(d)) + d
                      for op, to, v, d in [(0, timelock, 0, sched), (0, proxy, 0, call("upgradeTo(address)", ["address"], [impl]))])
    ms = call("multiSend(bytes)", ["bytes"], [packed])
    exec_tx = call("execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
                   ["address", "uint256", "bytes", "uint8", "uint256", "uint256", "uint256", "address", "address", "bytes"],
                   [multisend, 0, ms, 1, 0, 0, 0, A(0), A(0), b"\x01" * 65])
    cases = {
        "upgradeTo": (call("upgradeTo(address)", ["address"], [impl]), proxy),
        "upgradeToAndCall": (u2c, proxy),
        "proxyadmin_upgrade_v4": (call("upgrade(address,address)", ["address", "address"], [proxy, impl]), admin),
        "proxyadmin_upgradeAndCall": (pa_uac, admin),
        "changeProxyAdmin": (call("changeProxyAdmin(address,address)", ["address", "address"], [proxy, A(0xee)]), admin),
        "transferOwnership": (call("transferOwnership(address)", ["address"], [A(0xee)]), admin),
        "timelock_schedule": (sched, timelock),
        "timelock_execute": (exec_, timelock),
        "timelock_scheduleBatch": (sb, timelock),
        "timelock_executeBatch": (call("executeBatch(address[],uint256[],bytes[],bytes32,bytes32)",
                                       ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"], [targets, values, payloads, w(0), w(2)]), timelock),
        "timelock_cancel": (call("cancel(bytes32)", ["bytes32"], [op_id]), timelock),
        "safe_execTransaction_multisend": (exec_tx, safe),
        "multiSend": (ms, multisend),
        "approveHash": (call("approveHash(bytes32)", ["bytes32"], [w(0x1234)]), safe),
    }
    out = [{"name": k, "to": to_checksum_address(to), "calldata": "0x" + v.hex(), "selector": "0x" + v[:4].hex()}
           for k, (v, to) in cases.items()]
    ids = [
        {"name": "timelock_schedule", "operation_id": "0x" + op_id.hex()},
        {"name": "timelock_execute", "operation_id": "0x" + op_id.hex()},
        {"name": "timelock_scheduleBatch", "operation_id": "0x" + batch_id.hex()},
        {"name": "timelock_executeBatch", "operation_id": "0x" + batch_id.hex()},
    ]
    return out, ids


def manifest_vector():
    import cbor2
    h = bytes.fromhex
    proxy, impl = h("00" * 19 + "a1"), h("00" * 19 + "b2")
    action = {0: "upgrade", 1: "call", 2: proxy, 3: 0, 4: h("3659cfe6" + "00" * 31 + "b2"), 5: 3, 6: None,
              7: 50000000000, 8: None, 9: []}
    manifest = {0: "bounded-signer/manifest/v1", 1: "box-v2", 2: 1, 3: h("Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"),
                4: 1795132800, 5: 1795824000, 6: [proxy, impl], 7: {proxy: "Box proxy"},
                8: {0: h("11" * 32), 1: ""}, 9: [action], 10: []}
    encoded = cbor2.dumps(manifest, canonical=True)
    return {"generator": "cbor2 %s dumps(canonical=True)" % cbor2.__version__ if hasattr(cbor2, "__version__") else "cbor2",
            "toml": "docs/example-small.toml", "cbor": "0x" + encoded.hex(), "manifest_hash": "0x" + keccak(encoded).hex()}


def main():
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest_vector(), f, indent=1)
        f.write("\n")
    calls, ids = calldata_vectors()
    docs = {
        "transactions.json": {"generator": "eth-account 0.14.0 (sign_transaction, serializers), pyrlp", "vectors": tx_vectors()},
        "calldata.json": {"generator": "eth-abi 6.0.0 encode + eth-utils keccak", "vectors": calls, "operation_ids": ids},
    }
    for name, doc in docs.items():
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
