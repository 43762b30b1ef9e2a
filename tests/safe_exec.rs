//! The executor's path through a Safe, from the command line: an `execTransaction` whose every
//! SafeTx field is a Safe action's is approved only with the owners' signatures the Safe itself
//! would accept (here eth-account's, as `safe sign` makes them byte for byte).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use common::*;
use serde_json::{Value, json};

sol! {
    function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures);
}

/// eth-account's signature of the vector by the account at `path`, by `scheme`.
fn signature(name: &str, path: &str, scheme: &str) -> Vec<u8> {
    let doc = vectors("safe_signatures.json");
    let s = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name && s["path"] == path && s["scheme"] == scheme)
        .unwrap();
    alloy_primitives::hex::decode(s["signature_bytes"].as_str().unwrap()).unwrap()
}

/// The executor's unsigned request: execTransaction of the vector's Safe transaction.
fn exec_request(v: &Value, signatures: Vec<u8>, value: &str) -> String {
    let call = execTransactionCall {
        to: v["to"].as_str().unwrap().parse::<Address>().unwrap(),
        value: U256::ZERO,
        data: Bytes::from(alloy_primitives::hex::decode(v["data"].as_str().unwrap()).unwrap()),
        operation: 0,
        safeTxGas: U256::ZERO,
        baseGas: U256::ZERO,
        gasPrice: U256::ZERO,
        gasToken: Address::ZERO,
        refundReceiver: Address::ZERO,
        signatures: signatures.into(),
    };
    json!({
        "type": "0x2", "chainId": v["chainId"].to_string(), "nonce": "3", "to": v["safe"], "value": value,
        "gas": "300000", "maxFeePerGas": "30000000000", "maxPriorityFeePerGas": "1000000000",
        "data": format!("0x{}", alloy_primitives::hex::encode(call.abi_encode())),
    })
    .to_string()
}

#[test]
fn an_exec_transaction_is_approved_only_with_the_signatures_the_safe_accepts() {
    let doc = vectors("safe_tx.json");
    let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == "call_1.4.1_1").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let (manifest, out) = safe_release(dir.path(), &v, &[SPECULOS_0, SPECULOS_1], "");
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
    let check = |request: &str| {
        let out = check_json(&manifest, &hash, request);
        (code(&out), json(&out))
    };
    const P0: &str = "m/44'/60'/0'/0/0";
    const P1: &str = "m/44'/60'/0'/0/1";
    // Owners ascending: the account at /1 (0xd692…) before the one at /0 (0xDad7…).
    let sorted = [signature("call_1.4.1_1", P1, "eip712"), signature("call_1.4.1_1", P0, "eip712")].concat();
    let (exit, verdict) = check(&exec_request(&v, sorted.clone(), "0"));
    assert_eq!(exit, 0, "{verdict}");
    assert_eq!(verdict["action"], 0);
    let entry =
        verdict["checks"].as_array().unwrap().iter().find(|c| c["check"] == "safe_signatures").unwrap();
    let detail = entry["detail"].as_str().unwrap();
    assert!(detail.starts_with("2 of threshold 2 over safeTxHash"), "{detail}");
    assert!(detail.contains(SPECULOS_0) && detail.contains(SPECULOS_1), "{detail}");
    // The signers beside the call tree: each entry's owner, kind and standing, in blob order.
    let signers = &verdict["safe_signers"];
    assert_eq!(signers["counted"], 2, "{signers}");
    let owners: Vec<&str> =
        signers["entries"].as_array().unwrap().iter().map(|e| e["owner"].as_str().unwrap()).collect();
    assert_eq!(owners, [SPECULOS_1, SPECULOS_0]);
    assert!(signers["entries"].as_array().unwrap().iter().all(|e| e["standing"] == "counted"), "{signers}");
    let text = run(&[
        "check",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        &hash,
        &exec_request(&v, sorted.clone(), "0"),
    ]);
    let text = stdout(&text);
    let at = text.find("signers of execTransaction (2 of threshold 2 count)").expect(&text);
    assert!(text[..at].contains("execTransaction"), "{text}");
    assert!(text[at..].contains(&format!("#0 {SPECULOS_1} (EIP-712) counted")), "{text}");

    // eth_sign and EIP-712 mixed, and an entry beyond the threshold, which the Safe never reads.
    let mixed =
        [signature("call_1.4.1_1", P1, "eth_sign"), signature("call_1.4.1_1", P0, "eip712"), vec![0xab; 65]]
            .concat();
    let (exit, verdict) = check(&exec_request(&v, mixed, "0"));
    assert_eq!(exit, 0, "{verdict}");
    let entry =
        verdict["checks"].as_array().unwrap().iter().find(|c| c["check"] == "safe_signatures").unwrap();
    assert!(entry["detail"].as_str().unwrap().contains("(eth_sign) counted"), "{entry}");
    assert!(entry["detail"].as_str().unwrap().contains("1 more entries not read"), "{entry}");

    // Unsorted, one owner short, and the right signatures with value on the executor's call.
    let unsorted =
        [signature("call_1.4.1_1", P0, "eip712"), signature("call_1.4.1_1", P1, "eip712")].concat();
    let (exit, verdict) = check(&exec_request(&v, unsorted, "0"));
    assert_eq!(exit, 3);
    assert_eq!(verdict["reasons"], json!(["safe_signatures_insufficient", "safe_signature_invalid"]));
    let failed = verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reason"] == "safe_signature_invalid")
        .unwrap();
    assert!(failed["detail"].as_str().unwrap().contains("sorted ascending"), "{failed}");
    assert!(failed["hint"].as_str().unwrap().contains("sorted"), "{failed}");
    let (exit, verdict) = check(&exec_request(&v, signature("call_1.4.1_1", P1, "eip712"), "0"));
    assert_eq!(exit, 3);
    assert_eq!(verdict["reasons"], json!(["safe_signatures_insufficient"]));
    let (exit, verdict) = check(&exec_request(&v, sorted, "1"));
    assert_eq!(exit, 3);
    assert_eq!(verdict["reasons"], json!(["value_mismatch"]));
}

#[test]
fn an_approved_hash_counts_for_an_owner_the_action_lists_and_says_what_it_rests_on() {
    let doc = vectors("safe_tx.json");
    let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == "call_1.4.1_1").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let listed = format!("approved_hashes = [\"{SPECULOS_1}\"]");
    let (manifest, out) = safe_release(dir.path(), &v, &[SPECULOS_0, SPECULOS_1], &listed);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
    let shown = run(&["--json", "manifest", "show", manifest.to_str().unwrap()]);
    assert_eq!(json(&shown)["actions"][0]["safe_tx"]["approved_hashes"], json!([SPECULOS_1]));
    let text = stdout(&run(&["manifest", "show", manifest.to_str().unwrap()]));
    assert!(text.contains("does not bind the Safe nonce"), "{text}");

    // SPECULOS_1's approved hash (address(r), s = 0, v = 1), then SPECULOS_0's signature.
    let mut approved = vec![0u8; 65];
    approved[12..32].copy_from_slice(SPECULOS_1.parse::<Address>().unwrap().as_slice());
    approved[64] = 1;
    let blob = [approved, signature("call_1.4.1_1", "m/44'/60'/0'/0/0", "eip712")].concat();
    let out = check_json(&manifest, &hash, &exec_request(&v, blob.clone(), "0"));
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let entry = &json(&out)["safe_signers"]["entries"][0];
    assert_eq!(entry["standing"], "counted_on_chain", "{entry}");
    assert!(entry["why"].as_str().unwrap().contains("does not bind the Safe nonce"), "{entry}");

    // Without the listing the same blob cannot count offline.
    let plain_dir = tempfile::tempdir().unwrap();
    let (plain, out) = safe_release(plain_dir.path(), &v, &[SPECULOS_0, SPECULOS_1], "");
    let plain_hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
    let out = check_json(&plain, &plain_hash, &exec_request(&v, blob, "0"));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    assert_eq!(json(&out)["reasons"], json!(["safe_signatures_insufficient"]));

    // An owner named twice, or a stranger, is refused at build, naming the field.
    for (list, says) in [
        (format!("approved_hashes = [\"{SPECULOS_1}\", \"{SPECULOS_1}\"]"), "named twice"),
        (String::from("approved_hashes = [\"0x1000000000000000000000000000000000000001\"]"), "owner"),
    ] {
        let bad_dir = tempfile::tempdir().unwrap();
        let (_, out) = safe_release(bad_dir.path(), &v, &[SPECULOS_0, SPECULOS_1], &list);
        assert_eq!(code(&out), 2, "{}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("actions[0].approved_hashes") && err.contains(says), "{err}");
    }
}
