//! The faults a hostile review found (issue 6), each driven through the binary: every test here
//! failed on the code before its fix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use alloy_primitives::{Address, B256, U256, address, hex};
use firmware_policy::{Action, ActionKind, Manifest, Rollback};

const NOW: &str = "2026-11-21T12:00:00Z";
const TIMELOCK: Address = address!("0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2");
const EXECUTOR: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");

fn word(v: usize) -> [u8; 32] {
    U256::from(v).to_be_bytes::<32>()
}

/// TimelockController `executeBatch` whose `n` payload offsets all point at one shared `inner`.
fn aliased_execute_batch(n: usize, inner: &[u8]) -> Vec<u8> {
    let mut out = hex!("e38335e5").to_vec();
    let targets_at = 5 * 32;
    let values_at = targets_at + 32 + 32 * n;
    let payloads_at = values_at + 32 + 32 * n;
    for v in [targets_at, values_at, payloads_at, 0, 0] {
        out.extend_from_slice(&word(v));
    }
    for filler in [TIMELOCK.into_word(), B256::ZERO] {
        out.extend_from_slice(&word(n));
        for _ in 0..n {
            out.extend_from_slice(filler.as_slice());
        }
    }
    out.extend_from_slice(&word(n));
    for _ in 0..n {
        out.extend_from_slice(&word(32 * n));
    }
    out.extend_from_slice(&word(inner.len()));
    out.extend_from_slice(inner);
    while (out.len() - 4) % 32 != 0 {
        out.push(0);
    }
    out
}

/// Four levels of 40 aliased payloads: a 20 KB calldata whose naive tree has 40^4 = 2.56 M leaves.
fn exploding_calldata() -> Vec<u8> {
    let mut data = hex!("3659cfe6").to_vec();
    data.extend_from_slice(TIMELOCK.into_word().as_slice());
    for _ in 0..4 {
        data = aliased_execute_batch(40, &data);
    }
    data
}

/// Runs the binary with its address space capped at 1 GiB, so a blow-up fails instead of
/// swapping the machine.
fn run_capped(args: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("bounded-signer");
    std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn aliased_abi_tails_cost_linear_work_and_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let data = exploding_calldata();
    assert!(data.len() < 24 * 1024);
    let request = serde_json::json!({
        "type": 2, "chainId": 11155111, "nonce": 7, "to": TIMELOCK.to_string(), "value": "0",
        "data": hex::encode_prefixed(&data), "gas": 100000, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1,
    });
    let tx = dir.path().join("tx.json");
    std::fs::write(&tx, request.to_string()).unwrap();
    let m = manifest.to_str().unwrap();
    let out = run_capped(&[
        "--json",
        "check",
        "--manifest",
        m,
        "--approved-hash",
        &hash,
        "--now",
        NOW,
        tx.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let v = json(&out);
    let reasons = v["reasons"].as_array().unwrap();
    assert!(reasons.contains(&"calldata_not_canonical".into()), "{reasons:?}");
    assert_eq!(v["calls"]["canonical"], false);
    assert_eq!(v["calls"]["children"], serde_json::json!([]));
    // decode of the same bytes is linear too.
    let out = run_capped(&["--json", "decode", tx.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A manifest whose only action is the exploding batch, encoded canonically (what a hostile
/// party could hand the signer as "the manifest").
fn hostile_manifest(dir: &std::path::Path) -> String {
    let m = Manifest {
        release: "hostile".into(),
        chain_id: 11155111,
        executor: EXECUTOR,
        not_before: 1,
        expires_at: 2_000_000_000,
        allowed_targets: vec![TIMELOCK],
        labels: vec![],
        rollback: Rollback { manifest_hash: B256::with_last_byte(1), note: String::new() },
        actions: vec![Action {
            name: "boom".into(),
            kind: ActionKind::Call,
            to: TIMELOCK,
            value: U256::ZERO,
            data: exploding_calldata(),
            nonce: None,
            gas_limit_max: None,
            max_fee_per_gas_max: None,
            max_priority_fee_per_gas_max: None,
            authorizations: vec![],
        }],
    };
    let path = dir.join("hostile.manifest.cbor");
    std::fs::write(&path, m.to_canonical_bytes().as_slice()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn an_unapproved_manifest_is_never_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_manifest(dir.path());
    let hostile_hash = format!("{:#x}", alloy_primitives::keccak256(std::fs::read(&hostile).unwrap()));
    let (_, approved) = example_manifest(dir.path());
    let proposal = root().join("examples/proposal-schedule.json");
    let p = proposal.to_str().unwrap();

    // `manifest show` refuses it (linear decoders), naming the field.
    let out = run_capped(&["manifest", "show", &hostile]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("actions[0].data"), "{}", stderr(&out));

    // Against the real approved hash: refused for the hash alone, exit 3.
    let out = run_capped(&[
        "--json",
        "check",
        "--manifest",
        &hostile,
        "--approved-hash",
        &approved,
        "--now",
        NOW,
        p,
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["reasons"], serde_json::json!(["manifest_hash_mismatch"]));
    assert_eq!(v["manifest_hash"], hostile_hash.as_str());
    assert_eq!(v["checks"].as_array().unwrap().len(), 1);

    // Approved by its own hash it is decoded, and then refused as input.
    let out = run_capped(&[
        "--json",
        "check",
        "--manifest",
        &hostile,
        "--approved-hash",
        &hostile_hash,
        "--now",
        NOW,
        p,
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));

    // Bytes that are not even well-formed CBOR are an input error whatever the hash.
    let bad = dir.path().join("bad.cbor");
    std::fs::write(&bad, [0xa2, 0x01]).unwrap();
    let out =
        run(&["check", "--manifest", bad.to_str().unwrap(), "--approved-hash", &approved, "--now", NOW, p]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("byte 2"), "{}", stderr(&out));
}
