//! Known-answer vectors from independent libraries (tests/vectors/generate.py: eth-account 0.14
//! for transactions, eth-abi 6 for calldata and Timelock operation ids), checked through the
//! binary's `decode --json`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

#[test]
fn unsigned_payloads_hash_like_eth_account() {
    let doc = vectors("transactions.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 9);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let out = run(&["--json", "decode", v["unsigned_payload"].as_str().unwrap()]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["signing_payload"], v["unsigned_payload"], "{name}");
        assert_eq!(doc["signing_hash"], v["signing_hash"], "{name}");
        assert_eq!(doc["tx"]["form"], "unsigned", "{name}");
    }
}

#[test]
fn signed_raw_transactions_reduce_to_the_same_payload_and_sender() {
    let doc = vectors("transactions.json");
    let mut seen = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let Some(raw) = v["signed_raw"].as_str() else { continue };
        let name = v["name"].as_str().unwrap();
        let out = run(&["--json", "decode", raw]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["signing_payload"], v["unsigned_payload"], "{name}");
        assert_eq!(doc["signing_hash"], v["signing_hash"], "{name}");
        assert_eq!(doc["tx"]["form"], "signed", "{name}");
        assert_eq!(doc["tx"]["sender"], v["sender"], "{name}");
        seen += 1;
    }
    assert_eq!(seen, 8, "every signed vector was checked");
}

#[test]
fn tx_types_and_chain_ids_are_read_right() {
    let doc = vectors("transactions.json");
    let expect = [
        ("legacy_eip155_chain137", "legacy", Some("137")),
        ("legacy_eip155_chain11155111", "legacy", Some("11155111")),
        ("legacy_pre155", "legacy", None),
        ("eip2930", "eip2930", Some("1")),
        ("eip1559", "eip1559", Some("1")),
        ("eip7702", "eip7702", Some("1")),
        ("eip4844_unsigned", "eip4844", Some("1")),
    ];
    for (name, ty, chain) in expect {
        let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap();
        let doc = json(&run(&["--json", "decode", v["unsigned_payload"].as_str().unwrap()]));
        assert_eq!(doc["tx"]["type"], ty, "{name}");
        assert_eq!(doc["tx"]["chain_id"].as_str(), chain, "{name}");
    }
}

#[test]
fn calldata_of_every_wrapper_decodes_canonically() {
    let doc = vectors("calldata.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 14);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let out = run(&[
            "--json",
            "decode",
            "--calldata",
            v["calldata"].as_str().unwrap(),
            "--to",
            v["to"].as_str().unwrap(),
        ]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let calls = &json(&out)["calls"];
        assert_eq!(calls["selector"], v["selector"], "{name}");
        assert!(calls["function"].is_string(), "{name}: known");
        assert_eq!(calls["canonical"], true, "{name}");
        assert_eq!(calls["to"], v["to"], "{name}");
    }
}

#[test]
fn timelock_operation_ids_match_eth_abi() {
    let doc = vectors("calldata.json");
    for id in doc["operation_ids"].as_array().unwrap() {
        let name = id["name"].as_str().unwrap();
        let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap();
        let out = run(&["--json", "decode", "--calldata", v["calldata"].as_str().unwrap()]);
        assert_eq!(json(&out)["calls"]["details"]["operation_id"], id["operation_id"], "{name}");
    }
}

#[test]
fn safe_multisend_timelock_proxyadmin_tree_has_every_level() {
    let doc = vectors("calldata.json");
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "safe_execTransaction_multisend")
        .unwrap();
    let out = run(&[
        "--json",
        "decode",
        "--calldata",
        v["calldata"].as_str().unwrap(),
        "--to",
        v["to"].as_str().unwrap(),
    ]);
    let root = &json(&out)["calls"];
    assert_eq!(
        root["function"],
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)"
    );
    let multisend = &root["children"][0];
    assert_eq!(multisend["operation"], "delegatecall");
    assert_eq!(multisend["function"], "multiSend(bytes)");
    assert_eq!(multisend["known_as"], serde_json::json!(["MultiSend", "MultiSendCallOnly"]));
    let schedule = &multisend["children"][0];
    assert_eq!(schedule["function"], "schedule(address,uint256,bytes,bytes32,bytes32,uint256)");
    let upgrade_and_call = &schedule["children"][0];
    assert_eq!(upgrade_and_call["function"], "upgradeAndCall(address,address,bytes)");
    let proxy = &upgrade_and_call["children"][0];
    assert_eq!(proxy["function"], "upgradeToAndCall(address,bytes)");
    assert_eq!(proxy["details"]["new_implementation"], "0x00000000000000000000000000000000000000b2");
    let init = &proxy["children"][0];
    assert_eq!(init["operation"], "delegatecall");
    assert_eq!(init["function"], serde_json::Value::Null);
    // The second MultiSend entry: a direct upgradeTo on the proxy.
    assert_eq!(multisend["children"][1]["function"], "upgradeTo(address)");
}

#[test]
fn manifest_bytes_equal_cbor2_canonical_encoding() {
    let v = vectors("manifest.json");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("small.cbor");
    let toml = root().join("docs/example-small.toml");
    let out = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out_path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ours = alloy_primitives::hex::encode_prefixed(std::fs::read(&out_path).unwrap());
    assert_eq!(ours, v["cbor"].as_str().unwrap());
    assert_eq!(json(&out)["manifest_hash"], v["manifest_hash"]);
}
