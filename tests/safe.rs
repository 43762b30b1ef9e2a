//! `safe hash` against Safe transaction hashes from safe-eth-py and ethers' TypedDataEncoder
//! (tests/vectors/safe_tx.json): every Safe version on two chains, in each input form.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

/// A second owner no test signs for.
const OTHER_OWNER: &str = "0x1000000000000000000000000000000000000001";

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

#[test]
fn transaction_builder_batches_become_the_safe_tx_safe_wallet_proposes() {
    let doc = vectors("safe_tx.json");
    let builder = doc["builder"].as_array().unwrap();
    assert_eq!(builder.len(), 3);
    for b in builder {
        let name = b["name"].as_str().unwrap();
        let version = b["safeVersion"].as_str().unwrap();
        let out = hash(&b["batch"], &["--safe-version", version, "--nonce", b["nonce"].as_str().unwrap()]);
        assert_eq!(code(&out), 0, "{name}: {}", stdout(&out));
        let got = json(&out);
        assert_eq!(got["safe_tx_hash"], b["safe_tx_hash"], "{name}");
        let root = &got["calls"];
        assert_eq!(
            root["to"].as_str().unwrap().to_lowercase(),
            b["to"].as_str().unwrap().to_lowercase(),
            "{name}"
        );
        assert_eq!(root["calldata_len"], (b["data"].as_str().unwrap().len() - 2) / 2, "{name}");
        let expected = if b["operation"] == 1 { "delegatecall" } else { "call" };
        assert_eq!(root["operation"], expected, "{name}: {root}");
        if b["operation"] == 1 {
            // MultiSendCallOnly's entries are the batch's, in order.
            let entries = root["children"].as_array().unwrap();
            let batch = b["batch"]["transactions"].as_array().unwrap();
            assert_eq!(entries.len(), batch.len(), "{name}");
            for (entry, t) in entries.iter().zip(batch) {
                assert_eq!(
                    entry["to"].as_str().unwrap().to_lowercase(),
                    t["to"].as_str().unwrap().to_lowercase()
                );
                assert_eq!(entry["value"], t["value"], "{name}");
            }
        }
    }
}

#[test]
fn a_batch_that_says_two_things_or_lacks_what_it_needs_is_exit_2() {
    let doc = vectors("safe_tx.json");
    let b = &doc["builder"][0];
    let flags = ["--safe-version", "1.4.1", "--nonce", "9"];
    // The approve entry's data disagrees with its contractMethod and values.
    let mut lying = b["batch"].clone();
    lying["transactions"][1]["data"] = json!(format!("0x095ea7b3{}", "00".repeat(64)));
    let out = hash(&lying, &flags);
    assert_eq!(code(&out), 2);
    let message = json(&out)["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("transactions[1].data is not what its contractMethod"), "{message}");
    // No nonce in a batch: the flag must give it.
    let out = hash(&b["batch"], &["--safe-version", "1.4.1"]);
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("--nonce"));
    // Several entries on a version whose MultiSendCallOnly this tool does not know.
    let out = hash(&b["batch"], &["--safe-version", "1.5.0", "--nonce", "9"]);
    assert_eq!(code(&out), 2);
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("1.3.0 and 1.4.1 only"));
    // A value that does not fit its type.
    let mut bad = doc["builder"][2]["batch"].clone();
    bad["transactions"][0]["contractInputsValues"]["cfg"] = json!("[\"5\"]");
    let out = hash(&bad, &flags);
    assert_eq!(code(&out), 2);
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("contractInputsValues.cfg"));
}

#[test]
fn a_manifest_safe_action_hashes_as_safe_eth_py_and_is_not_a_direct_call() {
    let doc = vectors("safe_tx.json");
    let dir = tempfile::tempdir().unwrap();
    for name in ["call_1.4.1_1", "call_1.3.0_11155111", "call_1.2.0_1"] {
        let v = doc["vectors"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap();
        let (manifest, out) = safe_release(dir.path(), v, &[SPECULOS_0, OTHER_OWNER], "");
        assert_eq!(code(&out), 0, "{name}: {}", stdout(&out));
        let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
        let shown = json(&run(&["--json", "manifest", "show", manifest.to_str().unwrap()]));
        let action = &shown["actions"][0];
        assert_eq!(action["kind"], "safe");
        assert_eq!(action["safe_tx"]["safe_tx_hash"], v["safe_tx_hash"], "{name}");
        assert_eq!(action["safe_tx"]["domain_separator"], v["domain_separator"], "{name}");
        assert_eq!(shown["safes"][0]["threshold"], 2);
        let text = stdout(&run(&["manifest", "show", manifest.to_str().unwrap()]));
        assert!(text.contains(&format!("safeTxHash {}", v["safe_tx_hash"].as_str().unwrap())), "{text}");
        assert_eq!(text.contains("its domain has no chain id"), name.contains("1.2.0"), "{text}");
        // The executor sending the Safe action's inner call directly is not that action.
        let direct = json!({
            "type": "0x2", "chainId": v["chainId"].to_string(), "nonce": "0", "to": v["to"], "value": "0",
            "gas": "100000", "maxFeePerGas": "1000", "maxPriorityFeePerGas": "1", "data": v["data"],
        });
        let out = run(&[
            "--json",
            "check",
            "--manifest",
            manifest.to_str().unwrap(),
            "--approved-hash",
            &hash,
            &direct.to_string(),
        ]);
        assert_eq!(code(&out), 3, "{name}: {}", stdout(&out));
        assert_eq!(json(&out)["reasons"], json!(["payload_not_approved"]), "{name}");
    }
}

#[test]
fn safe_fields_belong_to_safe_actions_of_declared_safes() {
    let doc = vectors("safe_tx.json");
    let v = &doc["vectors"][12];
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = safe_release(
        dir.path(),
        v,
        &[SPECULOS_0, OTHER_OWNER],
        "refund_receiver = \"0x000000000000000000000000000000000000dEaD\"\n",
    );
    assert_eq!(code(&out), 2);
    assert!(
        json(&out)["error"]["message"].as_str().unwrap().contains("not in allowed_targets"),
        "{}",
        stdout(&out)
    );
    let (_, out) = safe_release(dir.path(), v, &[SPECULOS_0, OTHER_OWNER], "operation = 1\n");
    assert_eq!(code(&out), 2);
    assert!(
        json(&out)["error"]["message"].as_str().unwrap().contains("delegatecall_allowed"),
        "{}",
        stdout(&out)
    );
    // A call action that names a Safe field.
    let toml = dir.path().join("safe.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replace("kind = \"safe\"\n", "");
    std::fs::write(&toml, text).unwrap();
    let out = run(&[
        "--json",
        "manifest",
        "build",
        toml.to_str().unwrap(),
        "-o",
        dir.path().join("x.cbor").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let message = json(&out)["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("only a kind = \"safe\" action has this field"), "{message}");
}

#[test]
fn a_nested_safes_approving_action_names_the_outer_action_and_is_its_approve_hash() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(root().join("docs/example-safe.toml")).unwrap();
    const COUNCIL: &str = "0x0C0C000000000000000000000000000000000001";
    // The release Safe's second owner is a council Safe, owned_by it.
    let outer = example
        .replace("\"0x1000000000000000000000000000000000000001\"]", &format!("\"{COUNCIL}\"]"))
        .replace("allowed_targets = [\n", &format!("allowed_targets = [\n  \"{COUNCIL}\",\n"))
        + &format!(
            "\n[[safes]]\naddress = \"{COUNCIL}\"\nversion = \"1.4.1\"\nowners = [\"0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D\"]\nthreshold = 1\nowned_by = \"0x5aFE3855358E112B5647B952709E6165e1c1eEEe\"\n"
        );
    let build = |text: &str, name: &str| {
        let toml = dir.path().join(format!("{name}.toml"));
        std::fs::write(&toml, text).unwrap();
        let out = dir.path().join(format!("{name}.cbor"));
        let o = run(&[
            "--json",
            "manifest",
            "build",
            toml.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--force",
        ]);
        (out, o)
    };
    let (first, o) = build(&outer, "outer");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let shown = json(&run(&["--json", "manifest", "show", first.to_str().unwrap()]));
    let outer_hash = shown["actions"][0]["safe_tx"]["safe_tx_hash"].as_str().unwrap().to_string();
    let approving = |hash: &str, approves: &str| {
        format!(
            "{outer}\n[[actions]]\nkind = \"safe\"\nname = \"council-approves\"\nsafe = \"{COUNCIL}\"\nnonce = 0\nto = \"0x5aFE3855358E112B5647B952709E6165e1c1eEEe\"\ndata = \"0xd4d9bdcd{}\"\napproves = \"{approves}\"\n",
            hash.trim_start_matches("0x")
        )
    };
    let (nested, o) = build(&approving(&outer_hash, "upgrade"), "nested");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let shown = json(&run(&["--json", "manifest", "show", nested.to_str().unwrap()]));
    assert_eq!(shown["actions"][1]["safe_tx"]["approves"], 0);
    let text = stdout(&run(&["manifest", "show", nested.to_str().unwrap()]));
    assert!(text.contains("approves  action 0 (upgrade)"), "{text}");
    // A name no action has, and an approveHash of another hash.
    let (_, o) = build(&approving(&outer_hash, "nothing"), "unknown");
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("actions[1].approves"), "{}", stdout(&o));
    let (_, o) = build(&approving(&format!("0x{}", "00".repeat(32)), "upgrade"), "wrong");
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("approves"), "{}", stdout(&o));
}
