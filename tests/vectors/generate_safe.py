#!/usr/bin/env python3
"""Safe transaction hash vectors from safe-eth-py, for every Safe version and two chains.

safe-eth-py's SafeTx builds the EIP-712 payload per version (dataGas before 1.0.0, chain id in
the domain from 1.3.0) and hashes it with its own eip712_encode; tests/js/safe_tx.cjs then adds ethers 6's TypedDataEncoder hashes of the same payloads, so two independent libraries
stand behind each expected hash.

    python3 -m venv /tmp/safepy && /tmp/safepy/bin/pip install safe-eth-py==7.27.0
    /tmp/safepy/bin/python tests/vectors/generate_safe.py     # writes tests/vectors/safe_tx.json
    (cd tests/js && node safe_tx.cjs --write)                 # adds the ethers hashes
"""
import json
import os

from safe_eth.safe.safe_tx import SafeTx
from safe_eth.eth.utils import fast_keccak
from eth_abi import encode

VERSIONS = ["0.1.0", "1.0.0", "1.1.0", "1.1.1", "1.2.0", "1.3.0", "1.4.1", "1.5.0"]
CHAINS = [1, 11155111]
SAFE = "0x5aFE3855358E112B5647B952709E6165e1c1eEEe"
ZERO = "0x0000000000000000000000000000000000000000"

def selector(sig):
    return fast_keccak(sig.encode())[:4]

# The example release's upgrade, scheduled on a Timelock: a plain call.
upgrade = selector("upgradeAndCall(address,address,bytes)") + encode(
    ["address", "address", "bytes"],
    ["0x78a3FB06880667Fd263A4493FA66e173008c6C68", "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A", b""],
)
TXS = [
    dict(name="call", to="0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A", value=0, data=upgrade,
         operation=0, safe_tx_gas=0, base_gas=0, gas_price=0, gas_token=ZERO, refund_receiver=ZERO,
         nonce=0),
    # A delegatecall with a refund in a token to a named receiver, and value: every field set.
    dict(name="refund_delegatecall", to="0x40A2aCCbd92BCA938b02010E17A5b8929b49130D", value=12345,
         data=bytes.fromhex("8d80ff0a") + encode(["bytes"], [b"\x00" * 85]), operation=1,
         safe_tx_gas=100000, base_gas=21000, gas_price=10**9,
         gas_token="0x6B175474E89094C44Da98b954EedeAC495271d0F",
         refund_receiver="0x000000000000000000000000000000000000dEaD", nonce=42),
]

vectors = []
for version in VERSIONS:
    for chain_id in CHAINS:
        for t in TXS:
            tx = SafeTx(None, SAFE, t["to"], t["value"], t["data"], t["operation"], t["safe_tx_gas"],
                        t["base_gas"], t["gas_price"], t["gas_token"], t["refund_receiver"],
                        safe_nonce=t["nonce"], safe_version=version, chain_id=chain_id)
            preimage = tx.safe_tx_hash_preimage
            typed = json.loads(json.dumps(tx.eip712_structured_data, default=lambda b: "0x" + b.hex()))
            # safe-eth-py's message also carries "dataGas" beside "baseGas"; the typed data kept
            # here holds exactly the type's fields, as a wallet's eth_signTypedData_v4 payload does.
            fields = {f["name"] for f in typed["types"]["SafeTx"]}
            typed["message"] = {k: v for k, v in typed["message"].items() if k in fields}
            vectors.append({
                "name": f"{t['name']}_{version}_{chain_id}",
                "safe": SAFE, "chainId": chain_id, "safeVersion": version,
                "to": t["to"], "value": str(t["value"]), "data": "0x" + t["data"].hex(),
                "operation": t["operation"], "safeTxGas": str(t["safe_tx_gas"]),
                "baseGas": str(t["base_gas"]), "gasPrice": str(t["gas_price"]),
                "gasToken": t["gas_token"], "refundReceiver": t["refund_receiver"],
                "nonce": str(t["nonce"]),
                "domain_separator": "0x" + preimage[2:34].hex(),
                "message_hash": "0x" + preimage[34:66].hex(),
                "safe_tx_hash": "0x" + tx.safe_tx_hash.hex().removeprefix("0x"),
                "typed_data": typed,
            })

# Transaction Builder batch files, and the Safe transaction Safe{Wallet} makes of each: one entry
# is a direct call; several are a delegatecall of multiSend(bytes) on the version's
# MultiSendCallOnly over the entries packed by safe-eth-py's MultiSendTx (Safe's own encoding).
# Entries given as contractMethod + contractInputsValues are encoded here by eth-abi.
from safe_eth.safe.multi_send import MultiSendOperation, MultiSendTx

MULTI_SEND_CALL_ONLY = {"1.3.0": "0x40A2aCCbd92BCA938b02010E17A5b8929b49130D",
                        "1.4.1": "0x9641d764fc13c8B624c04430C7356C1C7C8102e2"}
TOKEN = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
SPENDER = "0x474e5Ded6b5D078163BFB8F6dBa355C3aA5478C8"
approve = {"to": TOKEN, "value": "0", "data": None,
           "contractMethod": {"inputs": [{"internalType": "address", "name": "spender", "type": "address"},
                                         {"internalType": "uint256", "name": "value", "type": "uint256"}],
                              "name": "approve", "payable": False},
           "contractInputsValues": {"spender": SPENDER, "value": "100000000000"}}
approve_data = selector("approve(address,uint256)") + encode(["address", "uint256"], [SPENDER, 100000000000])
raw = {"to": "0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A", "value": "7", "data": "0x" + upgrade.hex(),
       "contractMethod": None, "contractInputsValues": None}
configure = {"to": TOKEN, "value": "0", "data": None,
             "contractMethod": {"inputs": [
                 {"internalType": "address[]", "name": "targets", "type": "address[]"},
                 {"internalType": "struct Cfg", "name": "cfg", "type": "tuple",
                  "components": [{"internalType": "uint256", "name": "limit", "type": "uint256"},
                                 {"internalType": "bool", "name": "on", "type": "bool"}]}],
                 "name": "configure", "payable": False},
             "contractInputsValues": {"targets": json.dumps([SPENDER, TOKEN]), "cfg": json.dumps(["5", True])}}
configure_data = selector("configure(address[],(uint256,bool))") + encode(
    ["address[]", "(uint256,bool)"], [[SPENDER, TOKEN], (5, True)])

def batch(chain_id, entries):
    return {"version": "1.0", "chainId": str(chain_id), "createdAt": 1764633600000,
            "meta": {"name": "Transactions Batch", "description": "", "txBuilderVersion": "1.18.2",
                     "createdFromSafeAddress": SAFE, "createdFromOwnerAddress": "", "checksum": "0x" + "00" * 32},
            "transactions": entries}

builder = []
for name, version, chain_id, entries, datas in [
    ("two_entries_1.4.1", "1.4.1", 1, [raw, approve], [upgrade, approve_data]),
    ("two_entries_1.3.0", "1.3.0", 11155111, [approve, raw], [approve_data, upgrade]),
    ("one_entry_tuple_and_array", "1.4.1", 1, [configure], [configure_data]),
]:
    values = [int(e["value"]) for e in entries]
    if len(entries) == 1:
        to, value, data, operation = entries[0]["to"], values[0], datas[0], 0
    else:
        packed = b"".join(MultiSendTx(MultiSendOperation.CALL, e["to"], v, d).encoded_data
                          for e, v, d in zip(entries, values, datas))
        to, value, data, operation = MULTI_SEND_CALL_ONLY[version], 0, selector("multiSend(bytes)") + encode(["bytes"], [packed]), 1
    nonce = 9
    tx = SafeTx(None, SAFE, to, value, data, operation, 0, 0, 0, ZERO, ZERO,
                safe_nonce=nonce, safe_version=version, chain_id=chain_id)
    builder.append({"name": name, "safeVersion": version, "nonce": str(nonce), "batch": batch(chain_id, entries),
                    "to": to, "value": str(value), "data": "0x" + data.hex(), "operation": operation,
                    "safe_tx_hash": "0x" + tx.safe_tx_hash.hex().removeprefix("0x")})

out = os.path.join(os.path.dirname(__file__), "safe_tx.json")
with open(out, "w") as f:
    json.dump({"generator": "safe-eth-py 7.27.0 SafeTx", "vectors": vectors, "builder": builder}, f, indent=1)
    f.write("\n")
print(f"{len(vectors)} vectors -> {out}")
