//! `safe hash` against Safe transaction hashes from safe-eth-py and ethers' TypedDataEncoder
//! (tests/vectors/safe_tx.json): every Safe version on two chains, in each input form.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const FIELDS: [&str; 10] = [
    "to",
    "value",
    "data",
    "operation",
    "safeTxGas",
    "baseGas",
    "gasPrice",
    "gasToken",
    "refundReceiver",
    "nonce",
];

fn hash(input: &Value, flags: &[&str]) -> std::process::Output {
    let text = input.to_string();
    let mut args = vec!["--json", "safe", "hash", text.as_str()];
    args.extend_from_slice(flags);
    run(&args)
}

fn assert_hashes(out: &std::process::Output, v: &Value, form: &str) {
    let name = v["name"].as_str().unwrap();
    assert_eq!(code(out), 0, "{name} ({form}): {}", stdout(out));
    let got = json(out);
    for key in ["domain_separator", "message_hash", "safe_tx_hash"] {
        assert_eq!(got[key], v[key], "{name} ({form}): {key} (safe-eth-py)");
        assert_eq!(got[key], v["ethers"][key], "{name} ({form}): {key} (ethers)");
    }
    assert_eq!(got["safe_version"], v["safeVersion"], "{name}");
    assert_eq!(got["nonce"], v["nonce"], "{name}");
}

#[test]
fn every_version_on_two_chains_in_every_form_hashes_as_safe_eth_py_and_ethers() {
    let doc = vectors("safe_tx.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 32, "8 versions × 2 chains × 2 transactions");
    for v in vectors {
        let version = v["safeVersion"].as_str().unwrap();
        let chain = v["chainId"].to_string();
        // The plain object: everything in it.
        let mut plain = json!({"safe": v["safe"], "chainId": v["chainId"], "safeVersion": version});
        for k in FIELDS {
            plain[k] = v[k].clone();
        }
        assert_hashes(&hash(&plain, &[]), v, "plain");
        // Its typed data (as safe-eth-py builds it): the version from the flag.
        assert_hashes(
            &hash(&v["typed_data"], &["--safe-version", version, "--chain-id", &chain]),
            v,
            "typed data",
        );
        // The Transaction Service's object: chain and version from the flags, its claimed hash
        // checked, its other keys ignored.
        let mut service = json!({
            "safe": v["safe"], "safeTxHash": v["safe_tx_hash"], "isExecuted": false,
            "dataDecoded": {"method": "somethingElse", "parameters": []}, "confirmations": [],
        });
        for k in FIELDS {
            service[k] = v[k].clone();
        }
        assert_hashes(&hash(&service, &["--safe-version", version, "--chain-id", &chain]), v, "service");
    }
}

#[test]
fn a_claimed_safe_tx_hash_that_differs_is_exit_2() {
    let doc = vectors("safe_tx.json");
    let v = &doc["vectors"][10];
    let mut service = json!({"safe": v["safe"], "safeTxHash": v["safe_tx_hash"]});
    for k in FIELDS {
        service[k] = v[k].clone();
    }
    service["nonce"] = json!("43");
    let version = v["safeVersion"].as_str().unwrap();
    let out = hash(&service, &["--safe-version", version, "--chain-id", &v["chainId"].to_string()]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let error = &json(&out)["error"];
    assert!(error["message"].as_str().unwrap().contains("is not the hash of these fields"), "{error}");
    assert!(error["hint"].as_str().unwrap().starts_with("Do not sign"), "{error}");
}

#[test]
fn the_human_output_warns_without_a_chain_id_and_pages_the_hashes_as_the_ledger() {
    let doc = vectors("safe_tx.json");
    let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == "call_1.2.0_1").unwrap();
    let mut plain = json!({"safe": v["safe"], "chainId": 1, "safeVersion": "1.2.0"});
    for k in FIELDS {
        plain[k] = v[k].clone();
    }
    let out = run(&["safe", "hash", &plain.to_string()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("WARNING: Safe 1.2.0's domain has no chain id"), "{text}");
    assert!(text.contains("chain id         1 (not in the domain: not signed)"), "{text}");
    assert!(text.contains("function  upgradeAndCall(address,address,bytes)"), "{text}");
    assert!(text.contains(&format!("safeTxHash       {}", v["safe_tx_hash"].as_str().unwrap())), "{text}");
    let upper = v["domain_separator"].as_str().unwrap()[2..].to_uppercase();
    // The first of its lines on the screen, as the device breaks it.
    assert!(text.contains("Domain hash (1/2)") && text.contains(&format!("0x{}\n", &upper[..15])), "{text}");
    assert!(text.contains("Message hash"), "{text}");
    // 1.3.0 and later: no warning.
    plain["safeVersion"] = json!("1.3.0");
    assert!(!stdout(&run(&["safe", "hash", &plain.to_string()])).contains("WARNING"));
}
